// The shopper's side of kefu's API (docs/web.md): conversations, turns streamed as server-sent
// events, the history, and the conversation's live event stream.
import { ApiError, apiFetch } from "../shared/http";
import { readSse } from "./sse";

export { ApiError };

export interface Conversation {
  conversation_id: string;
  token: string;
}

export interface Message {
  id: number;
  role: string; // user | assistant | agent | system
  text: string;
  created_at?: string | number; // ISO 8601 in the history, epoch ms on the live stream
  intent?: string;
}

export interface QuickReply {
  label: string;
  text: string;
}

export interface OrderCard {
  type: "order";
  order_id: string;
  status?: string;
  status_label?: string;
  created_at?: string;
  total?: string;
  items?: { name: string; quantity?: number; price?: string; sku?: string }[];
  shipment?: {
    carrier?: string;
    tracking_number?: string;
    status?: string;
    events?: { time?: string; location?: string; description?: string }[];
  };
}

export interface ProductCard {
  type: "product";
  sku?: string;
  name: string;
  price?: string;
  stock?: number;
  category?: string;
  attributes?: Record<string, string>;
}

export interface Citation {
  n?: number;
  title: string;
  heading?: string;
  doc_id?: string;
}

export interface Ui {
  quick_replies?: QuickReply[];
  cards?: (OrderCard | ProductCard | { type: string })[];
  citations?: Citation[];
}

export interface TurnBody {
  conversation_id: string;
  reply: { role: string; text: string; created_at?: string };
  lang?: string;
  intent?: string;
  handoff?: boolean;
  silent?: boolean;
  queued?: boolean;
  ui?: Ui;
}

export interface LiveEvent {
  type: string; // ready | message | handoff | overflow
  message?: Message;
  status?: string;
  agent?: string;
}

export interface TurnHandlers {
  delta(text: string): void;
  reset(): void;
}

// The server's history page size: a full page means there may be more.
const PAGE = 200;

// A conversation's token the server no longer accepts (a new database, an expired token).
export function isRejected(e: unknown): boolean {
  return e instanceof ApiError && [401, 403, 404].includes(e.status);
}

export class Api {
  constructor(readonly server: string) {}

  create(): Promise<Conversation> {
    return apiFetch<Conversation>(this.server + "/v1/conversations", {
      method: "POST",
      body: JSON.stringify({ channel: "web" }),
    });
  }

  // Every message after `after`, following pages until a short one.
  async history(c: Conversation, after: number): Promise<Message[]> {
    const all: Message[] = [];
    for (;;) {
      const page = await apiFetch<{ messages: Message[] }>(
        `${this.url(c, "messages")}?after=${after}&limit=${PAGE}`,
        { key: c.token },
      );
      all.push(...page.messages);
      if (page.messages.length < PAGE) return all;
      after = page.messages[page.messages.length - 1].id;
    }
  }

  // Sends the shopper's text and streams the reply into `on`; resolves with the turn body.
  async turn(c: Conversation, text: string, on: TurnHandlers): Promise<TurnBody> {
    const res = await request(this.url(c, "messages"), {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Accept: "text/event-stream",
        Authorization: "Bearer " + c.token,
      },
      body: JSON.stringify({ text }),
    });
    if (!res.ok) throw await errorOf(res);
    if (!res.body || !(res.headers.get("Content-Type") ?? "").includes("text/event-stream")) {
      return (await res.json()) as TurnBody; // a server (or proxy) that does not stream
    }
    let body: TurnBody | null = null;
    try {
      await readSse(res.body, ({ event, data }) => {
        const json = JSON.parse(data);
        if (event === "delta") on.delta(json.text ?? "");
        else if (event === "reset") on.reset();
        else if (event === "done") body = json as TurnBody;
        else if (event === "error") {
          throw new ApiError(500, json.error?.code ?? "error", json.error?.message ?? "error");
        }
      });
    } catch (e) {
      if (e instanceof ApiError) throw e;
      throw new ApiError(0, "network", (e as Error).message);
    }
    if (!body) throw new ApiError(0, "incomplete", "the reply ended early");
    return body;
  }

  // Opens the live event stream; the caller reads the body.
  async events(c: Conversation, signal: AbortSignal): Promise<Response> {
    const res = await request(this.url(c, "events"), {
      headers: { Accept: "text/event-stream", Authorization: "Bearer " + c.token },
      signal,
      cache: "no-store",
    });
    if (!res.ok || !res.body) throw await errorOf(res);
    return res;
  }

  private url(c: Conversation, what: string): string {
    return `${this.server}/v1/conversations/${encodeURIComponent(c.conversation_id)}/${what}`;
  }
}

async function request(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (e) {
    throw new ApiError(0, "network", (e as Error).message || "network error");
  }
}

async function errorOf(res: Response): Promise<ApiError> {
  type ErrorBody = { error?: { code?: string; message?: string } } | null;
  const body = (await res.json().catch(() => null)) as ErrorBody;
  const code = body?.error?.code ?? "http_" + res.status;
  return new ApiError(res.status, code, body?.error?.message ?? `HTTP ${res.status}`);
}

// The conversation this browser holds with each server, so a reload continues it:
// localStorage["kefu.conversation"] = {"<server origin>": {conversation_id, token}}.
const SAVED_KEY = "kefu.conversation";

function savedAll(): Record<string, Conversation> {
  try {
    const all = JSON.parse(localStorage.getItem(SAVED_KEY) ?? "{}");
    return all && typeof all === "object" ? all : {};
  } catch {
    return {};
  }
}

export function loadConversation(server: string): Conversation | null {
  const c = savedAll()[server];
  return c && typeof c.conversation_id === "string" && typeof c.token === "string" ? c : null;
}

export function saveConversation(server: string, c: Conversation | null): void {
  const all = savedAll();
  if (c) all[server] = { conversation_id: c.conversation_id, token: c.token };
  else delete all[server];
  try {
    localStorage.setItem(SAVED_KEY, JSON.stringify(all));
  } catch {
    // Storage blocked: the conversation lasts as long as the page.
  }
}

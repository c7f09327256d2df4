// The agent endpoints of docs/web.md, typed as the console reads them. The server is the
// authority on every field; the types mark as optional what an older or newer server may leave
// out, and the views draw only what is there.
import { apiFetch } from "../shared/http";

export interface Credentials {
  agent: string;
  key: string;
}

export type TicketStatus = "queued" | "claimed" | "closed";

export interface Turn {
  role: string;
  text: string;
}

export interface TicketSummary {
  reason?: string;
  intent?: string;
  flow?: string;
  slots?: Record<string, unknown>;
  order_id?: string;
  verified?: boolean;
  summary?: string[];
  mood?: Record<string, unknown>;
  last_turns?: Turn[];
}

export interface Ticket {
  conversation_id: string;
  status: TicketStatus;
  priority: number;
  mood: number;
  reason: string;
  agent: string;
  lang: string;
  queued_at: string;
  claimed_at?: string | null;
  closed_at?: string | null;
  summary?: TicketSummary;
}

// The assistant's trace. Everything is optional: which fields exist depends on the turn.
export interface Trace {
  trace_id?: string;
  lang?: string;
  intent?: string;
  confidence?: number;
  action?: string;
  flow?: string;
  awaiting?: string;
  verified?: boolean;
  entities?: { type?: string; value?: string }[];
  slots?: Record<string, unknown>;
  sentiment?: {
    polarity?: string;
    emotion?: string;
    score?: number;
    intensity?: number;
    threat?: boolean;
    emotions?: Record<string, number>;
  };
  mood?: Record<string, unknown>;
  sources?: { title?: string; heading?: string; doc_id?: string; score?: number; used?: boolean; n?: number }[];
  // The server writes tool_calls ({tool, code, us, error?}); docs/web.md names them tools
  // ({name, code, ms}). Both are read.
  tool_calls?: ToolCall[];
  tools?: ToolCall[];
  stages?: { name?: string; us?: number; ms?: number; ok?: boolean }[];
  handoff?: { reason?: string; priority?: number };
  [other: string]: unknown;
}

export interface ToolCall {
  tool?: string;
  name?: string;
  code?: string;
  error?: string;
  us?: number;
  ms?: number;
}

export interface Message {
  id: number;
  role: string;
  text: string;
  created_at: string | number; // ISO 8601 over HTTP, epoch milliseconds on the live socket
  intent?: string;
  trace?: Trace;
}

export interface Customer {
  name?: string;
  phone?: string;
  city?: string;
  member_level?: string;
  orders_count?: number;
}

export interface ShipmentEvent {
  time?: string;
  location?: string;
  description?: string;
}

export interface Order {
  order_id?: string;
  status?: string;
  status_label?: string;
  created_at?: string;
  total?: string;
  items?: { name?: string; quantity?: number; price?: string; sku?: string }[];
  shipment?: {
    carrier?: string;
    tracking_number?: string;
    status?: string;
    events?: ShipmentEvent[]; // oldest first
  } | null;
}

export interface ConversationData {
  conversation_id: string;
  ticket: Ticket | null;
  customer?: Customer | null;
  order?: Order | null;
  messages: Message[];
}

export interface Suggestion {
  source?: string;
  title?: string;
  text: string;
}

export type TicketAction = "claim" | "release" | "close";

// The store names a held ticket "assigned"; the contract and the console say "claimed".
function normalizeTicket(t: Ticket): Ticket {
  const status = (t.status as string) === "assigned" ? "claimed" : t.status;
  return { ...t, status };
}

export class AgentApi {
  constructor(readonly creds: Credentials) {}

  private call<T>(path: string, init: RequestInit = {}): Promise<T> {
    return apiFetch<T>(path, { ...init, key: this.creds.key, agent: this.creds.agent });
  }

  private conversationPath(id: string, action = ""): string {
    return `/v1/agent/conversations/${encodeURIComponent(id)}${action ? "/" + action : ""}`;
  }

  async queue(): Promise<Ticket[]> {
    const body = await this.call<{ queue: Ticket[] }>("/v1/agent/queue");
    return (body.queue ?? []).map(normalizeTicket);
  }

  async conversation(id: string): Promise<ConversationData> {
    const body = await this.call<ConversationData>(this.conversationPath(id));
    return { ...body, ticket: body.ticket ? normalizeTicket(body.ticket) : null, messages: body.messages ?? [] };
  }

  async act(id: string, action: TicketAction): Promise<Ticket> {
    const body = await this.call<{ ticket: Ticket }>(this.conversationPath(id, action), { method: "POST", body: "{}" });
    return normalizeTicket(body.ticket);
  }

  async send(id: string, text: string): Promise<Message> {
    const body = await this.call<{ message: Message }>(this.conversationPath(id, "messages"), {
      method: "POST",
      body: JSON.stringify({ text }),
    });
    return body.message;
  }

  async suggestions(id: string): Promise<Suggestion[]> {
    const body = await this.call<{ suggestions: Suggestion[] }>(this.conversationPath(id, "suggestions"));
    return body.suggestions ?? [];
  }
}

// The widget's behaviour: the conversation (created on first use, kept across reloads), turns
// streamed into the log, the live feed of agent messages and handoff changes, and the
// history re-read after every reconnect so that nothing said meanwhile is lost.
import {
  Api,
  ApiError,
  isRejected,
  loadConversation,
  saveConversation,
  type Conversation,
  type LiveEvent,
  type Message,
  type OrderCard,
  type ProductCard,
  type TurnBody,
  type TurnHandlers,
} from "./api";
import { citations, orderCard, productCard, quickReplies } from "./cards";
import { h } from "./dom";
import { bind, saveLang, type Key, type Lang } from "./i18n";
import { LiveFeed } from "./live";
import { MAX_CHARS, View, type Mode } from "./view";

export interface Options {
  mode: Mode;
  lang: Lang;
  server: string;
  title: string | null;
}

// The note a handoff status change shows. The docs name claimed/released; the engine sends
// assigned on a claim and queued (with the agent's name) on a release.
const HANDOFF_NOTES: Record<string, Key> = {
  claimed: "joined",
  assigned: "joined",
  released: "released",
  closed: "closed",
  queued: "handoff",
};

// How recent a system line must be to count as having already told the shopper about a
// handoff change (the server posts its own system message just before the event).
const SAID_RECENTLY_MS = 5000;

export class Widget {
  readonly view: View;
  private readonly api: Api;
  private conv: Conversation | null;
  private live: LiveFeed | null = null;
  private busy = false;
  private readonly loaded: Promise<void>;
  private historyLoaded = false;
  private readonly shown = new Set<number>(); // ids of the server messages in the log
  private lastId = 0; // the newest id read from the history: a catch-up reads after it
  private catching = false;
  private catchAgain = false;
  private agent = ""; // the agent holding the conversation, if any
  private lastSystem: { at: number; key?: Key } | null = null;
  private deferred: LiveEvent[] = []; // live events that came during a turn

  constructor(private readonly opts: Options) {
    this.view = new View(opts.mode, opts.lang, opts.title);
    this.api = new Api(opts.server);
    this.conv = loadConversation(opts.server);
    this.view.setState(this.conv ? "connecting" : "ready");
    this.wire();
    this.welcome();
    this.loaded = this.resume();
  }

  conversationId(): string | null {
    return this.conv?.conversation_id ?? null;
  }

  open(): void {
    if (this.opts.mode !== "bubble") return;
    this.view.setOpen(true);
    this.focusInput();
  }

  close(): void {
    if (this.opts.mode !== "bubble" || this.view.panel.hidden) return;
    const focusInside = this.view.root.activeElement !== null;
    this.view.setOpen(false);
    if (focusInside) this.view.launcher?.focus();
  }

  // Sends `text` as the shopper; `row` is a failed message being retried.
  async send(input: string, row?: HTMLElement): Promise<void> {
    const text = input.trim().slice(0, MAX_CHARS);
    if (!text || this.busy) return;
    this.setBusy(true);
    this.view.log.querySelectorAll(".quick-replies").forEach((q) => q.parentElement?.remove());
    await this.loaded; // the saved history goes above this message
    const msg = row ?? this.view.addMessage({ role: "user", text });
    const msgRow = msg.parentElement!;
    msgRow.classList.remove("failed");
    const typing = this.view.addTyping();
    let bubble: HTMLElement | null = null;
    let streamed = "";
    try {
      const body = await this.turn(text, {
        delta: (piece) => {
          typing.remove();
          // Screen readers wait for the whole reply instead of reading every piece.
          this.view.log.setAttribute("aria-busy", "true");
          bubble ??= this.view.addMessage({ role: "assistant", text: "" });
          streamed += piece;
          this.view.setText(bubble, streamed);
        },
        // What was shown is withdrawn (a later sentence failed the grounding check): start over.
        reset: () => {
          streamed = "";
          if (bubble) this.view.setText(bubble, "");
        },
      });
      typing.remove();
      this.finish(body, bubble);
    } catch (e) {
      typing.remove();
      (bubble as HTMLElement | null)?.parentElement?.remove();
      msgRow.classList.add("failed");
      const err = e instanceof ApiError ? e : new ApiError(0, "network", String(e));
      const errRow = this.view.addError(msgRow, err.code, err.message, () => {
        if (this.busy) return;
        errRow.remove();
        void this.send(text, msg);
      });
    } finally {
      this.view.log.removeAttribute("aria-busy");
      this.setBusy(false);
      this.deferred.splice(0).forEach((e) => this.onLive(e));
    }
  }

  // Focus goes to the text box, except on touch screens, where that would pop up the keyboard
  // over the conversation: there it stays inside the panel, on its close button.
  private focusInput(): void {
    const touch = matchMedia("(pointer: coarse)").matches;
    (touch ? (this.view.closeButton ?? this.view.log) : this.view.input).focus();
  }

  private setBusy(busy: boolean): void {
    // Typing stays allowed while a turn is in flight; only sending waits.
    this.busy = busy;
    this.view.sendButton.disabled = busy;
  }

  private wire(): void {
    const v = this.view;
    v.form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.submit();
    });
    v.input.addEventListener("keydown", (e) => {
      // Enter while an input method is composing picks a candidate; it must not send.
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
        e.preventDefault();
        this.submit();
      }
    });
    v.langButton.addEventListener("click", () => {
      const lang = v.lang === "zh" ? "en" : "zh";
      saveLang(lang);
      v.setLang(lang);
    });
    v.launcher?.addEventListener("click", () => (v.panel.hidden ? this.open() : this.close()));
    v.closeButton?.addEventListener("click", () => this.close());
    v.root.addEventListener("keydown", (e) => {
      if ((e as KeyboardEvent).key === "Escape") this.close();
    });
    window.addEventListener("offline", () => v.setState("offline"));
    window.addEventListener("online", () => (this.live ? this.live.reconnect() : v.setState("ready")));
  }

  private submit(): void {
    const v = this.view;
    if (this.busy || !v.input.value.trim()) return; // the text stays in the box until it can go
    const text = v.input.value;
    v.input.value = "";
    v.fit();
    void this.send(text);
  }

  // The greeting is the widget's own (not stored on the server), in the shopper's language.
  private welcome(): void {
    const msg = this.view.addMessage({ role: "assistant", text: "" });
    msg.classList.add("welcome");
    msg.append(bind(h("span"), this.view.lang, "welcome"));
  }

  private suggest(): void {
    const keys: Key[] = ["suggestOrder", "suggestReturns", "suggestHuman"];
    this.addQuickReplies(keys.map((key) => ({ label: "", text: "", key })));
  }

  private addQuickReplies(list: Parameters<typeof quickReplies>[0]): void {
    this.view.addExtra(
      quickReplies(list, this.view.lang, (text) => {
        this.focusInput(); // the clicked button is about to go
        void this.send(text);
      }),
    );
  }

  // Shows the saved conversation's history, then follows its live feed.
  private async resume(): Promise<void> {
    if (!this.conv) {
      this.historyLoaded = true;
      this.suggest();
      return;
    }
    try {
      const messages = await this.api.history(this.conv, 0);
      this.historyLoaded = true;
      this.showHistory(messages, true, false);
      if (!messages.length) this.suggest();
      this.view.setState("ready");
    } catch (e) {
      if (isRejected(e)) {
        this.forget();
        this.suggest();
        this.view.setState("ready");
        return;
      }
      this.view.setState("offline"); // the live feed retries, and its catch-up loads the history
    }
    this.follow();
  }

  private async turn(text: string, on: TurnHandlers): Promise<TurnBody> {
    for (let attempt = 0; ; attempt++) {
      const conv = await this.conversation();
      try {
        return await this.api.turn(conv, text, on);
      } catch (e) {
        // A saved token the server no longer knows (say, a new database): start afresh, once.
        if (attempt === 0 && isRejected(e)) {
          this.forget();
          continue;
        }
        throw e;
      }
    }
  }

  private async conversation(): Promise<Conversation> {
    if (this.conv) return this.conv;
    const conv = await this.api.create();
    this.conv = conv;
    saveConversation(this.opts.server, conv);
    this.historyLoaded = true; // a new conversation has none
    this.follow();
    return conv;
  }

  private forget(): void {
    this.live?.stop();
    this.live = null;
    this.conv = null;
    this.lastId = 0;
    saveConversation(this.opts.server, null);
  }

  private follow(): void {
    if (!this.conv || this.live) return;
    this.live = new LiveFeed(this.api, this.conv, {
      ready: () => {
        this.view.setState("ready");
        void this.catchUp();
      },
      event: (e) => this.onLive(e),
      down: () => this.view.setState("offline"),
      rejected: () => {
        this.forget();
        this.view.setState("ready");
      },
    });
  }

  // Draws the reply's final text and what the turn body's `ui` asks for.
  private finish(body: TurnBody, bubble: HTMLElement | null): void {
    const text = body.reply?.text ?? "";
    if (body.silent || !text) {
      bubble?.parentElement?.remove(); // an agent holds the conversation: the bot stays quiet
    } else {
      bubble ??= this.view.addMessage({ role: "assistant", text: "", at: body.reply.created_at });
      this.view.setText(bubble, text);
      bubble.dataset.intent = body.intent ?? "";
      this.view.noteUnread();
    }
    const ui = body.ui ?? {};
    if (ui.citations?.length) this.view.addExtra(citations(ui.citations, this.view.lang));
    for (const card of ui.cards ?? []) {
      if (card.type === "order") this.view.addExtra(orderCard(card as OrderCard, this.view.lang));
      else if (card.type === "product") this.view.addExtra(productCard(card as ProductCard, this.view.lang));
    }
    if (ui.quick_replies?.length) this.addQuickReplies(ui.quick_replies);
    if ((body.handoff || body.queued) && !this.saidRecently("handoff")) this.note("handoff");
  }

  private onLive(e: LiveEvent): void {
    if (this.busy) {
      // Held until the turn's reply is drawn: the feed announces a handoff before the reply
      // that promises it has reached the shopper.
      this.deferred.push(e);
      return;
    }
    if (e.type === "message" && e.message) {
      const m = e.message;
      // The feed repeats this tab's own turns (with id 0); the turn response drew those.
      if ((m.role === "agent" || m.role === "system") && !(m.id && this.shown.has(m.id))) this.show(m, true);
    } else if (e.type === "handoff") {
      this.onHandoff(e.status ?? "", e.agent ?? "");
    }
  }

  private onHandoff(status: string, agent: string): void {
    const joined = status === "claimed" || status === "assigned";
    this.agent = joined ? agent : "";
    this.view.setAgent(this.agent);
    const key = status === "queued" && agent ? "released" : HANDOFF_NOTES[status];
    if (key && !this.saidRecently(key)) this.note(key, { agent });
  }

  // Whether the last system line already said it: the same note of ours, or any message of the
  // server's (it posts one just before each claim, release and close event).
  private saidRecently(key: Key): boolean {
    const s = this.lastSystem;
    return !!s && Date.now() - s.at < SAID_RECENTLY_MS && (s.key === key || !s.key);
  }

  private note(key: Key, args?: Record<string, string>): void {
    this.view.addNote(key, args);
    this.lastSystem = { at: Date.now(), key };
  }

  // Re-reads the history after the newest id seen: run on every (re)connect of the live feed.
  private async catchUp(): Promise<void> {
    if (this.catching) {
      this.catchAgain = true;
      return;
    }
    this.catching = true;
    try {
      do {
        this.catchAgain = false;
        const conv = this.conv;
        if (!conv) return;
        const messages = await this.api.history(conv, this.lastId);
        if (conv !== this.conv) return;
        // Until the first full load succeeded every message is new; after it, only the agents'
        // and the system's can be (the shopper's and the bot's came with this tab's turns).
        const all = !this.historyLoaded;
        this.historyLoaded = true;
        this.showHistory(messages, all, true);
      } while (this.catchAgain);
    } catch {
      // The next reconnect tries again.
    } finally {
      this.catching = false;
    }
  }

  private showHistory(messages: Message[], all: boolean, fresh: boolean): void {
    for (const m of messages) {
      if (m.id) this.lastId = Math.max(this.lastId, m.id);
      if (m.id && this.shown.has(m.id)) continue;
      if (all || m.role === "agent" || m.role === "system") this.show(m, fresh);
    }
  }

  private show(m: Message, fresh: boolean): void {
    if (m.id) this.shown.add(m.id);
    this.view.addMessage({
      role: m.role,
      text: m.text,
      at: m.created_at,
      id: m.id,
      intent: m.role === "assistant" ? (m.intent ?? "") : undefined,
      agent: this.agent,
    });
    if (m.role === "system") this.lastSystem = { at: Date.now() };
    if (fresh && m.role !== "system") this.view.noteUnread();
  }
}

// The signed-in console: it owns the state (the queue, the open conversation), calls the API,
// follows the live socket and tells the three columns what to draw.
import { ApiError } from "../shared/http";
import type { AgentApi, ConversationData, Message, Ticket, TicketAction } from "./api";
import { ConversationPanel } from "./conversation";
import { announce, h } from "./dom";
import { reasonLabel } from "./format";
import type { Header } from "./header";
import { t } from "./i18n";
import { LiveSocket, type LiveState } from "./live";
import { QueueView } from "./queue";
import { SidePanel } from "./side";

const DEBOUNCE_MS = 200; // a burst of queue events (a claim sends several) costs one read
const POLL_MS = 5_000; // the refresh while the socket is down
const TICK_MS = 30_000; // the waiting times' refresh

// Who holds the ticket, as one comparable value.
function holder(t: Ticket | null | undefined): string {
  return t ? `${t.status}/${t.agent}` : "none";
}

export class AgentConsole {
  readonly el: HTMLElement;
  private queue: QueueView;
  private panel: ConversationPanel;
  private side: SidePanel;
  private live: LiveSocket;
  private tickets: Ticket[] = [];
  private seenQueue: Set<string> | null = null; // null before the first read: nothing is new then
  private selected: string | null = null;
  private data: ConversationData | null = null;
  private loading = false;
  private loadError = "";
  private actionError = "";
  private busy = false;
  private seenMessages: Set<number> | null = null; // null before the selection's first read
  private selection = 0; // bumped on every selection; answers for an older one are dropped
  private drafts = new Map<string, string>(); // unsent replies by conversation
  private queueTimer: number | undefined;
  private convTimer: number | undefined;
  private pollTimer: number | undefined;
  private tickTimer: number | undefined;
  private stopped = false;

  constructor(private api: AgentApi, private header: Header, private signOut: (message: string) => void) {
    const me = api.creds.agent;
    this.queue = new QueueView(me, (id) => this.select(id));
    this.panel = new ConversationPanel(me, { action: (a) => void this.act(a), send: (text) => void this.send(text) });
    this.side = new SidePanel((text) => this.panel.insert(text));
    this.el = h("div", { class: "columns" }, this.queue.el, this.panel.el, this.side.el);
    this.live = new LiveSocket(api.creds, {
      state: (state, retry) => this.liveState(state, retry),
      queue: () => this.refreshQueueSoon(),
      message: (id, m) => {
        if (id === this.selected) this.addMessage(m);
      },
      handoff: (id) => {
        if (id === this.selected) this.refreshConversationSoon();
      },
      rejected: () => this.signOut(t("live.rejected")),
    });
  }

  start(): void {
    this.live.start();
    void this.refreshQueue();
    this.tickTimer = window.setInterval(() => this.queue.tick(), TICK_MS);
  }

  stop(): void {
    this.stopped = true;
    this.live.stop();
    for (const timer of [this.queueTimer, this.convTimer]) window.clearTimeout(timer);
    for (const timer of [this.pollTimer, this.tickTimer]) window.clearInterval(timer);
  }

  // After a language switch (static labels are relabelled by the caller).
  relabel(): void {
    this.queue.render();
    this.panel.relabel();
    this.side.render();
  }

  private liveState(state: LiveState, retryInSeconds: number): void {
    this.header.setLive(state, retryInSeconds);
    if (state === "open") {
      window.clearInterval(this.pollTimer);
      this.pollTimer = undefined;
      // Whatever happened while the socket was down is only in the current state.
      void this.refreshQueue();
      if (this.selected) void this.loadConversation();
    } else if (this.pollTimer === undefined) {
      // Without the socket nothing says what changed: read the queue, and the open
      // conversation (new shopper messages), every few seconds.
      this.pollTimer = window.setInterval(() => {
        void this.refreshQueue();
        if (this.selected) void this.loadConversation();
      }, POLL_MS);
    }
  }

  // A 401 or 403 means the key or the name is no longer accepted: back to sign-in, saying why.
  private refused(e: unknown): boolean {
    if (e instanceof ApiError && (e.status === 401 || e.status === 403)) {
      if (!this.stopped) this.signOut(e.message); // once, however many reads were refused
      return true;
    }
    return false;
  }

  private refreshQueueSoon(): void {
    window.clearTimeout(this.queueTimer);
    this.queueTimer = window.setTimeout(() => void this.refreshQueue(), DEBOUNCE_MS);
  }

  private async refreshQueue(): Promise<void> {
    let tickets: Ticket[];
    try {
      tickets = await this.api.queue();
    } catch (e) {
      if (!this.stopped && !this.refused(e)) this.queue.failed((e as Error).message);
      return;
    }
    if (this.stopped) return;
    if (this.seenQueue) {
      for (const ticket of tickets) {
        if (!this.seenQueue.has(ticket.conversation_id) && ticket.status === "queued") {
          announce(t("announce.queued", { priority: `P${ticket.priority}`, reason: reasonLabel(ticket.reason) }));
        }
      }
    }
    this.seenQueue = new Set(tickets.map((ticket) => ticket.conversation_id));
    this.tickets = tickets;
    this.queue.update(tickets);
    // Another agent took or dropped the open conversation: while the socket is down the queue
    // is the only place that shows it.
    if (this.selected && this.data) {
      const listed = tickets.find((ticket) => ticket.conversation_id === this.selected);
      if (holder(listed) !== holder(this.data.ticket) && this.data.ticket?.status !== "closed") {
        this.refreshConversationSoon();
      }
    }
    if (!this.data) this.render(); // the side panel shows the queue's copy of the ticket meanwhile
  }

  private select(id: string): void {
    if (id === this.selected) {
      this.panel.focusReply();
      return;
    }
    if (this.selected) this.drafts.set(this.selected, this.panel.draft);
    this.selection++;
    this.selected = id;
    this.data = null;
    this.loading = true;
    this.loadError = "";
    this.actionError = "";
    this.busy = false;
    this.seenMessages = null;
    this.queue.select(id);
    this.live.watch(id);
    this.render();
    this.panel.draft = this.drafts.get(id) ?? "";
    this.side.setSuggestions({ list: null, error: "" });
    void this.loadConversation();
    void this.loadSuggestions();
    // Stacked columns on a phone: the conversation is below the queue.
    if (window.matchMedia("(max-width: 900px)").matches) this.panel.el.scrollIntoView({ block: "start" });
  }

  private refreshConversationSoon(): void {
    window.clearTimeout(this.convTimer);
    this.convTimer = window.setTimeout(() => void this.loadConversation(), DEBOUNCE_MS);
  }

  private async loadConversation(): Promise<void> {
    const id = this.selected;
    const selection = this.selection;
    if (!id) return;
    let data: ConversationData;
    try {
      data = await this.api.conversation(id);
    } catch (e) {
      if (selection !== this.selection || this.stopped || this.refused(e)) return;
      this.loading = false;
      this.loadError = t("conv.failed", { message: (e as Error).message });
      this.render();
      return;
    }
    if (selection !== this.selection || this.stopped) return;
    // A closed ticket is no longer served: keep showing "closed" rather than "no ticket".
    if (!data.ticket && this.data?.ticket?.status === "closed") data.ticket = this.data.ticket;
    const fresh = this.noteMessages(data.messages);
    this.data = data;
    this.loading = false;
    this.loadError = "";
    this.render();
    if (fresh) void this.loadSuggestions();
  }

  private async loadSuggestions(): Promise<void> {
    const id = this.selected;
    const selection = this.selection;
    if (!id) return;
    try {
      const list = await this.api.suggestions(id);
      if (selection === this.selection) this.side.setSuggestions({ list, error: "" });
    } catch (e) {
      if (selection === this.selection && !this.refused(e)) this.side.setSuggestions({ list: [], error: (e as Error).message });
    }
  }

  // Records the messages as seen and announces the shopper's new ones; true when there was one.
  private noteMessages(messages: Message[]): boolean {
    const first = this.seenMessages === null;
    const seen = (this.seenMessages ??= new Set());
    let fresh = false;
    for (const m of messages) {
      if (seen.has(m.id)) continue;
      seen.add(m.id);
      if (!first && m.role === "user") {
        announce(t("announce.message", { text: m.text }));
        fresh = true;
      }
    }
    return fresh;
  }

  // A message from the socket or from our own send. Turns are announced with id 0 (the bot's
  // reply comes with a trace only from the server's history), so those are read afresh.
  private addMessage(m: Message): void {
    if (!m.id || !this.data) {
      this.refreshConversationSoon();
      return;
    }
    if (this.data.messages.some((known) => known.id === m.id)) return;
    const fresh = this.noteMessages([m]);
    this.data = { ...this.data, messages: [...this.data.messages, m] };
    this.render();
    if (fresh) void this.loadSuggestions();
  }

  private async act(action: TicketAction): Promise<void> {
    const id = this.selected;
    const selection = this.selection;
    if (!id || this.busy) return;
    this.busy = true;
    this.actionError = "";
    this.render();
    try {
      const ticket = await this.api.act(id, action);
      if (selection === this.selection && this.data) this.data = { ...this.data, ticket };
    } catch (e) {
      if (this.refused(e)) return;
      if (selection === this.selection) {
        const message = (e as Error).message;
        this.actionError = e instanceof ApiError && e.status === 409
          ? t("conv.conflict", { message })
          : t("conv.actionFailed", { message });
      }
    }
    if (selection !== this.selection) return;
    this.busy = false;
    this.render();
    if (action === "claim" && !this.actionError) this.panel.focusReply();
    // The answer has the ticket; the history has the system notice the action added.
    this.refreshQueueSoon();
    this.refreshConversationSoon();
  }

  private async send(text: string): Promise<void> {
    const id = this.selected;
    const selection = this.selection;
    if (!id || this.busy) return;
    this.busy = true;
    this.actionError = "";
    this.render();
    try {
      const m = await this.api.send(id, text);
      if (selection !== this.selection) return;
      this.panel.draft = "";
      this.addMessage(m);
    } catch (e) {
      if (this.refused(e) || selection !== this.selection) return;
      this.actionError = t("reply.failed", { message: (e as Error).message });
      // Most likely the conversation changed hands: show who holds it now.
      if (e instanceof ApiError && e.status === 409) this.refreshConversationSoon();
    } finally {
      if (selection === this.selection) {
        this.busy = false;
        this.render();
      }
    }
  }

  private render(): void {
    const listed = this.tickets.find((ticket) => ticket.conversation_id === this.selected) ?? null;
    this.panel.render({
      id: this.selected,
      data: this.data,
      loading: this.loading,
      error: this.actionError || this.loadError,
      busy: this.busy,
    });
    this.side.show(this.selected !== null, this.data ? this.data.ticket : listed, this.data);
  }
}

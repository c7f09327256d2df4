// The middle column: the open conversation's messages (with the bot's traces), the ticket's
// claim / release / close buttons and the reply box. It draws what the console controller
// hands it and reports the agent's actions back; it calls no API itself.
import type { ConversationData, Message, TicketAction } from "./api";
import { h } from "./dom";
import { clock, langLabel, reasonLabel, statusLabel, toDate } from "./format";
import { lang, t, type Key } from "./i18n";
import { traceBody, traceSummary } from "./trace";

export interface ConversationState {
  id: string | null;
  data: ConversationData | null;
  loading: boolean;
  error: string; // already worded for the agent
  busy: boolean; // an action or a reply is on its way
}

export interface ConversationHandlers {
  action(action: TicketAction): void;
  send(text: string): void;
}

const ROLES = new Set(["user", "assistant", "agent", "system"]);

export class ConversationPanel {
  readonly el: HTMLElement;
  private body: HTMLElement;
  private placeholder: HTMLElement;
  private title: HTMLElement;
  private status: HTMLElement;
  private meta: HTMLElement;
  private buttons: Record<TicketAction, HTMLButtonElement>;
  private alert: HTMLElement;
  private list: HTMLOListElement;
  private reply: HTMLTextAreaElement;
  private sendButton: HTMLButtonElement;
  private lockNote: HTMLElement;
  private state: ConversationState = { id: null, data: null, loading: false, error: "", busy: false };
  // Rendered messages by id, reused while unchanged so open traces and focus survive a refresh.
  private rendered = new Map<number, { sig: string; el: HTMLLIElement }>();

  constructor(private me: string, private on: ConversationHandlers) {
    const button = (action: TicketAction, key: Key) =>
      h("button", { type: "button", id: action, class: `btn btn-${action}`, i18n: key, onclick: () => this.on.action(action) });
    this.buttons = { claim: button("claim", "conv.claim"), release: button("release", "conv.release"), close: button("close", "conv.close") };
    this.title = h("h2", { id: "conv-title", class: "col-title" });
    this.status = h("span", { class: "conv-status" });
    this.meta = h("p", { class: "conv-meta" });
    this.alert = h("p", { class: "conv-alert", role: "alert" });
    this.list = h("ol", { class: "conv-msgs", "i18n-aria-label": "conv.messages", tabindex: "0" });
    this.lockNote = h("p", { id: "reply-lock", class: "reply-lock", i18n: "reply.locked" });
    this.reply = h("textarea", {
      id: "reply-text", rows: 3, "i18n-placeholder": "reply.placeholder", "aria-describedby": "reply-lock",
      onkeydown: (e) => this.replyKey(e as KeyboardEvent),
    });
    this.sendButton = h("button", { type: "submit", id: "reply-send", class: "btn btn-primary", i18n: "reply.send" });
    const form = h("form", { class: "reply", onsubmit: (e) => this.submit(e) },
      h("label", { for: "reply-text", class: "reply-label", i18n: "reply.label" }),
      this.reply,
      h("div", { class: "reply-row" }, this.lockNote, this.sendButton));
    this.placeholder = h("p", { class: "col-note", i18n: "conv.none" });
    this.body = h("div", { class: "conv-body" },
      h("div", { class: "conv-head" },
        h("div", { class: "conv-heading" }, this.title, this.status),
        h("div", { class: "conv-actions", role: "group", "i18n-aria-label": "conv.actions" },
          this.buttons.claim, this.buttons.release, this.buttons.close)),
      this.meta,
      this.alert,
      this.list,
      form);
    this.el = h("section", { class: "col col-conv", "aria-labelledby": "conv-title" }, this.placeholder, this.body);
    this.render(this.state);
  }

  render(state: ConversationState): void {
    if (state.id !== this.state.id) {
      this.rendered.clear();
      this.list.replaceChildren();
    }
    this.state = state;
    this.placeholder.hidden = state.id !== null;
    this.body.hidden = state.id === null;
    if (state.id === null) return;

    const ticket = state.data?.ticket ?? null;
    this.title.textContent = t("conv.titleId", { id: state.id });
    this.status.textContent = state.data ? statusLabel(ticket, this.me) : "";
    this.status.className = `conv-status status-${ticket?.status ?? "none"}`;
    this.meta.textContent = ticket
      ? [reasonLabel(ticket.reason), `P${ticket.priority}`, langLabel(ticket.lang)].filter(Boolean).join(" · ")
      : "";

    const queued = ticket?.status === "queued";
    const mine = ticket?.status === "claimed" && ticket.agent === this.me;
    this.buttons.claim.disabled = state.busy || !queued;
    this.buttons.release.disabled = state.busy || !mine;
    this.buttons.close.disabled = state.busy || !(queued || mine);
    this.reply.disabled = !mine;
    this.sendButton.disabled = !mine || state.busy;
    this.lockNote.hidden = mine;

    // Unchanged text is left alone: rewriting a role=alert node makes screen readers repeat it.
    if (this.alert.textContent !== state.error) this.alert.textContent = state.error;
    this.alert.hidden = !state.error;

    this.renderMessages(state.data?.messages ?? []);
  }

  // After a language switch: the cached messages carry the old words.
  relabel(): void {
    this.rendered.clear();
    this.list.replaceChildren();
    this.render(this.state);
  }

  // Puts a suggestion at the caret (replacing any selection) without sending it.
  insert(text: string): void {
    const r = this.reply;
    const start = r.selectionStart ?? r.value.length;
    const end = r.selectionEnd ?? r.value.length;
    r.setRangeText(text, start, end, "end");
    if (!r.disabled) r.focus();
  }

  // The reply box's text: kept per conversation by the controller, emptied once sent.
  get draft(): string {
    return this.reply.value;
  }

  set draft(text: string) {
    this.reply.value = text;
  }

  focusReply(): void {
    if (!this.reply.disabled) this.reply.focus();
  }

  private submit(e: Event): void {
    e.preventDefault();
    const text = this.reply.value.trim();
    if (text && !this.reply.disabled && !this.state.busy) this.on.send(text);
  }

  // Enter sends and Shift+Enter breaks the line; Enter that ends an IME composition (pinyin)
  // only confirms the characters.
  private replyKey(e: KeyboardEvent): void {
    if (e.key !== "Enter" || e.shiftKey || e.isComposing || e.keyCode === 229) return;
    e.preventDefault();
    this.reply.form?.requestSubmit();
  }

  private renderMessages(messages: Message[]): void {
    const l = this.list;
    const atBottom = l.scrollHeight - l.scrollTop - l.clientHeight < 80 || l.childElementCount === 0;
    const wanted = messages.length
      ? messages.map((m) => this.messageElement(m))
      : [h("li", { class: "conv-empty" }, this.state.loading ? t("conv.loading") : t("conv.empty"))];
    // Only what changed moves: a focused trace toggle stays focused through a refresh.
    wanted.forEach((el, i) => {
      if (l.children[i] !== el) l.insertBefore(el, l.children[i] ?? null);
    });
    while (l.childElementCount > wanted.length) l.lastElementChild?.remove();
    if (atBottom) l.scrollTop = l.scrollHeight;
  }

  private messageElement(m: Message): HTMLLIElement {
    const hasTrace = !!m.trace && Object.keys(m.trace).length > 0;
    const sig = [lang(), m.role, m.text, m.created_at, m.intent ?? "", hasTrace].join("\u0001");
    const cached = m.id ? this.rendered.get(m.id) : undefined;
    if (cached?.sig === sig) return cached.el;
    const role = ROLES.has(m.role) ? m.role : "system";
    const at = toDate(m.created_at);
    const el = h("li", { class: `conv-msg ${role}`, "data-message-id": m.id || null },
      h("div", { class: "msg-meta" },
        h("span", { class: "msg-role" }, t(`role.${role}` as Key)),
        at ? h("time", { datetime: at.toISOString() }, clock(m.created_at)) : null,
        role === "user" && m.intent ? h("span", { class: "tag" }, m.intent) : null),
      h("div", { class: "msg-text" }, m.text),
      hasTrace && m.trace ? traceElement(m.trace) : null);
    if (m.id) this.rendered.set(m.id, { sig, el });
    return el;
  }
}

// A <details>, closed: a native disclosure that keyboards and screen readers already know.
function traceElement(trace: NonNullable<Message["trace"]>): HTMLDetailsElement {
  return h("details", { class: "trace" }, h("summary", null, traceSummary(trace)), traceBody(trace));
}

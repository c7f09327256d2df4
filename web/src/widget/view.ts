// The widget's DOM: a launcher and a chat panel inside a shadow root, so that the shop's CSS
// cannot reach in, and the message log's entries. No state about the conversation lives here.
import css from "./widget.css?inline";
import { h, icon, ICON_CHAT, ICON_CLOSE, ICON_SEND, richText, timeEl } from "./dom";
import { bind, relocalize, type Key, type Lang } from "./i18n";

export type Mode = "bubble" | "page";
export type State = "connecting" | "ready" | "offline";

export const MAX_CHARS = 2000;
const COUNTER_FROM = 1800; // the counter shows near the limit only

export interface MessageView {
  role: string;
  text: string;
  at?: string | number;
  id?: number;
  intent?: string;
  agent?: string;
}

export class View {
  readonly host = h("div", { id: "kefu-widget" });
  readonly root = this.host.attachShadow({ mode: "open" });
  readonly log = h("div", { class: "log", role: "log", "aria-live": "polite", tabindex: "-1" });
  readonly input = h("textarea", { id: "kefu-input", rows: "1", maxlength: String(MAX_CHARS) });
  readonly sendButton = h("button", { class: "send", type: "submit" }, icon(ICON_SEND));
  readonly form = h("form", { class: "composer" });
  readonly langButton = h("button", { class: "lang", type: "button" });
  readonly launcher: HTMLButtonElement | null = null;
  readonly closeButton: HTMLButtonElement | null = null;
  readonly panel = h("section", { class: "panel", id: "kefu-panel" });
  private readonly subtitle = h("p", { class: "subtitle" });
  private readonly banner = h("div", { class: "banner", role: "status", hidden: "" });
  private readonly counter = h("span", { class: "counter", hidden: "" });
  private readonly badge = h("span", { class: "badge", "aria-hidden": "true", hidden: "" });
  private unread = 0;

  constructor(
    readonly mode: Mode,
    public lang: Lang,
    title: string | null,
  ) {
    this.host.dataset.mode = mode;
    // Inline !important: the only styles a shop's rules (say `div { ... !important }`) cannot
    // override on the host. Everything inside is the shadow root's.
    const place = mode === "page" ? ["inset:0", "background:#eef0f3"] : ["right:20px", "bottom:20px"];
    this.host.style.cssText = ["all:initial", "display:block", "position:fixed", "z-index:2147483000", ...place]
      .map((rule) => rule + "!important")
      .join(";");
    this.host.lang = lang === "zh" ? "zh-CN" : "en";
    const heading = h("h2", { class: "title", id: "kefu-title" });
    if (title) heading.textContent = title;
    else bind(heading, lang, "title");
    bind(this.subtitle, lang, "subtitle");
    bind(this.langButton, lang, "langButton");
    bind(this.langButton, lang, "langSwitch", "aria-label");
    bind(this.log, lang, "conversation", "aria-label");
    bind(this.banner, lang, "offline");
    bind(this.input, lang, "placeholder", "placeholder");
    bind(this.sendButton, lang, "send", "aria-label");
    this.panel.setAttribute("aria-labelledby", "kefu-title");

    const titles = h("div", { class: "titles" }, heading, this.subtitle);
    const header = h("header", { class: "bar" }, titles, this.langButton);
    if (mode === "bubble") {
      this.closeButton = h("button", { class: "close", type: "button" }, icon(ICON_CLOSE));
      bind(this.closeButton, lang, "close", "aria-label");
      header.append(this.closeButton);
      const attrs = { class: "launcher", type: "button", "aria-expanded": "false", "aria-controls": "kefu-panel" };
      this.launcher = bind(h("button", attrs, icon(ICON_CHAT), this.badge), lang, "open", "aria-label");
      this.panel.hidden = true;
    }
    const label = bind(h("label", { for: "kefu-input", class: "sr-only" }), lang, "inputLabel");
    this.form.append(label, this.input, this.sendButton, this.counter);
    this.panel.append(header, this.banner, this.log, this.form);
    this.root.append(h("style", null, css), this.panel);
    if (this.launcher) this.root.append(this.launcher);
    this.input.addEventListener("input", () => this.fit());
  }

  setLang(lang: Lang): void {
    this.lang = lang;
    this.host.lang = lang === "zh" ? "zh-CN" : "en";
    relocalize(this.root, lang);
  }

  setState(state: State): void {
    this.host.dataset.state = state;
    this.banner.hidden = state !== "offline";
  }

  setAgent(agent: string): void {
    if (agent) bind(this.subtitle, this.lang, "subtitleAgent", "", { agent });
    else bind(this.subtitle, this.lang, "subtitle");
  }

  setOpen(open: boolean): void {
    if (!this.launcher) return;
    this.panel.hidden = !open;
    this.host.toggleAttribute("data-open", open);
    this.launcher.setAttribute("aria-expanded", String(open));
    bind(this.launcher, this.lang, open ? "close" : "open", "aria-label");
    this.launcher.replaceChildren(icon(open ? ICON_CLOSE : ICON_CHAT), this.badge);
    if (open) {
      this.unread = 0;
      this.badge.hidden = true;
      this.scrollDown();
    }
  }

  // Counts a reply that arrived while the bubble panel was closed.
  noteUnread(): void {
    if (!this.launcher || !this.panel.hidden) return;
    this.badge.textContent = String(++this.unread);
    this.badge.hidden = false;
  }

  // Grows the textarea with its text (up to the CSS max-height) and shows the counter near the limit.
  fit(): void {
    this.input.style.height = "auto";
    this.input.style.height = this.input.scrollHeight + 2 + "px";
    const n = this.input.value.length;
    this.counter.hidden = n < COUNTER_FROM;
    this.counter.textContent = `${n}/${MAX_CHARS}`;
    this.counter.classList.toggle("full", n >= MAX_CHARS);
  }

  // A message bubble in its row (with its time); returns the bubble (.msg).
  addMessage(m: MessageView): HTMLElement {
    const msg = h("div", { class: `msg ${m.role}` });
    if (m.id) msg.dataset.id = String(m.id);
    if (m.intent !== undefined) msg.dataset.intent = m.intent;
    if (m.role === "agent") {
      msg.append(bind(h("span", { class: "who" }), this.lang, "agent", "", { agent: m.agent ?? "" }));
    }
    msg.append(...richText(m.text));
    this.append(h("div", { class: `row ${m.role}` }, msg, timeEl(m.at)), m.role === "user");
    return msg;
  }

  setText(msg: HTMLElement, text: string): void {
    const stick = this.atBottom();
    msg.replaceChildren(...richText(text));
    if (stick) this.scrollDown();
  }

  // A note from the widget itself (not stored on the server), styled as a system message.
  addNote(key: Key, args?: Record<string, string>): HTMLElement {
    const msg = this.addMessage({ role: "system", text: "" });
    return msg.appendChild(bind(h("span"), this.lang, key, "", args));
  }

  // The typing indicator; the caller removes it.
  addTyping(): HTMLElement {
    const dots = h("div", { class: "typing", role: "status" }, h("span"), h("span"), h("span"));
    const row = h("div", { class: "row assistant" }, bind(dots, this.lang, "typing", "aria-label"));
    this.append(row);
    return row;
  }

  // An error bubble with a retry button, placed after `after` (the failed message's row). Errors
  // the widget itself names (no connection, a cut-off reply) follow the language switch; the
  // server's own messages are shown as they came.
  addError(after: Element, code: string, message: string, retry: () => void): HTMLElement {
    const why = h("span");
    if (code === "network" || code === "incomplete") bind(why, this.lang, code);
    else why.textContent = message;
    const button = bind(h("button", { class: "retry", type: "button" }), this.lang, "retry");
    button.addEventListener("click", retry);
    const msg = h("div", { class: "msg error", role: "alert" }, bind(h("span"), this.lang, "failed"), why, button);
    const row = h("div", { class: "row error" }, msg);
    after.after(row);
    if (this.atBottom()) this.scrollDown();
    return row;
  }

  // Cards, citations or quick replies under a message.
  addExtra(node: HTMLElement): void {
    this.append(h("div", { class: "row extra" }, node));
  }

  scrollDown(): void {
    this.log.scrollTop = this.log.scrollHeight;
  }

  private atBottom(): boolean {
    return this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < 48;
  }

  // Keeps the newest message in view unless the shopper scrolled up to read older ones.
  private append(node: HTMLElement, force = false): void {
    const stick = force || this.atBottom();
    this.log.append(node);
    if (stick) this.scrollDown();
  }
}

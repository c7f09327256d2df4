// The live queue column, in the server's order (priority, then mood, then age). Each item is a
// button; the arrow keys move between them.
import type { Ticket } from "./api";
import { h, fill, srOnly } from "./dom";
import { langLabel, moodLook, reasonLabel, statusLabel, waited } from "./format";
import { t } from "./i18n";

export class QueueView {
  readonly el: HTMLElement;
  private list: HTMLUListElement;
  private count: HTMLElement;
  private note: HTMLElement;
  private tickets: Ticket[] = [];
  private selected: string | null = null;
  private error = "";

  constructor(private me: string, private onSelect: (id: string) => void) {
    this.count = h("span", { class: "count" });
    this.note = h("p", { class: "col-note", role: "status" });
    this.list = h("ul", { class: "queue-list", "i18n-aria-label": "queue.title", onkeydown: (e) => this.arrows(e as KeyboardEvent) });
    this.el = h("section", { class: "col col-queue", "aria-labelledby": "queue-title" },
      h("h2", { id: "queue-title", class: "col-title" }, h("span", { i18n: "queue.title" }), " ", this.count),
      this.note,
      this.list);
  }

  update(tickets: Ticket[]): void {
    this.tickets = tickets;
    this.error = "";
    this.render();
  }

  // Keeps the last list on screen: a failed refresh says so but shows what was known.
  failed(message: string): void {
    this.error = message;
    this.renderNote();
  }

  select(id: string | null): void {
    this.selected = id;
    for (const item of this.list.querySelectorAll<HTMLElement>(".queue-item")) {
      const on = item.dataset.conversationId === id;
      item.classList.toggle("selected", on);
      if (on) item.setAttribute("aria-current", "true");
      else item.removeAttribute("aria-current");
    }
  }

  render(): void {
    const focused = (document.activeElement as HTMLElement | null)?.dataset?.conversationId;
    fill(this.list, this.tickets.map((ticket) => h("li", null, this.item(ticket))));
    this.count.textContent = this.tickets.length ? `(${this.tickets.length})` : "";
    this.count.title = t("queue.count", { n: this.tickets.length });
    this.renderNote();
    this.select(this.selected);
    // A refresh replaces the buttons: keep the keyboard where it was.
    if (focused) this.itemFor(focused)?.focus();
  }

  // Re-renders the waiting times, which change without any event.
  tick(): void {
    for (const el of this.list.querySelectorAll<HTMLTimeElement>("time.qi-wait")) {
      el.textContent = t("queue.waiting", { time: waited(el.dateTime) });
    }
  }

  private renderNote(): void {
    const text = this.error ? t("queue.failed", { message: this.error }) : this.tickets.length ? "" : t("queue.empty");
    if (this.note.textContent !== text) this.note.textContent = text; // a rewrite is read out again
    this.note.hidden = !text;
    this.note.classList.toggle("error", !!this.error);
  }

  private itemFor(id: string): HTMLElement | null {
    return [...this.list.querySelectorAll<HTMLElement>(".queue-item")].find((b) => b.dataset.conversationId === id) ?? null;
  }

  private item(ticket: Ticket): HTMLButtonElement {
    const mood = moodLook(ticket.mood);
    const prio = Math.max(0, Math.min(2, Math.round(ticket.priority || 0)));
    const lastShopperLine = [...(ticket.summary?.last_turns ?? [])].reverse().find((turn) => turn.role === "user")?.text;
    const strength = Math.min(1, Math.abs(ticket.mood || 0)) * 50;
    const fillBar = h("span", { class: "mood-fill" });
    fillBar.style.width = `${strength}%`;
    fillBar.style[(ticket.mood || 0) < 0 ? "right" : "left"] = "50%";
    return h("button", {
      type: "button",
      class: `queue-item prio-${prio} mood-${mood.level}`,
      "data-conversation-id": ticket.conversation_id,
      "data-status": ticket.status,
      onclick: () => this.onSelect(ticket.conversation_id),
    },
      h("span", { class: "qi-row" },
        h("span", { class: `badge prio prio-${prio}` }, h("span", { "aria-hidden": "true" }, `P${ticket.priority}`),
          srOnly(t("queue.priority", { n: ticket.priority }))),
        h("span", { class: "qi-reason" }, reasonLabel(ticket.reason)),
        ticket.lang ? h("span", { class: "qi-lang", title: langLabel(ticket.lang) },
          h("span", { "aria-hidden": "true" }, ticket.lang.toUpperCase()), srOnly(t("queue.lang", { lang: langLabel(ticket.lang) }))) : null),
      h("span", { class: "qi-row qi-mood", title: mood.label },
        h("span", { class: "mood-emoji", "aria-hidden": "true" }, mood.emoji),
        h("span", { class: "mood-bar", "aria-hidden": "true" }, fillBar),
        srOnly(mood.label)),
      lastShopperLine ? h("span", { class: "qi-preview" }, lastShopperLine) : null,
      h("span", { class: "qi-row qi-foot" },
        h("time", { class: "qi-wait", datetime: ticket.queued_at }, t("queue.waiting", { time: waited(ticket.queued_at) })),
        h("span", { class: `qi-status status-${ticket.status}` }, statusLabel(ticket, this.me))));
  }

  private arrows(e: KeyboardEvent): void {
    if (e.key !== "ArrowDown" && e.key !== "ArrowUp") return;
    const items = [...this.list.querySelectorAll<HTMLElement>(".queue-item")];
    const at = items.indexOf(document.activeElement as HTMLElement);
    if (at < 0) return;
    const next = items[at + (e.key === "ArrowDown" ? 1 : -1)];
    if (next) {
      e.preventDefault();
      next.focus();
    }
  }
}

// The right column: the ticket's summary, the customer and the order the shopper verified, and
// suggested replies that go into the reply box (never straight to the shopper).
import type { ConversationData, Order, Suggestion, Ticket } from "./api";
import { dl, fill, h, srOnly } from "./dom";
import { clock, moodLook, reasonLabel, toDate } from "./format";
import { t, tMaybe, type Key } from "./i18n";
import { slots } from "./trace";

export interface Suggestions {
  list: Suggestion[] | null; // null while loading
  error: string;
}

export class SidePanel {
  readonly el: HTMLElement;
  private placeholder: HTMLElement;
  private parts: HTMLElement;
  private summary: HTMLElement;
  private customer: HTMLElement;
  private order: HTMLElement;
  private suggestionList: HTMLElement;
  private data: ConversationData | null = null;
  private ticket: Ticket | null = null;
  private shown = false;
  private suggested: Suggestions = { list: null, error: "" };

  constructor(private onInsert: (text: string) => void) {
    const part = (id: string, key: Key) => h("section", { id, class: "side-part", "aria-labelledby": id + "-title" },
      h("h3", { id: id + "-title", i18n: key }));
    this.summary = part("side-summary", "side.summary");
    this.customer = part("side-customer", "side.customer");
    this.order = part("side-order", "side.order");
    this.suggestionList = h("ul", { class: "suggestions" });
    const suggestions = part("side-suggestions", "side.suggestions");
    suggestions.append(h("p", { class: "muted", i18n: "side.suggestionsHint" }), this.suggestionList);
    this.placeholder = h("p", { class: "col-note", i18n: "side.none" });
    this.parts = h("div", { class: "side-parts" }, this.summary, this.customer, this.order, suggestions);
    this.el = h("aside", { class: "col col-side", "aria-labelledby": "side-title" },
      h("h2", { id: "side-title", class: "col-title", i18n: "side.title" }), this.placeholder, this.parts);
    this.render();
  }

  // `ticket` is the best known ticket: the conversation's own, else the queue's copy while the
  // conversation loads. `shown` is false when no conversation is selected.
  show(shown: boolean, ticket: Ticket | null, data: ConversationData | null): void {
    this.shown = shown;
    this.ticket = ticket;
    this.data = data;
    this.render();
  }

  setSuggestions(s: Suggestions): void {
    this.suggested = s;
    this.renderSuggestions();
  }

  render(): void {
    this.placeholder.hidden = this.shown;
    this.parts.hidden = !this.shown;
    if (!this.shown) return;
    replaceBody(this.summary, this.summaryBody());
    replaceBody(this.customer, this.customerBody());
    replaceBody(this.order, this.data?.order ? orderBody(this.data.order) : note("side.noOrder"));
    this.renderSuggestions();
  }

  private summaryBody(): HTMLElement {
    const ticket = this.ticket;
    if (!ticket) return note("side.noSummary");
    const s = ticket.summary ?? {};
    const mood = moodLook(ticket.mood);
    return h("div", null,
      dl([
        [t("side.reason"), reasonLabel(ticket.reason || s.reason)],
        [t("side.priority"), `P${ticket.priority}`],
        [t("trace.mood"), [h("span", { "aria-hidden": "true" }, mood.emoji + " "), mood.label]],
        [t("side.intent"), s.intent],
        [t("side.flow"), s.flow],
        [t("side.orderId"), s.order_id],
        [t("side.verified"), s.order_id && s.verified !== undefined ? t(s.verified ? "yes" : "no") : null],
        [t("side.slots"), slots(s.slots)],
      ]),
      s.summary?.length ? h("div", null, h("h4", { i18n: "side.summaryLines" }), h("ul", { class: "lines" }, s.summary.map((line) => h("li", null, line)))) : null,
      s.last_turns?.length ? h("div", null, h("h4", { i18n: "side.lastTurns" }),
        h("ol", { class: "turns" }, s.last_turns.map((turn) => h("li", { class: `turn ${turn.role}` },
          h("span", { class: "turn-role" }, tMaybe("role." + turn.role) ?? turn.role), " ", turn.text)))) : null);
  }

  private customerBody(): HTMLElement {
    const c = this.data?.customer;
    if (!c) return note("side.noCustomer");
    return dl([
      [t("customer.name"), c.name],
      [t("customer.phone"), c.phone],
      [t("customer.city"), c.city],
      [t("customer.member"), c.member_level],
      [t("customer.orders"), c.orders_count !== undefined ? String(c.orders_count) : null],
    ]) ?? note("side.noCustomer");
  }

  private renderSuggestions(): void {
    const { list, error } = this.suggested;
    if (error) {
      fill(this.suggestionList, h("li", { class: "muted" }, t("side.suggestionsFailed", { message: error })));
    } else if (list === null) {
      fill(this.suggestionList, h("li", { class: "muted" }, t("conv.loading")));
    } else if (!list.length) {
      fill(this.suggestionList, h("li", { class: "muted" }, t("side.noSuggestions")));
    } else {
      fill(this.suggestionList, list.map((s) => h("li", null,
        h("button", { type: "button", class: "suggestion", onclick: () => this.onInsert(s.text) },
          h("span", { class: "suggestion-head" },
            h("strong", null, s.title || s.text.slice(0, 24)),
            s.source ? h("span", { class: "tag" }, tMaybe("suggestion." + s.source) ?? s.source) : null),
          h("span", { class: "suggestion-text" }, s.text)))));
    }
  }
}

function orderBody(o: Order): HTMLElement {
  const events = [...(o.shipment?.events ?? [])].reverse(); // the server lists them oldest first
  return h("div", null,
    dl([
      [t("order.id"), o.order_id ? h("code", null, o.order_id) : null],
      [t("order.status"), o.status_label || o.status ? h("span", { class: `tag order-${o.status ?? ""}` }, o.status_label || o.status || "") : null],
      [t("order.created"), clock(o.created_at)],
      [t("order.total"), o.total],
    ]),
    o.items?.length ? h("div", null, h("h4", { i18n: "order.items" }),
      h("ul", { class: "items" }, o.items.map((i) => h("li", null,
        h("span", { class: "item-name" }, i.name ?? i.sku ?? "?"),
        h("span", { class: "muted" }, ` ${t("order.quantity", { n: i.quantity ?? 1 })}`),
        i.price ? h("span", { class: "item-price" }, i.price) : null)))) : null,
    o.shipment ? dl([
      [t("order.carrier"), o.shipment.carrier],
      [t("order.tracking"), o.shipment.tracking_number ? h("code", null, o.shipment.tracking_number) : null],
      [t("order.shipment"), o.shipment.status],
    ]) : null,
    events.length ? h("div", null, h("h4", { i18n: "order.timeline" }),
      h("ol", { class: "timeline" }, events.map((e, i) => {
        const at = toDate(e.time);
        return h("li", { class: i === 0 ? "latest" : null },
          at ? h("time", { datetime: at.toISOString() }, clock(e.time)) : null,
          e.location ? h("span", { class: "where" }, e.location) : null,
          h("span", { class: "what" }, e.description ?? ""),
          i === 0 ? srOnly(t("order.latest")) : null);
      }))) : null);
}

function note(key: Key): HTMLElement {
  return h("p", { class: "muted", i18n: key });
}

// Keeps a part's heading and replaces what follows it.
function replaceBody(part: HTMLElement, body: HTMLElement): void {
  while (part.childElementCount > 1) part.lastElementChild?.remove();
  part.append(body);
}

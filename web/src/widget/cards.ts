// What a turn draws besides its text (the turn body's `ui`): order and product cards,
// citations and quick replies.
import type { Citation, OrderCard, ProductCard, QuickReply } from "./api";
import { h, shopTime } from "./dom";
import { bind, isKey, type Key, type Lang } from "./i18n";

export function orderCard(c: OrderCard, lang: Lang): HTMLElement {
  const s = c.shipment;
  // The API lists shipment events oldest first; a shopper wants the latest on top.
  const events = [...(s?.events ?? [])].reverse();
  return h(
    "article",
    { class: "card order", "data-order": c.order_id },
    h(
      "header",
      null,
      bind(h("h3"), lang, "order", "", { id: c.order_id }),
      (c.status_label || c.status) &&
        h("span", { class: "status", "data-status": c.status ?? "" }, c.status_label || c.status || ""),
    ),
    c.created_at && bind(h("p", { class: "meta" }), lang, "placed", "", { time: shopTime(c.created_at) }),
    !!c.items?.length &&
      h(
        "ul",
        { class: "items" },
        ...c.items.map((it) =>
          h(
            "li",
            null,
            h("span", { class: "name" }, it.name),
            it.quantity !== undefined &&
              bind(h("span", { class: "qty" }), lang, "quantity", "", { n: it.quantity }),
            it.price && h("span", { class: "price" }, it.price),
          ),
        ),
      ),
    c.total && h("p", { class: "total" }, bind(h("span"), lang, "total"), h("strong", null, c.total)),
    s &&
      h(
        "section",
        { class: "shipment" },
        h(
          "p",
          { class: "carrier" },
          bind(h("span", { class: "label" }), lang, "tracking"),
          [s.carrier, s.tracking_number].filter(Boolean).join(" "),
        ),
        events.length
          ? h(
              "ol",
              { class: "timeline" },
              ...events.map((e) =>
                h(
                  "li",
                  null,
                  h("p", { class: "desc" }, e.description ?? ""),
                  h("p", { class: "when" }, [e.time && shopTime(e.time), e.location].filter(Boolean).join(" · ")),
                ),
              ),
            )
          : bind(h("p", { class: "meta" }), lang, "noEvents"),
      ),
  );
}

export function productCard(c: ProductCard, lang: Lang): HTMLElement {
  const attrs = Object.entries(c.attributes ?? {}).filter(([k]) => !k.endsWith("_en") && !k.endsWith("_zh"));
  return h(
    "article",
    { class: "card product", "data-sku": c.sku ?? "" },
    h("header", null, h("h3", null, c.name), c.price && h("strong", { class: "price" }, c.price)),
    c.stock !== undefined &&
      (c.stock > 0
        ? bind(h("p", { class: "stock" }), lang, "stock", "", { n: c.stock })
        : bind(h("p", { class: "stock out" }), lang, "outOfStock")),
    attrs.length > 0 &&
      h(
        "dl",
        { class: "attrs" },
        ...attrs.flatMap(([k, v]) => {
          // Attributes the widget knows get a translated label; others show their key.
          const key = "attr_" + k;
          return [isKey(key) ? bind(h("dt"), lang, key) : h("dt", null, k), h("dd", null, v)];
        }),
      ),
    c.sku && h("p", { class: "sku" }, c.sku),
  );
}

export function citations(list: Citation[], lang: Lang): HTMLElement {
  return h(
    "aside",
    { class: "citations" },
    bind(h("span", { class: "label" }), lang, "sources"),
    h(
      "ol",
      null,
      ...list.map((c) => h("li", { title: c.doc_id ?? "" }, c.heading ? `${c.title} · ${c.heading}` : c.title)),
    ),
  );
}

// Buttons that send their text when clicked (the caller removes the group once one is used). A
// reply with a `key` is one of the widget's own suggestions: it follows the language switch and
// sends what it currently says.
export function quickReplies(
  list: (QuickReply & { key?: Key })[],
  lang: Lang,
  pick: (text: string) => void,
): HTMLElement {
  const group = h(
    "div",
    { class: "quick-replies", role: "group" },
    ...list.map((q) => {
      const b = h("button", { type: "button" }, q.label || q.text);
      if (q.key) bind(b, lang, q.key);
      b.addEventListener("click", () => pick(q.key ? b.textContent ?? "" : q.text || q.label));
      return b;
    }),
  );
  return bind(group, lang, "suggestions", "aria-label");
}

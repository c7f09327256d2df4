// A small element builder. Everything the server or a shopper wrote is set as text, never as
// HTML, so a message cannot inject markup into the console.
import { applyTexts } from "./i18n";

export type Child = Node | string | number | null | undefined | false;

// Attributes: `class`, any plain attribute (true sets it empty, false/null/undefined leaves it
// out), `on<event>` listeners, and the translated `i18n` (text), `i18n-placeholder`,
// `i18n-aria-label` and `i18n-title`, which applyTexts refreshes when the language changes.
export type Attrs = Record<string, string | number | boolean | null | undefined | ((e: Event) => void)>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs | null = null,
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  let translated = false;
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (typeof value === "function") {
      el.addEventListener(name.slice(2), value);
    } else if (name === "i18n" || name.startsWith("i18n-")) {
      el.setAttribute("data-" + name, String(value));
      translated = true;
    } else if (value === true) {
      el.setAttribute(name, "");
    } else if (value !== false && value !== null && value !== undefined) {
      el.setAttribute(name, String(value));
    }
  }
  append(el, children);
  if (translated) applyTexts(el, false);
  return el;
}

function append(parent: Node, children: (Child | Child[])[]): void {
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    parent.appendChild(typeof c === "object" ? c : document.createTextNode(String(c)));
  }
}

// Replaces an element's children.
export function fill(el: Element, ...children: (Child | Child[])[]): void {
  el.replaceChildren();
  append(el, children);
}

// Text read only by screen readers, e.g. beside a colour or an emoji that carries meaning.
export function srOnly(text: string): HTMLSpanElement {
  return h("span", { class: "sr-only" }, text);
}

// A description list of [label, value] rows; rows without a value are left out, and so is the
// whole list when none has one.
export function dl(rows: [string, Child | Child[]][]): HTMLDListElement | null {
  const kept = rows.filter(([, v]) => v !== null && v !== undefined && v !== "" && v !== false &&
    !(Array.isArray(v) && v.length === 0));
  if (!kept.length) return null;
  return h("dl", { class: "kv" }, kept.flatMap(([k, v]) => [h("dt", null, k), h("dd", null, v)]));
}

// The page's one polite live region. New queue items and shopper messages are read out from
// here rather than from the lists, which re-render and would be read again and again.
let region: HTMLElement | null = null;

export function liveRegion(): HTMLElement {
  region ??= h("div", { id: "announcer", class: "sr-only", "aria-live": "polite" });
  return region;
}

export function announce(text: string): void {
  const line = h("p", null, text);
  liveRegion().append(line);
  window.setTimeout(() => line.remove(), 15_000);
}

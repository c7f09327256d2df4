// Small DOM helpers and the page's alert region.
import { ApiError } from "../shared/http";
import { t, type Key } from "./i18n";

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`admin/index.html lacks #${id}`);
  return el as T;
}

type Child = Node | string | null | undefined | false;

// h("td", {className: "num"}, "12"): an element with properties and children; falsy children
// are skipped so optional parts read inline.
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<HTMLElementTagNameMap[K]> & { dataset?: Record<string, string> } = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  const { dataset, ...rest } = props;
  Object.assign(el, rest);
  if (dataset) Object.assign(el.dataset, dataset);
  for (const c of children) {
    if (c) el.append(c);
  }
  return el;
}

// A table body's single full-width row saying why there is nothing to list.
export function messageRow(columns: number, text: string): HTMLTableRowElement {
  return h("tr", { className: "message-row" }, h("td", { colSpan: columns }, text));
}

// A failure the dashboard itself finds (a missing input, a session the server ended), kept as a
// string key so that it is shown in the language of the moment; `detail` is the server's words.
export class UiError extends Error {
  constructor(public key: Key, public detail = "") {
    super(key);
  }
}

// What to tell the operator about a failure: the server's own message (with its code, which
// the docs and logs use), or a plain sentence when the server could not be reached at all.
export function errorText(e: unknown): string {
  if (e instanceof UiError) return e.detail ? `${t(e.key)} ${e.detail}` : t(e.key);
  if (e instanceof ApiError) {
    return e.status === 0 ? t("errorNetwork") : `${e.message} (${e.code})`;
  }
  return e instanceof Error ? e.message : String(e);
}

// The alert region stays in the page (role="alert" announces what is put in it) and is empty,
// so without height, while there is nothing to say. `source` names the part of the page that
// failed, so that part's next success clears its own error and no other; `context` (a file
// name) says what the failure was about.
let shown: { e: unknown; source: string; context?: string } | null = null;

export function showError(e: unknown, source: string, context?: string): void {
  shown = { e, source, context };
  drawError();
}

// Empties the alert region; with a source, only when it shows that source's error.
export function clearError(source?: string): void {
  if (source !== undefined && shown?.source !== source) return;
  shown = null;
  drawError();
}

// Draws the alert (again after a language switch: the prefix and some messages are ours).
export function drawError(): void {
  const region = byId("alert");
  if (!shown) {
    region.replaceChildren();
    return;
  }
  const { e, context } = shown;
  const close = h("button", { type: "button", className: "alert-close", textContent: "×" });
  close.setAttribute("aria-label", t("dismiss"));
  close.addEventListener("click", () => clearError());
  const message = context ? `${context}: ${errorText(e)}` : errorText(e);
  region.replaceChildren(
    h("div", { className: "alert-box" }, h("p", {}, h("strong", {}, t("errorPrefix")), message), close),
  );
}

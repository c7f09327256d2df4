// Small DOM helpers: element creation, message text with clickable links, and timestamps.

type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> | null = null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (name === "class") el.className = value;
    else el.setAttribute(name, value);
  }
  for (const c of children) if (c) el.append(c);
  return el;
}

// Inline SVG icons (the widget ships no image files).
export function icon(path: string): SVGSVGElement {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  const p = document.createElementNS(ns, "path");
  p.setAttribute("d", path);
  p.setAttribute("fill-rule", "evenodd"); // inner shapes cut out of outer ones
  svg.append(p);
  return svg;
}

export const ICON_CHAT = "M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2zm3 5v2h10V8zm0 4v2h7v-2z";
export const ICON_CLOSE = "M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12l5.6 5.6-1.4 1.4L12 13.4 6.4 19 5 17.6 10.6 12 5 6.4z";
export const ICON_SEND = "M3 20.5 21.5 12 3 3.5v6.6l12 1.9-12 1.9z";

// The text as nodes, with http(s) URLs made into links. Text is never parsed as HTML.
export function richText(text: string): Node[] {
  const nodes: Node[] = [];
  const url = /https?:\/\/[^\s<>"'，。！？、）]+/g;
  let last = 0;
  for (const m of text.matchAll(url)) {
    const href = m[0].replace(/[.,;:!?)]+$/, "");
    const at = m.index ?? 0;
    if (at > last) nodes.push(document.createTextNode(text.slice(last, at)));
    nodes.push(h("a", { href, target: "_blank", rel: "noopener noreferrer" }, href));
    last = at + href.length;
  }
  if (last < text.length) nodes.push(document.createTextNode(text.slice(last)));
  return nodes;
}

function toDate(at: string | number | undefined): Date {
  const d = at === undefined || at === "" ? new Date() : new Date(at);
  return isNaN(d.getTime()) ? new Date() : d;
}

const pad = (n: number) => String(n).padStart(2, "0");

// "14:05" today, "11-21 14:05" this year, "2025-11-21 14:05" before: the same in both languages.
function formatTime(d: Date): string {
  const now = new Date();
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  if (d.toDateString() === now.toDateString()) return time;
  const day = `${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${time}`;
  return d.getFullYear() === now.getFullYear() ? day : `${d.getFullYear()}-${day}`;
}

export function timeEl(at: string | number | undefined): HTMLTimeElement {
  const d = toDate(at);
  return h("time", { datetime: d.toISOString() }, formatTime(d));
}

// An order's or a shipment's time as the shop wrote it ("11-21 08:00"): the same wall clock as
// the bot's reply text, whatever the shopper's own time zone.
export function shopTime(iso: string): string {
  const m = /^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d)/.exec(iso);
  if (!m) return iso;
  const day = `${m[2]}-${m[3]} ${m[4]}:${m[5]}`;
  return Number(m[1]) === new Date().getFullYear() ? day : `${m[1]}-${day}`;
}

// The expandable panel under an assistant message: what the bot understood and did in that
// turn. Each part is drawn only when the trace has it, so older traces and turns that skipped a
// stage (no knowledge base, no tools) still read well.
import type { ToolCall, Trace } from "./api";
import { dl, h, type Child } from "./dom";
import { formatMs, millis, percent, plain } from "./format";
import { t, type Key } from "./i18n";

// Fields drawn by a section below (normalized_lang only repeats lang); any other field is listed
// under "other", so nothing a newer server adds goes unseen.
const KNOWN = new Set(["trace_id", "intent", "confidence", "action", "flow", "awaiting", "verified", "entities",
  "slots", "sentiment", "mood", "sources", "tool_calls", "tools", "stages", "handoff", "lang", "normalized_lang"]);

export function traceSummary(trace: Trace): string {
  const parts = [t("trace.title")];
  if (trace.intent) parts.push(trace.intent + (trace.confidence !== undefined ? ` ${percent(trace.confidence)}` : ""));
  if (trace.sentiment?.emotion) parts.push(trace.sentiment.emotion);
  return parts.join(" · ");
}

// The panel's body.
export function traceBody(trace: Trace): HTMLElement {
  return h("div", { class: "trace-body" },
    dl([
      [t("trace.intent"), trace.intent],
      [t("trace.confidence"), percent(trace.confidence)],
      [t("trace.lang"), trace.lang],
      [t("trace.action"), trace.action],
      [t("trace.flow"), trace.flow],
      [t("trace.awaiting"), trace.awaiting],
      [t("trace.verified"), trace.verified === undefined ? null : t(trace.verified ? "yes" : "no")],
      [t("trace.handoff"), trace.handoff ? [trace.handoff.reason, trace.handoff.priority !== undefined ? ` P${trace.handoff.priority}` : ""].join("") : null],
    ]),
    section("trace.entities", entities(trace)),
    section("trace.slots", slots(trace.slots)),
    section("trace.sentiment", sentiment(trace)),
    section("trace.mood", trace.mood ? dl(Object.entries(trace.mood).map(([k, v]) => [k, plain(v)])) : null),
    section("trace.sources", sources(trace)),
    section("trace.tools", tools(trace.tool_calls ?? trace.tools)),
    section("trace.stages", stages(trace)),
    section("trace.other", other(trace)),
    trace.trace_id ? h("p", { class: "trace-id" }, `${t("trace.id")}: `, h("code", null, trace.trace_id)) : null);
}

function section(title: Key, body: Child): HTMLElement | null {
  if (!body) return null;
  return h("section", { class: "trace-part" }, h("h4", null, t(title)), body);
}

function entities(trace: Trace): HTMLElement | null {
  if (!trace.entities?.length) return null;
  return h("ul", { class: "chips" }, trace.entities.map((e) => h("li", null, h("span", { class: "chip-key" }, e.type ?? "?"), " ", e.value ?? "")));
}

// A slot is a plain value (in ticket summaries) or {value, source, confidence} (in traces).
export function slots(slots: Record<string, unknown> | undefined): HTMLElement | null {
  if (!slots || !Object.keys(slots).length) return null;
  return dl(Object.entries(slots).map(([name, v]) => {
    if (v && typeof v === "object" && "value" in v) {
      const s = v as { value?: unknown; source?: string; confidence?: number };
      const extra = [s.source, percent(s.confidence)].filter(Boolean).join(", ");
      return [name, [plain(s.value), extra ? h("span", { class: "muted" }, ` (${extra})`) : null]];
    }
    return [name, plain(v)];
  }));
}

function sentiment(trace: Trace): Child {
  const s = trace.sentiment;
  if (!s) return null;
  const emotions = Object.entries(s.emotions ?? {}).filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1]);
  return h("div", null,
    dl([
      [t("trace.polarity"), s.polarity],
      [t("trace.emotion"), s.emotion],
      [t("trace.score"), typeof s.score === "number" ? s.score.toFixed(2) : null],
      [t("trace.intensity"), typeof s.intensity === "number" ? s.intensity.toFixed(2) : null],
      [t("trace.threat"), s.threat ? t("yes") : null],
    ]),
    emotions.length ? h("ul", { class: "bars", "aria-label": t("trace.emotions") }, emotions.map(([name, v]) => bar(name, v, v.toFixed(2)))) : null);
}

function sources(trace: Trace): HTMLElement | null {
  if (!trace.sources?.length) return null;
  return h("ol", { class: "sources" }, trace.sources.map((s) => h("li", { class: s.used ? "used" : null },
    h("strong", null, s.title || s.doc_id || "?"),
    s.heading ? ` › ${s.heading}` : "",
    s.doc_id && s.title ? h("span", { class: "muted" }, ` ${s.doc_id}`) : null,
    typeof s.score === "number" ? h("span", { class: "muted" }, ` ${s.score.toFixed(3)}`) : null,
    s.used ? h("span", { class: "tag" }, t("trace.cited")) : null)));
}

function tools(calls: ToolCall[] | undefined): HTMLElement | null {
  if (!calls?.length) return null;
  return h("ul", { class: "tools" }, calls.map((c) => h("li", { class: c.error || c.code === "error" ? "failed" : null },
    h("code", null, c.tool ?? c.name ?? "?"),
    c.code ? ` → ${c.code}` : "",
    c.error ? h("span", { class: "error-text" }, ` ${t("trace.failed")}: ${c.error}`) : null,
    h("span", { class: "muted" }, ` ${formatMs(millis(c.us, c.ms))}`))));
}

function stages(trace: Trace): HTMLElement | null {
  const list = (trace.stages ?? []).map((s) => ({ name: s.name ?? "?", ms: millis(s.us, s.ms) ?? 0, ok: s.ok !== false }));
  if (!list.length) return null;
  const total = list.reduce((sum, s) => sum + s.ms, 0);
  const longest = Math.max(...list.map((s) => s.ms), 1e-9);
  return h("div", null,
    h("ul", { class: "bars" }, list.map((s) => bar(s.name, s.ms / longest, formatMs(s.ms) + (s.ok ? "" : ` ${t("trace.failed")}`)))),
    h("p", { class: "muted" }, `${t("trace.total")} ${formatMs(total)}`));
}

function other(trace: Trace): HTMLElement | null {
  const rest = Object.entries(trace).filter(([k, v]) => !KNOWN.has(k) && v !== null && v !== undefined && v !== "");
  if (!rest.length) return null;
  return h("pre", { class: "trace-json" }, JSON.stringify(Object.fromEntries(rest), null, 2));
}

// One labelled row with a bar whose length is `fraction` (0..1); the number is in the text.
function bar(label: string, fraction: number, value: string): HTMLLIElement {
  const fillBar = h("span", { class: "bar-fill" });
  fillBar.style.width = `${Math.max(0, Math.min(1, fraction)) * 100}%`;
  return h("li", null, h("span", { class: "bar-label" }, label), h("span", { class: "bar", "aria-hidden": "true" }, fillBar),
    h("span", { class: "bar-value" }, value));
}

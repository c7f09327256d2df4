// The overview: number tiles, charts and unanswered questions for the chosen period, fetched
// from GET /v1/admin/stats and refreshed every 30 seconds while the page is visible.
import { getStats, type Stats } from "./api";
import { destroyCharts, drawAutomation, drawIntents, drawLatency, drawMood, drawPerDay } from "./charts";
import { byId, clearError, h, messageRow } from "./dom";
import { fmtClock, fmtDay, fmtDecimal, fmtInt, fmtMs, fmtPercent, fmtTime, t } from "./i18n";
import { adminKey, reportError } from "./session";
import { fillDays, topIntents } from "./stats";

const refreshMs = 30_000;

let days = 14;
let stats: Stats | null = null;
let updatedAt: Date | null = null;
let timer: number | undefined;
let inflight: AbortController | null = null;

// Wires the period switch, the refresh button and the pause while the tab is hidden.
export function initOverview(): void {
  document.querySelectorAll<HTMLInputElement>('input[name="range"]').forEach((radio) => {
    radio.checked = Number(radio.value) === days;
    radio.addEventListener("change", () => {
      days = Number(radio.value);
      // Another period: what is drawn no longer matches until the new numbers arrive.
      delete document.body.dataset.loaded;
      void load();
    });
  });
  byId("refresh").addEventListener("click", () => void load());
  // Polling a hidden tab costs the server for nothing; catch up once it is visible again.
  document.addEventListener("visibilitychange", () => {
    if (timer !== undefined && !document.hidden && (!updatedAt || Date.now() - updatedAt.getTime() >= refreshMs)) {
      void load();
    }
  });
}

export function startOverview(): void {
  stopOverview();
  void load();
  timer = window.setInterval(() => {
    if (!document.hidden) void load();
  }, refreshMs);
}

export function stopOverview(): void {
  window.clearInterval(timer);
  timer = undefined;
  inflight?.abort();
  stats = null;
  updatedAt = null;
  destroyCharts();
  // Nothing of this session's numbers stays for the next key to see, should its first load fail.
  document.querySelectorAll("#overview .tile-value, .latency-stats dd").forEach((el) => (el.textContent = "–"));
  document.querySelectorAll("#note-conversations, #note-turns, #updated-at").forEach((el) => (el.textContent = ""));
  byId("unanswered").querySelector("tbody")!.replaceChildren();
  delete document.body.dataset.loaded;
}

// Fetches the statistics of the chosen period; a newer request (another period, a click on
// refresh) cancels the one still running so an old answer never overwrites a newer one.
async function load(): Promise<void> {
  inflight?.abort();
  const request = new AbortController();
  inflight = request;
  const section = byId("overview");
  section.setAttribute("aria-busy", "true");
  byId("updated-at").textContent = t("refreshing");
  try {
    const fresh = await getStats(adminKey(), days, request.signal);
    if (request.signal.aborted) return;
    stats = fresh;
    updatedAt = new Date();
    clearError("stats");
    drawOverview();
  } catch (e) {
    if (request.signal.aborted) return;
    reportError(e, "stats");
    showUpdatedAt();
  } finally {
    if (inflight === request) {
      inflight = null;
      section.removeAttribute("aria-busy");
    }
  }
}

function showUpdatedAt(): void {
  byId("updated-at").textContent = updatedAt ? t("updatedAt", { time: fmtClock(updatedAt) }) : "";
}

// Draws the last statistics again (also after a language switch, which changes every label).
export function drawOverview(): void {
  if (!stats) return;
  const s = stats;
  const perDay = fillDays(s);
  const { totals } = s;

  byId("total-conversations").textContent = fmtInt(totals.conversations);
  byId("total-turns").textContent = fmtInt(totals.turns);
  byId("total-handoffs").textContent = fmtInt(totals.handoffs);
  byId("automation-rate").textContent = fmtPercent(totals.automation_rate);
  byId("handoff-rate").textContent = fmtPercent(totals.handoff_rate);
  byId("note-conversations").textContent = t("noteRange", { from: fmtDay(s.from), to: fmtDay(s.to) });
  byId("note-turns").textContent =
    totals.conversations > 0 ? t("noteTurns", { n: fmtDecimal(totals.turns / totals.conversations) }) : "";

  drawPerDay(perDay);
  drawAutomation(perDay);
  drawMood(perDay);
  drawIntents(topIntents(s));
  drawLatency(s.latency_ms);
  const hasLatency = s.latency_ms.histogram.some((b) => b.count > 0);
  for (const p of ["p50", "p90", "p99", "max"] as const) {
    byId("latency-" + p).textContent = hasLatency ? fmtMs(s.latency_ms[p]) : "–";
  }
  drawUnanswered(s.unanswered);
  showUpdatedAt();
  // Tests and screenshot scripts wait for this before they look.
  document.body.dataset.loaded = "true";
}

function drawUnanswered(items: Stats["unanswered"]): void {
  const body = byId("unanswered").querySelector("tbody") as HTMLTableSectionElement;
  if (items.length === 0) {
    body.replaceChildren(messageRow(3, t("unansweredEmpty")));
    return;
  }
  const sorted = [...items].sort((a, b) => b.count - a.count);
  body.replaceChildren(
    ...sorted.map((q) =>
      h(
        "tr",
        {},
        h("td", { className: "question" }, q.text),
        h("td", { className: "num" }, fmtInt(q.count)),
        h("td", { className: "time" }, fmtTime(q.last_at)),
      ),
    ),
  );
}

// The overview's five charts. Only the chart.js pieces used here are imported and registered,
// which keeps the bundle small. Every chart sits in a <figure> of admin/index.html with its
// canvas (role="img", a one-sentence summary as aria-label), an empty-state line and a visually
// hidden table holding the same numbers for screen readers.
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartConfiguration,
  type ChartType,
} from "chart.js";
import type { DayStats, Stats } from "./api";
import { h } from "./dom";
import { fmtDay, fmtDecimal, fmtInt, fmtList, fmtMs, fmtPercent, intentName, t } from "./i18n";
import { automationRate, extremes } from "./stats";

Chart.register(
  BarController,
  BarElement,
  LineController,
  LineElement,
  PointElement,
  CategoryScale,
  LinearScale,
  Tooltip,
  Legend,
);
// No animation: screenshots are stable, and the auto-refresh every 30 s does not set the bars
// moving each time.
Chart.defaults.animation = false;
Chart.defaults.maintainAspectRatio = false;
// The page's own font stack (admin.css), so the charts' Chinese matches the text around them.
Chart.defaults.font.family =
  getComputedStyle(document.documentElement).getPropertyValue("--font").trim() || "sans-serif";
Chart.defaults.color = "#475569";
Chart.defaults.borderColor = "#e2e8f0";

// The series' colours, distinguishable with the common colour-vision deficiencies (blue vs
// orange) and repeated in the legend and the tables, so colour is never the only cue.
const colors = {
  conversations: "#2563eb",
  handoffs: "#ea580c",
  automation: "#059669",
  mood: "#7c3aed",
  intents: "#0891b2",
  latency: "#475569",
  zeroLine: "#94a3b8",
};

interface TextAlternative {
  summary: string;
  head: string[];
  rows: string[][];
}

// Draws `config` on the canvas with its text alternative, or the empty state when there is no
// config. An existing chart is updated in place so a refresh does not rebuild it.
function render<T extends ChartType>(
  canvasId: string,
  config: ChartConfiguration<T> | null,
  alt?: TextAlternative,
): void {
  const canvas = document.getElementById(canvasId) as HTMLCanvasElement;
  const figure = canvas.closest("figure") as HTMLElement;
  const existing = Chart.getChart(canvas);
  (figure.querySelector(".chart-empty") as HTMLElement).hidden = config !== null;
  if (config === null || alt === undefined) {
    existing?.destroy();
    canvas.setAttribute("aria-label", t("chartEmpty"));
    (figure.querySelector("table.sr-only") as HTMLTableElement).replaceChildren();
    return;
  }
  if (existing) {
    existing.data = config.data as typeof existing.data;
    existing.options = config.options as typeof existing.options;
    existing.update();
  } else {
    new Chart(canvas, config);
  }
  canvas.setAttribute("aria-label", alt.summary);
  (figure.querySelector("table.sr-only") as HTMLTableElement).replaceChildren(
    h("thead", {}, h("tr", {}, ...alt.head.map((c) => h("th", { scope: "col" }, c)))),
    h(
      "tbody",
      {},
      ...alt.rows.map((r) => h("tr", {}, ...r.map((c, i) => (i === 0 ? h("th", { scope: "row" }, c) : h("td", {}, c))))),
    ),
  );
}

const integerAxis = { beginAtZero: true, ticks: { precision: 0 } };

export function drawPerDay(days: DayStats[]): void {
  const total = (k: "conversations" | "handoffs") => days.reduce((sum, d) => sum + d[k], 0);
  if (total("conversations") + total("handoffs") === 0) return render("chart-per-day", null);
  const peak = extremes(days, (d) => d.conversations)!.max;
  render<"bar">(
    "chart-per-day",
    {
      type: "bar",
      data: {
        labels: days.map((d) => fmtDay(d.day)),
        datasets: [
          {
            label: t("seriesConversations"),
            data: days.map((d) => d.conversations),
            backgroundColor: colors.conversations,
          },
          { label: t("seriesHandoffs"), data: days.map((d) => d.handoffs), backgroundColor: colors.handoffs },
        ],
      },
      options: { scales: { y: integerAxis }, plugins: { legend: { position: "bottom" } } },
    },
    {
      summary: t("sumPerDay", {
        days: days.length,
        conversations: fmtInt(total("conversations")),
        handoffs: fmtInt(total("handoffs")),
        peakDay: fmtDay(peak.day),
        peak: fmtInt(peak.conversations),
      }),
      head: [t("colDay"), t("seriesConversations"), t("seriesHandoffs")],
      rows: days.map((d) => [fmtDay(d.day), fmtInt(d.conversations), fmtInt(d.handoffs)]),
    },
  );
}

// A line over the days with gaps where there is no value, for rates and averages.
function dayLine(
  canvasId: string,
  days: DayStats[],
  value: (d: DayStats) => number | null,
  format: (v: number) => string,
  series: {
    label: string;
    color: string;
    min: number;
    max: number;
    step?: number;
    tick: (v: number) => string;
    summary: "sumMood" | "sumAutomation";
  },
): void {
  const points = days.map(value);
  const ends = extremes(days, value);
  if (ends === null) return render(canvasId, null);
  render<"line">(
    canvasId,
    {
      type: "line",
      data: {
        labels: days.map((d) => fmtDay(d.day)),
        datasets: [
          {
            label: series.label,
            data: points,
            borderColor: series.color,
            backgroundColor: series.color,
            pointRadius: 3,
            tension: 0.25,
          },
        ],
      },
      options: {
        scales: {
          y: {
            min: series.min,
            max: series.max,
            ticks: { callback: (v) => series.tick(Number(v)), stepSize: series.step },
            // The zero line of a scale that goes below zero (mood) is drawn stronger.
            grid: {
              color: (ctx) =>
                series.min < 0 && ctx.tick?.value === 0 ? colors.zeroLine : (Chart.defaults.borderColor as string),
            },
          },
        },
        plugins: {
          legend: { display: false },
          tooltip: { callbacks: { label: (ctx) => `${series.label}: ${format(ctx.parsed.y as number)}` } },
        },
      },
    },
    {
      summary: t(series.summary, {
        minDay: fmtDay(ends.min.day),
        min: format(value(ends.min) as number),
        maxDay: fmtDay(ends.max.day),
        max: format(value(ends.max) as number),
      }),
      head: [t("colDay"), series.label],
      rows: days.map((d) => {
        const v = value(d);
        return [fmtDay(d.day), v === null ? "–" : format(v)];
      }),
    },
  );
}

export function drawAutomation(days: DayStats[]): void {
  // Rates sit high (85-98% is usual) and a scale from 0 would flatten their changes into one
  // line, so the scale starts a little under the lowest day, at a tenth; its labels say where.
  const rates = days.map(automationRate).filter((r): r is number => r !== null);
  const floor = rates.length > 0 ? Math.max(0, Math.floor((Math.min(...rates) - 0.05) * 10) / 10) : 0;
  dayLine("chart-automation", days, automationRate, (v) => fmtPercent(v), {
    label: t("seriesAutomation"),
    color: colors.automation,
    min: floor,
    max: 1,
    tick: (v) => fmtPercent(v, 0),
    summary: "sumAutomation",
  });
}

export function drawMood(days: DayStats[]): void {
  const words: Record<string, string> = { "-1": t("moodNegative"), "0": t("moodNeutral"), "1": t("moodPositive") };
  dayLine("chart-mood", days, (d) => d.mood, (v) => fmtDecimal(v, 2), {
    label: t("seriesMood"),
    color: colors.mood,
    min: -1,
    max: 1,
    step: 0.5, // always a tick at 0, the neutral line
    tick: (v) => (words[String(v)] ? `${fmtDecimal(v, 0)} ${words[String(v)]}` : fmtDecimal(v, 1)),
    summary: "sumMood",
  });
}

export function drawIntents(intents: Stats["intents"]): void {
  if (intents.length === 0) return render("chart-intents", null);
  render<"bar">(
    "chart-intents",
    {
      type: "bar",
      data: {
        labels: intents.map((i) => intentName(i.intent)),
        datasets: [{ label: t("colCount"), data: intents.map((i) => i.count), backgroundColor: colors.intents }],
      },
      options: {
        indexAxis: "y",
        scales: { x: integerAxis, y: { ticks: { autoSkip: false } } },
        plugins: { legend: { display: false } },
      },
    },
    {
      summary: t("sumIntents", {
        list: fmtList(intents.slice(0, 3).map((i) => `${intentName(i.intent)} ${fmtInt(i.count)}`)),
      }),
      head: [t("colIntent"), t("colCount")],
      rows: intents.map((i) => [`${intentName(i.intent)} (${i.intent})`, fmtInt(i.count)]),
    },
  );
}

// The histogram's buckets hold the turns whose latency falls between the previous bound and
// their own `le_ms` (per bucket, not cumulative); a last bucket without a finite bound holds
// everything slower.
export function drawLatency(latency: Stats["latency_ms"]): void {
  const buckets = latency.histogram;
  if (buckets.every((b) => b.count === 0)) return render("chart-latency", null);
  const labels = buckets.map((b, i) => {
    if (b.le_ms !== null && Number.isFinite(b.le_ms)) return t("bucketUpTo", { ms: fmtMs(b.le_ms) });
    return t("bucketOver", { ms: fmtMs(i > 0 ? (buckets[i - 1].le_ms ?? 0) : 0) });
  });
  render<"bar">(
    "chart-latency",
    {
      type: "bar",
      data: {
        labels,
        datasets: [{ label: t("seriesTurns"), data: buckets.map((b) => b.count), backgroundColor: colors.latency }],
      },
      options: { scales: { y: integerAxis }, plugins: { legend: { display: false } } },
    },
    {
      summary: t("sumLatency", {
        p50: fmtMs(latency.p50),
        p90: fmtMs(latency.p90),
        p99: fmtMs(latency.p99),
        max: fmtMs(latency.max),
      }),
      head: [t("colBucket"), t("seriesTurns")],
      rows: buckets.map((b, i) => [labels[i], fmtInt(b.count)]),
    },
  );
}

// Removes the charts (on logout), so the next key's data starts from a clean page.
export function destroyCharts(): void {
  document.querySelectorAll("canvas").forEach((c) => Chart.getChart(c)?.destroy());
}

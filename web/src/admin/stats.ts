// Shapes the server's statistics for drawing: pure functions, no DOM.
import type { DayStats, Stats } from "./api";

const dayMs = 86_400_000;

// One entry per calendar day from `from` to `to`, oldest first. The server may leave out days
// without traffic; a chart with holes in its time axis would misplace the remaining bars, so
// missing days come back as zeros (and no mood).
export function fillDays(stats: Stats): DayStats[] {
  const byDay = new Map(stats.per_day.map((d) => [d.day, d]));
  const start = Date.parse(stats.from + "T00:00:00Z");
  const end = Date.parse(stats.to + "T00:00:00Z");
  if (Number.isNaN(start) || Number.isNaN(end) || end < start || end - start > 400 * dayMs) {
    return [...stats.per_day].sort((a, b) => a.day.localeCompare(b.day));
  }
  const days: DayStats[] = [];
  for (let ms = start; ms <= end; ms += dayMs) {
    const day = new Date(ms).toISOString().slice(0, 10);
    days.push(byDay.get(day) ?? { day, conversations: 0, turns: 0, handoffs: 0, automated: 0, mood: null });
  }
  return days;
}

// Automated conversations over all conversations of the day; null for a day without any, so
// the line shows a gap instead of a fake 0%.
export function automationRate(d: DayStats): number | null {
  return d.conversations > 0 ? d.automated / d.conversations : null;
}

export function topIntents(stats: Stats, n = 12): Stats["intents"] {
  return [...stats.intents].sort((a, b) => b.count - a.count).slice(0, n);
}

// The entries with the lowest and the highest value, skipping nulls; null when there is none.
export function extremes<T>(items: T[], value: (item: T) => number | null): { min: T; max: T } | null {
  let min: T | null = null;
  let max: T | null = null;
  for (const item of items) {
    const v = value(item);
    if (v === null) continue;
    if (min === null || v < (value(min) as number)) min = item;
    if (max === null || v > (value(max) as number)) max = item;
  }
  return min === null || max === null ? null : { min, max };
}

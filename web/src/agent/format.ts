// Times, moods, reasons and languages as an agent reads them, in the chosen language.
import type { Ticket } from "./api";
import { locale, t, tMaybe, type Key } from "./i18n";

export function toDate(at: string | number | null | undefined): Date | null {
  if (at === null || at === undefined || at === "") return null;
  const d = new Date(at);
  return Number.isNaN(d.getTime()) ? null : d;
}

// "14:05" today, "11月28日 14:05" / "Nov 28, 14:05" on another day.
export function clock(at: string | number | null | undefined): string {
  const d = toDate(at);
  if (!d) return "";
  const today = new Date().toDateString() === d.toDateString();
  const opts: Intl.DateTimeFormatOptions = today
    ? { hour: "2-digit", minute: "2-digit" }
    : { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" };
  return new Intl.DateTimeFormat(locale(), opts).format(d);
}

// How long since `at`, coarse on purpose: the queue re-renders it every 30 s.
export function waited(at: string | number | null | undefined, now = Date.now()): string {
  const d = toDate(at);
  if (!d) return "";
  const minutes = Math.max(0, Math.floor((now - d.getTime()) / 60_000));
  if (minutes < 1) return t("wait.justNow");
  if (minutes < 60) return t("wait.minutes", { n: minutes });
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return t("wait.hours", { h: hours, m: minutes % 60 });
  return t("wait.days", { n: Math.floor(hours / 24), h: hours % 24 });
}

export interface MoodLook {
  level: "very-upset" | "upset" | "neutral" | "positive";
  emoji: string;
  label: string; // "mood -0.72 (very upset)", for screen readers and tooltips
}

export function moodLook(mood: number): MoodLook {
  const m = Number.isFinite(mood) ? mood : 0;
  const [level, emoji, key]: [MoodLook["level"], string, Key] =
    m <= -0.6 ? ["very-upset", "😡", "mood.veryUpset"]
    : m <= -0.2 ? ["upset", "😟", "mood.upset"]
    : m < 0.2 ? ["neutral", "😐", "mood.neutral"]
    : ["positive", "🙂", "mood.positive"];
  return { level, emoji, label: t("mood.label", { value: m.toFixed(2), label: t(key) }) };
}

// A handoff reason code as words; an unknown code is shown as it is, underscores as spaces.
export function reasonLabel(reason: string | undefined): string {
  if (!reason) return "";
  return tMaybe("reason." + reason) ?? reason.replace(/_/g, " ");
}

export function langLabel(code: string | undefined): string {
  if (!code) return "";
  return tMaybe("lang." + code) ?? code.toUpperCase();
}

// A ticket's status from where this agent sits.
export function statusLabel(ticket: Ticket | null, me: string): string {
  if (!ticket) return t("status.none");
  if (ticket.status === "claimed") {
    return ticket.agent === me ? t("status.mine") : t("status.claimed", { agent: ticket.agent || "?" });
  }
  return ticket.status === "closed" ? t("status.closed") : t("status.queued");
}

export function percent(x: number | undefined): string {
  return typeof x === "number" && Number.isFinite(x) ? `${Math.round(x * 100)}%` : "";
}

// Durations arrive in microseconds (stages, tool calls) or milliseconds (the documented form).
export function millis(us: number | undefined, ms: number | undefined): number | undefined {
  if (typeof ms === "number") return ms;
  return typeof us === "number" ? us / 1000 : undefined;
}

export function formatMs(ms: number | undefined): string {
  if (ms === undefined) return "";
  return ms >= 100 ? `${Math.round(ms)} ms` : `${ms.toFixed(ms >= 10 ? 1 : 2)} ms`;
}

// A value of unknown shape (a slot, an extra trace field) as one short line.
export function plain(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return JSON.stringify(v);
}

// The operator's endpoints (docs/web.md, "Operator (dashboard)"): statistics and the knowledge
// base, all behind `Authorization: Bearer <admin key>`.
import { apiFetch } from "../shared/http";

export interface DayStats {
  day: string; // "2026-11-29"
  conversations: number;
  turns: number;
  handoffs: number;
  automated: number;
  mood: number | null; // -1..1; null on a day without conversations
}

export interface Stats {
  from: string;
  to: string;
  days: number;
  totals: {
    conversations: number;
    turns: number;
    handoffs: number;
    automation_rate: number | null;
    handoff_rate: number | null;
  };
  per_day: DayStats[];
  intents: Array<{ intent: string; count: number }>;
  unanswered: Array<{ text: string; count: number; last_at: string | number }>;
  latency_ms: {
    p50: number;
    p90: number;
    p99: number;
    max: number;
    histogram: Array<{ le_ms: number | null; count: number }>;
  };
}

export interface KbDocument {
  id: string;
  title: string;
  lang: string;
  category: string;
  format: string;
  source: string;
  content_hash: string;
  updated_at: number | string;
}

export interface ImportReport {
  added: number;
  updated: number;
  unchanged: number;
  failed: number;
  chunks: number;
  errors: string[];
  ids?: string[];
}

export interface SearchHit {
  doc_id: string;
  chunk: number;
  title: string;
  heading: string;
  text: string;
  lang: string;
  category: string;
  score: number;
  confidence: number;
}

export interface SearchResult {
  query: string;
  mode: string;
  hits: SearchHit[];
}

export interface Upload {
  name: string;
  content: string;
  category?: string;
  lang?: "zh" | "en";
}

export function getStats(key: string, days: number, signal?: AbortSignal): Promise<Stats> {
  return apiFetch<Stats>(`/v1/admin/stats?days=${days}`, { key, signal });
}

export async function listDocuments(key: string): Promise<KbDocument[]> {
  return (await apiFetch<{ documents: KbDocument[] }>("/v1/kb/documents", { key })).documents;
}

export function uploadDocument(key: string, upload: Upload): Promise<ImportReport> {
  return apiFetch<ImportReport>("/v1/kb/documents", { key, method: "POST", body: JSON.stringify(upload) });
}

export async function deleteDocument(key: string, id: string): Promise<void> {
  await apiFetch<null>(`/v1/kb/documents/${encodeURIComponent(id)}`, { key, method: "DELETE" });
}

export function searchKb(key: string, q: string): Promise<SearchResult> {
  return apiFetch<SearchResult>(`/v1/kb/search?q=${encodeURIComponent(q)}&k=5`, { key });
}

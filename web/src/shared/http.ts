// Calls kefu's JSON API. Every error answer of the server is {"error": {"code", "message"}}:
// it becomes an ApiError that the pages show to their user.

export class ApiError extends Error {
  constructor(public status: number, public code: string, message: string) {
    super(message);
  }
}

export async function apiFetch<T>(path: string, init: RequestInit & { key?: string; agent?: string } = {}): Promise<T> {
  const headers = new Headers(init.headers);
  if (init.body !== undefined && !headers.has("Content-Type")) {
    headers.set("Content-Type", "application/json");
  }
  if (init.key) headers.set("Authorization", `Bearer ${init.key}`);
  if (init.agent) headers.set("X-Kefu-Agent", init.agent);
  let res: Response;
  try {
    res = await fetch(path, { ...init, headers });
  } catch (e) {
    throw new ApiError(0, "network", (e as Error).message || "network error");
  }
  const text = await res.text();
  let body: unknown = null;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      throw new ApiError(res.status, "bad_response", `not JSON (HTTP ${res.status})`);
    }
  }
  if (!res.ok) {
    const err = (body as { error?: { code?: string; message?: string } } | null)?.error;
    throw new ApiError(res.status, err?.code ?? "http_" + res.status, err?.message ?? `HTTP ${res.status}`);
  }
  return body as T;
}

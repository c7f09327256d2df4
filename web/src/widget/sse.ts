// A text/event-stream reader over fetch's ReadableStream: EventSource cannot send the
// Authorization header that the conversation endpoints need.

export interface SseEvent {
  event: string; // "message" when the server named none
  data: string; // the data lines, joined with "\n"
}

// Calls onEvent per event and onActivity per chunk read (heartbeat comments included, so a caller
// can tell a quiet stream from a dead one). Resolves when the stream ends; an exception thrown
// by onEvent stops reading and propagates.
export async function readSse(
  body: ReadableStream<Uint8Array>,
  onEvent: (e: SseEvent) => void,
  onActivity?: () => void,
): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buf = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      onActivity?.();
      buf += decoder.decode(value, { stream: true }).replace(/\r/g, "");
      let end: number;
      while ((end = buf.indexOf("\n\n")) >= 0) {
        const block = buf.slice(0, end);
        buf = buf.slice(end + 2);
        const e = parseBlock(block);
        if (e) onEvent(e);
      }
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}

function parseBlock(block: string): SseEvent | null {
  let event = "message";
  const data: string[] = [];
  for (const line of block.split("\n")) {
    if (!line || line.startsWith(":")) continue; // a comment: the server's heartbeat
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + (line[colon + 1] === " " ? 2 : 1));
    if (field === "event") event = value;
    else if (field === "data") data.push(value);
  }
  return data.length ? { event, data: data.join("\n") } : null;
}

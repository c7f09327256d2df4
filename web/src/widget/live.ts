// Keeps the conversation's live event stream open: agent replies and handoff changes arrive
// here. When the stream drops it reconnects with backoff (1 s, 2 s, 4 s … 15 s); each `ready`
// tells the widget to re-read the history it may have missed meanwhile.
import { Api, Conversation, LiveEvent, isRejected } from "./api";
import { readSse } from "./sse";

export interface LiveHandlers {
  ready(): void; // subscribed: nothing published from now on is missed
  event(e: LiveEvent): void;
  down(): void; // the stream dropped; reconnecting
  rejected(): void; // the token is no longer valid: stopped for good
}

const MAX_DELAY_MS = 15_000;
// The server sends a heartbeat every 15 s; this long without a byte means the stream is dead
// even if the socket has not noticed.
const SILENCE_MS = 45_000;

export class LiveFeed {
  private stopped = false;
  private abort: AbortController | null = null;
  private wake: (() => void) | null = null;
  private hurry = false;

  constructor(
    private api: Api,
    private conv: Conversation,
    private on: LiveHandlers,
  ) {
    void this.run();
  }

  stop(): void {
    this.stopped = true;
    this.abort?.abort();
    this.wake?.();
  }

  // Reconnects at once, without backoff: the browser came back online, and a stream that
  // survived the outage may still have missed events.
  reconnect(): void {
    this.hurry = true;
    this.abort?.abort();
    this.wake?.();
  }

  private async run(): Promise<void> {
    let delay = 1000;
    while (!this.stopped) {
      const abort = (this.abort = new AbortController());
      let timer = 0;
      const alive = () => {
        clearTimeout(timer);
        timer = window.setTimeout(() => abort.abort(), SILENCE_MS);
      };
      try {
        alive();
        const res = await this.api.events(this.conv, abort.signal);
        await readSse(
          res.body!,
          ({ event, data }) => {
            const e = JSON.parse(data) as LiveEvent;
            e.type ??= event;
            if (e.type === "ready") {
              delay = 1000;
              this.on.ready();
            } else {
              this.on.event(e);
            }
          },
          alive,
        );
      } catch (e) {
        if (isRejected(e)) {
          this.stopped = true;
          this.on.rejected();
        }
      } finally {
        clearTimeout(timer);
      }
      if (this.stopped) return;
      this.on.down();
      if (!this.hurry) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          setTimeout(resolve, delay);
        });
        this.wake = null;
        delay = Math.min(delay * 2, MAX_DELAY_MS);
      }
      this.hurry = false;
    }
  }
}

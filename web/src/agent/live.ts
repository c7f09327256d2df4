// The live socket (/v1/agent/ws): queue changes for everyone, and the events of the one
// conversation the agent has open. It reconnects by itself with a growing delay; whoever uses
// it learns the connection's state and polls while it is down.
import type { Credentials, Message } from "./api";

export type LiveState = "connecting" | "open" | "closed";

export interface LiveHandlers {
  // "open" comes after the server's ready (and the watch is sent again): what changed while the
  // socket was down has to be read afresh.
  state(state: LiveState, retryInSeconds: number): void;
  queue(): void;
  message(conversationId: string, message: Message): void;
  handoff(conversationId: string): void;
  // The server closed with 4401: the key or the name was refused.
  rejected(): void;
}

const MAX_DELAY_S = 15;
const AUTH_REJECTED = 4401;

export class LiveSocket {
  private ws: WebSocket | null = null;
  private watching: string | null = null;
  private attempt = 0;
  private retryTimer: number | undefined;
  private stopped = false;

  constructor(private creds: Credentials, private on: LiveHandlers) {}

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    window.clearTimeout(this.retryTimer);
    const ws = this.ws;
    this.ws = null;
    ws?.close(1000);
  }

  // Follows one conversation (null: none). Remembered, and sent again after a reconnect.
  watch(id: string | null): void {
    if (id === this.watching) return;
    if (this.watching !== null) this.send({ type: "unwatch" });
    this.watching = id;
    if (id !== null) this.send({ type: "watch", conversation_id: id });
  }

  private send(frame: object): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(frame));
  }

  private connect(): void {
    this.on.state("connecting", 0);
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    let ws: WebSocket;
    try {
      ws = new WebSocket(`${scheme}//${location.host}/v1/agent/ws`);
    } catch {
      this.retry();
      return;
    }
    this.ws = ws;
    // The key goes in the first frame, never in the URL, where proxies would log it.
    ws.onopen = () => ws.send(JSON.stringify({ type: "auth", agent: this.creds.agent, key: this.creds.key }));
    ws.onmessage = (e) => this.receive(e.data);
    ws.onclose = (e) => {
      if (this.ws !== ws) return; // an old socket, replaced or stopped
      this.ws = null;
      if (e.code === AUTH_REJECTED) {
        this.stopped = true;
        this.on.state("closed", 0);
        this.on.rejected();
        return;
      }
      this.retry();
    };
  }

  private retry(): void {
    if (this.stopped) return;
    const delay = Math.min(MAX_DELAY_S, 2 ** this.attempt);
    this.attempt++;
    this.on.state("closed", delay);
    this.retryTimer = window.setTimeout(() => this.connect(), delay * 1000);
  }

  private receive(data: unknown): void {
    if (typeof data !== "string") return;
    let frame: { type?: string; conversation_id?: string; message?: Message };
    try {
      frame = JSON.parse(data);
    } catch {
      return; // not ours to understand; the socket stays up
    }
    switch (frame.type) {
      case "ready":
        this.attempt = 0;
        this.on.state("open", 0);
        if (this.watching !== null) this.send({ type: "watch", conversation_id: this.watching });
        break;
      case "queue":
        this.on.queue();
        break;
      case "message":
        if (frame.conversation_id && frame.message) this.on.message(frame.conversation_id, frame.message);
        break;
      case "handoff":
        if (frame.conversation_id) this.on.handoff(frame.conversation_id);
        break;
    }
  }
}

// The widget's entry: one classic script that a shop embeds with
//   <script src="https://kefu.example.com/assets/widget.js" data-lang="zh" async></script>
// Attributes: data-mode "bubble" (default) | "page", data-lang "zh" | "en", data-server (default:
// the script's origin), data-title. Exposes window.kefuWidget = {open, close, send, conversationId}.
import { initialLang } from "./i18n";
import { Widget } from "./widget";

declare global {
  interface Window {
    kefuWidget?: {
      open(): void;
      close(): void;
      send(text: string): Promise<void>;
      conversationId(): string | null;
    };
  }
}

// Only valid while the script first runs, so it is read before anything waits.
const script =
  (document.currentScript as HTMLScriptElement | null) ??
  document.querySelector<HTMLScriptElement>('script[src*="widget.js"]');

// data-server as given (it may carry a path prefix behind a proxy), else the script's origin.
function serverOf(s: HTMLScriptElement | null): string {
  try {
    const given = s?.dataset.server;
    if (given) return new URL(given, location.href).href.replace(/\/+$/, "");
    return new URL(s?.src || location.href, location.href).origin;
  } catch {
    return location.origin;
  }
}

function mount(): void {
  if (window.kefuWidget || document.getElementById("kefu-widget")) return; // embedded twice
  const d = script?.dataset ?? {};
  const widget = new Widget({
    mode: d.mode === "page" ? "page" : "bubble",
    lang: initialLang(d.lang ?? null),
    server: serverOf(script),
    title: d.title || null,
  });
  document.body.append(widget.view.host);
  window.kefuWidget = {
    open: () => widget.open(),
    close: () => widget.close(),
    send: (text) => widget.send(text),
    conversationId: () => widget.conversationId(),
  };
}

if (document.body) mount();
else document.addEventListener("DOMContentLoaded", mount, { once: true });

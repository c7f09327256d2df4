// The top bar: the console's name, the live connection's state, who is signed in, the
// language switch and sign-out. It stays on screen on the sign-in page too (for the switch).
import { announce, h } from "./dom";
import type { LiveState } from "./live";
import { bindText, t } from "./i18n";

export class Header {
  readonly el: HTMLElement;
  private live: HTMLElement;
  private agent: HTMLElement;
  private session: HTMLElement;
  private wasOpen = false;
  private lost = false; // the connection dropped and has not come back yet

  constructor(onLang: () => void, onLogout: () => void) {
    this.live = h("span", { class: "live" });
    this.agent = h("span", { class: "who" });
    this.session = h("div", { class: "session" },
      this.live,
      this.agent,
      h("button", { type: "button", id: "logout", class: "btn btn-quiet", i18n: "header.logout", onclick: onLogout }));
    this.el = h("header", { class: "topbar" },
      h("h1", { class: "brand", i18n: "app.title" }),
      this.session,
      h("button", { type: "button", class: "btn btn-quiet lang", i18n: "lang.switch", "i18n-aria-label": "lang.switchLabel", onclick: onLang }));
    this.signedIn(null);
  }

  signedIn(agent: string | null): void {
    this.session.hidden = agent === null;
    bindText(this.agent, "header.agent", { agent: agent ?? "" });
    if (agent === null) this.setLive("closed", 0);
  }

  // The state is also on <body data-live> for styles and tests: "open" only once the server
  // said ready. Screen readers hear only losing and regaining the connection, not every retry.
  setLive(state: LiveState, retryInSeconds: number): void {
    const open = state === "open";
    if (this.session.hidden) {
      this.lost = false;
    } else if (this.wasOpen && !open) {
      this.lost = true;
      announce(t("live.lost"));
    } else if (open && this.lost) {
      this.lost = false;
      announce(t("live.back"));
    }
    this.wasOpen = open;
    document.body.dataset.live = state === "open" ? "open" : "closed";
    this.live.className = `live live-${state}`;
    const key = state === "open" ? "live.open" : state === "connecting" ? "live.connecting" : "live.closed";
    bindText(this.live, key, { seconds: retryInSeconds });
    if (state === "open") {
      this.live.removeAttribute("title");
      this.live.removeAttribute("data-i18n-title");
    } else {
      this.live.setAttribute("data-i18n-title", "live.polling");
      this.live.title = t("live.polling");
    }
  }
}

// Sign-in: an agent name and the shared agent key, checked against the server by reading the
// queue. They are kept in sessionStorage, so they last as long as the tab and no longer.
import { AgentApi, type Credentials } from "./api";
import { h } from "./dom";
import { t } from "./i18n";

const STORAGE_KEY = "kefu.agent.session";
const AGENT_NAME = /^[A-Za-z0-9_.@-]{1,64}$/; // what the server accepts in X-Kefu-Agent

export function savedCredentials(): Credentials | null {
  try {
    const c = JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? "null") as Credentials | null;
    return c && AGENT_NAME.test(c.agent) && c.key ? c : null;
  } catch {
    return null;
  }
}

function saveCredentials(c: Credentials): void {
  try {
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify(c));
  } catch {
    // Not kept: a reload asks again.
  }
}

export function forgetCredentials(): void {
  try {
    sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // Nothing was kept.
  }
}

export class LoginForm {
  readonly el: HTMLFormElement;
  private agent: HTMLInputElement;
  private key: HTMLInputElement;
  private error: HTMLElement;
  private submit: HTMLButtonElement;

  // `message` explains why the agent is here again (a refused key, say).
  constructor(private onSignedIn: (api: AgentApi) => void, message = "") {
    this.agent = h("input", {
      id: "login-agent", name: "agent", autocomplete: "username", maxlength: 64, spellcheck: "false",
      autocapitalize: "off", "aria-describedby": "login-agent-hint",
    });
    this.key = h("input", { id: "login-key", name: "key", type: "password", autocomplete: "current-password" });
    this.error = h("p", { id: "login-error", class: "form-error", role: "alert" }, message);
    this.submit = h("button", { type: "submit", id: "login", class: "btn btn-primary", i18n: "login.submit" });
    // The form checks the fields itself (novalidate) so the messages are in the console's language.
    this.el = h("form", { class: "login card", novalidate: true, "aria-labelledby": "login-title", onsubmit: (e) => this.signIn(e) },
      h("h2", { id: "login-title", i18n: "login.title" }),
      h("label", { for: "login-agent", i18n: "login.agent" }),
      this.agent,
      h("p", { id: "login-agent-hint", class: "hint", i18n: "login.agentHint" }),
      h("label", { for: "login-key", i18n: "login.key" }),
      this.key,
      this.error,
      this.submit);
  }

  focus(): void {
    this.agent.focus();
  }

  private fail(message: string, field: HTMLInputElement | null): void {
    this.error.textContent = message;
    for (const input of [this.agent, this.key]) input.setAttribute("aria-invalid", String(input === field));
    field?.focus();
  }

  private async signIn(e: Event): Promise<void> {
    e.preventDefault();
    const creds = { agent: this.agent.value.trim(), key: this.key.value };
    if (!AGENT_NAME.test(creds.agent)) return this.fail(t("login.badName"), this.agent);
    if (!creds.key) return this.fail(t("login.noKey"), this.key);
    this.fail("", null);
    this.submit.disabled = true;
    this.submit.textContent = t("login.checking");
    const api = new AgentApi(creds);
    try {
      await api.queue();
    } catch (err) {
      // The server's own words: "wrong agent key", "agent API disabled: set [server] agent_key"...
      this.fail((err as Error).message, this.key);
      return;
    } finally {
      this.submit.disabled = false;
      this.submit.textContent = t("login.submit");
    }
    saveCredentials(creds);
    this.onSignedIn(api);
  }
}

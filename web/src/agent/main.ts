// The agent console (/agent): sign-in, then the queue, the open conversation and its details.
import "./agent.css";
import { AgentApi } from "./api";
import { AgentConsole } from "./app";
import { h, liveRegion } from "./dom";
import { Header } from "./header";
import { applyTexts, lang, setLang, t } from "./i18n";
import { LoginForm, forgetCredentials, savedCredentials } from "./login";

let agentConsole: AgentConsole | null = null;

const header = new Header(switchLang, () => {
  forgetCredentials();
  showLogin();
});
const main = h("main", { id: "main" });
document.getElementById("app")!.replaceChildren(header.el, main, liveRegion());
setLang(lang()); // sets <html lang>
document.title = t("app.title");

function switchLang(): void {
  setLang(lang() === "zh" ? "en" : "zh");
  document.title = t("app.title");
  applyTexts(document.body);
  agentConsole?.relabel();
}

function showLogin(message = ""): void {
  agentConsole?.stop();
  agentConsole = null;
  header.signedIn(null);
  const form = new LoginForm(showConsole, message);
  main.replaceChildren(form.el);
  form.focus();
}

function showConsole(api: AgentApi): void {
  header.signedIn(api.creds.agent);
  agentConsole = new AgentConsole(api, header, (why) => {
    forgetCredentials();
    showLogin(t("login.signedOut", { message: why }));
  });
  main.replaceChildren(agentConsole.el);
  agentConsole.start();
}

// Signed in earlier in this tab: straight to the console; its first read of the queue sends the
// agent back here if the key has changed since.
const saved = savedCredentials();
if (saved) showConsole(new AgentApi(saved));
else showLogin();

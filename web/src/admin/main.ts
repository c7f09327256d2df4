// The operator's dashboard (/admin): sign-in with the admin key, the overview of the service's
// statistics and the knowledge-base management. The markup is in admin/index.html; its strings
// come from i18n.ts.
import "./admin.css";
import { getStats } from "./api";
import { byId, clearError, drawError, showError, UiError } from "./dom";
import { lang, onLangChange, setLang, t, translatePage } from "./i18n";
import { drawKb, initKb, startKb, stopKb } from "./kb";
import { drawOverview, initOverview, startOverview, stopOverview } from "./overview";
import { adminKey, onSignOut, signIn, signOut } from "./session";

function showView(signedIn: boolean): void {
  byId("login-view").hidden = signedIn;
  byId("dashboard").hidden = !signedIn;
  document.querySelectorAll<HTMLElement>("[data-signed-in]").forEach((el) => (el.hidden = !signedIn));
}

function enterDashboard(): void {
  showView(true);
  startOverview();
  startKb();
}

// The key is checked with a small statistics request before it is kept.
async function logIn(e: SubmitEvent): Promise<void> {
  e.preventDefault();
  const input = byId<HTMLInputElement>("admin-key");
  const button = byId<HTMLButtonElement>("login");
  const key = input.value.trim();
  if (!key) {
    showError(new UiError("loginMissing"), "login");
    input.focus();
    return;
  }
  button.disabled = true;
  button.textContent = t("loginChecking");
  try {
    await getStats(key, 7);
    signIn(key);
    clearError();
    input.value = "";
    enterDashboard();
    byId("overview-title").focus();
  } catch (err) {
    showError(err, "login");
    input.select();
  } finally {
    button.disabled = false;
    button.textContent = t("loginSubmit");
  }
}

onSignOut(() => {
  stopOverview();
  stopKb();
  showView(false);
  byId("admin-key").focus();
});

onLangChange(() => {
  translatePage();
  drawError();
  drawOverview();
  drawKb();
});

translatePage();
initOverview();
initKb();
byId<HTMLFormElement>("login-form").addEventListener("submit", (e) => void logIn(e));
byId("logout").addEventListener("click", () => {
  clearError();
  signOut();
});
document.querySelector("button.lang")!.addEventListener("click", () => setLang(lang() === "zh" ? "en" : "zh"));

if (adminKey()) {
  enterDashboard();
} else {
  showView(false);
}

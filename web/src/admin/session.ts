// The admin key of the signed-in operator. It lives in sessionStorage: it survives a reload but
// not the closing of the tab, and is never written anywhere more lasting.
import { ApiError } from "../shared/http";
import { showError, UiError } from "./dom";

const storageKey = "kefu.admin.key";
const signOutListeners: Array<() => void> = [];

export function adminKey(): string {
  return sessionStorage.getItem(storageKey) ?? "";
}

export function signIn(key: string): void {
  sessionStorage.setItem(storageKey, key);
}

export function signOut(): void {
  sessionStorage.removeItem(storageKey);
  signOutListeners.forEach((fn) => fn());
}

export function onSignOut(fn: () => void): void {
  signOutListeners.push(fn);
}

// Reports a failed call. A key the server no longer accepts (401/403: changed in the config, or
// the admin API switched off) ends the session, since every other call would fail the same way.
export function reportError(e: unknown, source: string, context?: string): void {
  if (e instanceof ApiError && (e.status === 401 || e.status === 403)) {
    signOut();
    showError(new UiError("sessionEnded", `${e.message} (${e.code})`), "session");
    return;
  }
  showError(e, source, context);
}

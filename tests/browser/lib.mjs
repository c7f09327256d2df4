// Shared by the browser tests and the screenshot script: a kefu server on a temporary database,
// Debian's Chromium, and the demo shop's data.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

export const AGENT_KEY = "agent-test-key";
export const ADMIN_KEY = "admin-test-key";

// Starts `kefu serve` on a free port over a new database; resolves to { url, stop }.
export async function startServer(kefu, dataDir) {
  const tmp = mkdtempSync(join(tmpdir(), "kefu-browser-"));
  const server = spawn(kefu, ["serve", "--port", "0", "--db", join(tmp, "kefu.db"), "--data-dir", dataDir], {
    env: { ...process.env, KEFU_LOG_LEVEL: "warn", KEFU_SERVER_AGENT_KEY: AGENT_KEY, KEFU_KB_ADMIN_KEY: ADMIN_KEY },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const stop = () => {
    server.kill("SIGTERM");
    rmSync(tmp, { recursive: true, force: true });
  };
  const url = await new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error("server printed no URL within 60 s")), 60000);
    server.stdout.on("data", (chunk) => {
      out += chunk;
      const m = out.match(/http:\/\/[^\s/]+/);
      if (m) { clearTimeout(timer); resolve(m[0]); }
    });
    server.on("exit", (code) => { clearTimeout(timer); reject(new Error("server exited " + code)); });
  }).catch((e) => { stop(); throw e; });
  return { url, stop };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.KEFU_CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
}

// Demo orders as the server loaded them, with a shipment and tracking events.
export function shippedOrders(dataDir) {
  return readFileSync(join(dataDir, "demo", "orders.jsonl"), "utf8").split("\n").filter(Boolean)
    .map((l) => JSON.parse(l))
    .filter((o) => o.status === "shipped" && o.shipment && o.shipment.events.length);
}

// Sends `text` from the widget and resolves to the new assistant message's text once the turn
// is done (the message carries its intent), with the ms from the click to the first visible text.
export async function widgetSay(page, text) {
  await page.locator("#kefu-input").fill(text);
  const firstMs = await page.evaluate(() => new Promise((resolve, reject) => {
    const root = document.querySelector("#kefu-widget").shadowRoot;
    const before = root.querySelectorAll(".msg.assistant").length;
    const t0 = performance.now();
    root.querySelector("button.send").click();
    const deadline = t0 + 10000;
    const tick = () => {
      const msgs = root.querySelectorAll(".msg.assistant");
      const last = msgs[msgs.length - 1];
      if (msgs.length > before && last.textContent.trim()) return resolve(performance.now() - t0);
      if (performance.now() > deadline) return reject(new Error("no reply within 10 s"));
      requestAnimationFrame(tick);
    };
    tick();
  }));
  const done = page.locator(".msg.assistant[data-intent]").last();
  await page.waitForFunction(() => {
    const root = document.querySelector("#kefu-widget").shadowRoot;
    const msgs = root.querySelectorAll(".msg.assistant");
    return msgs.length && msgs[msgs.length - 1].dataset.intent !== undefined;
  }, null, { timeout: 10000 });
  return { text: await done.innerText(), firstMs };
}

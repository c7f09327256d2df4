// The chat page end to end in headless Chromium: a shopper asks where an order is, gives the
// last four digits of its phone, and sees the carrier, tracking number and latest event that
// the server read from the database. Usage: node chat_page_test.mjs <kefu binary> <data dir>
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const [kefu, dataDir] = process.argv.slice(2);
const tmp = mkdtempSync(join(tmpdir(), "kefu-browser-"));
let server;
let browser;

function fail(message) {
  throw new Error(message);
}

async function startServer() {
  server = spawn(kefu, ["serve", "--port", "0", "--db", join(tmp, "kefu.db"), "--data-dir", dataDir],
                 { env: { ...process.env, KEFU_LOG_LEVEL: "warn" }, stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error("server printed no URL")), 20000);
    server.stdout.on("data", (chunk) => {
      out += chunk;
      const m = out.match(/http:\/\/\S+/);
      if (m) { clearTimeout(timer); resolve(m[0]); }
    });
    server.on("exit", (code) => reject(new Error("server exited " + code)));
  });
}

// A shipped demo order, read from the same file the server loaded.
const order = readFileSync(join(dataDir, "demo", "orders.jsonl"), "utf8").split("\n")
  .filter(Boolean).map((l) => JSON.parse(l))
  .find((o) => o.status === "shipped" && o.shipment && o.shipment.events.length);
if (!order) fail("no shipped order in the demo shop");
const latest = order.shipment.events[order.shipment.events.length - 1];

async function lastAssistantText(page, previousCount) {
  await page.waitForFunction((n) => {
    const msgs = document.querySelectorAll(".msg.assistant");
    return msgs.length > n && msgs[msgs.length - 1].dataset.intent !== undefined;
  }, previousCount, { timeout: 10000 });
  return page.locator(".msg.assistant").last().innerText();
}

try {
  const url = await startServer();
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(url);
  if (!(await page.title()).includes("kefu")) fail("unexpected page title");

  let count = await page.locator(".msg.assistant").count();
  await page.fill("#text", `我的订单 ${order.order_number} 到哪了？`);
  await page.click("#send");
  const ask = await lastAssistantText(page, count);
  if (!ask.includes("后四位")) fail("no verification prompt: " + ask);
  if (ask.includes(order.shipment.tracking_number)) fail("tracking number shown before verification");

  count = await page.locator(".msg.assistant").count();
  await page.fill("#text", order.phone.slice(-4));
  await page.press("#text", "Enter");
  const answer = await lastAssistantText(page, count);
  for (const want of [order.shipment.carrier, order.shipment.tracking_number, latest.description_zh]) {
    if (!answer.includes(want)) fail(`reply lacks "${want}": ${answer}`);
  }
  if (errors.length) fail("page errors: " + errors.join("; "));
  if (process.env.KEFU_SCREENSHOT) await page.screenshot({ path: process.env.KEFU_SCREENSHOT });
  console.log("chat_page_test: ok");
} finally {
  if (browser) await browser.close();
  if (server) server.kill("SIGTERM");
  rmSync(tmp, { recursive: true, force: true });
}

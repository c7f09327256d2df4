// The web pages end to end in Debian's headless Chromium, against `kefu serve` on a temporary
// database: a shopper asks where an order is in the widget and verifies; asks for a person; an
// agent in a second browser context claims and replies; the shopper sees it live; the operator's
// dashboard counts the conversation. Budgets (widget size, first reply) are measured and
// reported, not asserted. Screenshots of every page are saved when a step fails.
// Usage: node web_flow_test.mjs <kefu binary> <data dir> [out dir]
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { ADMIN_KEY, AGENT_KEY, launchBrowser, shippedOrders, startServer, widgetSay } from "./lib.mjs";

const [kefu, dataDir, outArg] = process.argv.slice(2);
const outDir = outArg || join(process.cwd(), "browser-test");
mkdirSync(outDir, { recursive: true });
const pages = {};
const errors = [];
let server;
let browser;

function check(ok, message) {
  if (!ok) throw new Error(message);
}

async function newPage(name, options) {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  page.on("pageerror", (e) => errors.push(`${name}: ${e.message}`));
  pages[name] = page;
  return page;
}

try {
  server = await startServer(kefu, dataDir);
  const url = server.url;
  browser = await launchBrowser();
  const order = shippedOrders(dataDir)[0];
  const latest = order.shipment.events[order.shipment.events.length - 1];

  // The shopper, in Chinese, on a phone-sized window.
  const shop = await newPage("shopper", { locale: "zh-CN", viewport: { width: 400, height: 800 } });
  await shop.goto(url + "/");
  await shop.locator("#kefu-input").waitFor();
  const ask = await widgetSay(shop, `我的订单 ${order.order_number} 到哪了？`);
  check(ask.text.includes("后四位"), "no verification prompt: " + ask.text);
  check(!ask.text.includes(order.shipment.tracking_number), "tracking number shown before verification");
  check(await shop.locator(".card.order").count() === 0, "order card shown before verification");
  const answer = await widgetSay(shop, order.phone.slice(-4));
  for (const want of [order.shipment.carrier, order.shipment.tracking_number, latest.description_zh]) {
    check(answer.text.includes(want), `reply lacks "${want}": ${answer.text}`);
  }
  await shop.locator(".card.order").last().waitFor();
  check(await shop.locator(".card.order").last().locator(".timeline li").count() === order.shipment.events.length,
        "the order card's timeline does not show every tracking event");
  const conversationId = await shop.evaluate(() => window.kefuWidget.conversationId());
  check(/^[a-z0-9_-]+$/.test(conversationId || ""), "no conversation id: " + conversationId);

  const human = await widgetSay(shop, "转人工");
  check(human.text.length > 0, "no reply to the handoff request");

  // The agent, in a second context, in English.
  const agent = await newPage("agent", { locale: "en-US", viewport: { width: 1400, height: 900 } });
  await agent.goto(url + "/agent");
  await agent.fill("#login-agent", "alice");
  await agent.fill("#login-key", AGENT_KEY);
  await agent.click("button#login");
  const item = agent.locator(`.queue-item[data-conversation-id="${conversationId}"]`);
  await item.waitFor({ timeout: 10000 });
  await item.click();
  await agent.locator(".conv-msg.user").first().waitFor();
  await agent.waitForSelector("body[data-live=open]", { timeout: 10000 });
  await agent.locator("#side-order").getByText(order.order_number).first().waitFor();
  await agent.click("button#claim");
  await agent.locator("#reply-text:enabled").waitFor();
  const agentText = "您好，我是客服 Alice，您的包裹正在派送中。";
  await agent.fill("#reply-text", agentText);
  await agent.click("button#reply-send");

  // The shopper sees the agent's message live, without reloading.
  await shop.locator(".msg.agent", { hasText: "客服 Alice" }).waitFor({ timeout: 10000 });

  // The operator's dashboard counts the conversation.
  const admin = await newPage("admin", { locale: "zh-CN", viewport: { width: 1400, height: 1000 } });
  await admin.goto(url + "/admin");
  await admin.fill("#admin-key", ADMIN_KEY);
  await admin.click("button#login");
  await admin.waitForSelector("body[data-loaded=true]", { timeout: 10000 });
  const total = Number((await admin.locator("#total-conversations").innerText()).replace(/\D/g, ""));
  check(total >= 1, "the dashboard counts no conversation: " + total);
  const handoffs = await admin.locator("#handoff-rate").innerText();
  check(/\d/.test(handoffs), "no handoff rate: " + handoffs);

  check(errors.length === 0, "page errors: " + errors.join("; "));

  // Budgets, reported: the widget's script gzipped, and the first reply's delay.
  const widgetJs = Buffer.from(await (await fetch(url + "/assets/widget.js")).arrayBuffer());
  const budgets = {
    widget_js_bytes: widgetJs.length,
    widget_js_gzip_bytes: gzipSync(widgetJs, { level: 9 }).length,
    widget_js_gzip_budget_bytes: 60 * 1024,
    first_reply_ms: Math.round(ask.firstMs),
    verified_reply_ms: Math.round(answer.firstMs),
    first_reply_budget_ms: 300,
  };
  writeFileSync(join(outDir, "budgets.json"), JSON.stringify(budgets, null, 2) + "\n");
  console.log(`budget: widget.js ${(budgets.widget_js_gzip_bytes / 1024).toFixed(1)} KB gzipped (budget 60 KB)`);
  console.log(`budget: first reply visible ${budgets.first_reply_ms} ms after sending, ` +
              `verified order reply ${budgets.verified_reply_ms} ms (budget 300 ms)`);
  console.log("web_flow_test: ok");
} catch (e) {
  for (const [name, page] of Object.entries(pages)) {
    await page.screenshot({ path: join(outDir, `failure-${name}.png`), fullPage: true }).catch(() => {});
  }
  console.error(`web_flow_test: FAILED: ${e.stack || e}\nscreenshots in ${outDir}`);
  process.exitCode = 1;
} finally {
  if (browser) await browser.close();
  if (server) server.stop();
}

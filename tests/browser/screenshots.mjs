// Writes docs/screenshots/: the widget, the agent console and the dashboard, each in Chinese and
// English, against `kefu serve` on a temporary database with a few conversations in it.
// Usage: node tests/browser/screenshots.mjs <kefu binary> <data dir> <out dir>  (or
// scripts/screenshots.sh)
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { ADMIN_KEY, AGENT_KEY, launchBrowser, shippedOrders, startServer, widgetSay } from "./lib.mjs";

const [kefu, dataDir, outDir] = process.argv.slice(2);
if (!outDir) {
  console.error("usage: node screenshots.mjs <kefu binary> <data dir> <out dir>");
  process.exit(2);
}
mkdirSync(outDir, { recursive: true });
const server = await startServer(kefu, dataDir);
const browser = await launchBrowser();
const orders = shippedOrders(dataDir);
const shot = async (page, name) => {
  await page.waitForTimeout(300);  // fonts and the last layout pass
  await page.screenshot({ path: join(outDir, name) });
  console.log("  " + join(outDir, name));
};

// A shopper in `lang` tracks an order, verifies, and (for the console) asks for a person.
async function shopper(lang, order, { handoff }) {
  const context = await browser.newContext({ locale: lang === "zh" ? "zh-CN" : "en-US",
                                             viewport: { width: 420, height: 860 } });
  const page = await context.newPage();
  await page.goto(server.url + "/");
  await page.locator("#kefu-input").waitFor();
  await widgetSay(page, lang === "zh" ? `我的订单 ${order.order_number} 到哪了？` : `Where is my order ${order.order_number}?`);
  await widgetSay(page, order.phone.slice(-4));
  await page.locator(".card.order").last().waitFor();
  if (handoff) {
    await widgetSay(page, lang === "zh" ? "等了好几天了，太慢了，我要找人工客服" : "This is taking forever, I want to talk to a person");
  }
  return page;
}

try {
  console.log("screenshots: widget");
  const zh = await shopper("zh", orders[0], { handoff: false });
  await shot(zh, "widget-zh.png");
  const en = await shopper("en", orders[1], { handoff: false });
  await shot(en, "widget-en.png");
  // Two more conversations for the console and the dashboard.
  await shopper("zh", orders[2], { handoff: true });
  await shopper("en", orders[3], { handoff: true });

  for (const lang of ["zh", "en"]) {
    console.log(`screenshots: console and dashboard (${lang})`);
    const context = await browser.newContext({ locale: lang === "zh" ? "zh-CN" : "en-US",
                                               viewport: { width: 1440, height: 900 } });
    const agent = await context.newPage();
    await agent.goto(server.url + "/agent");
    await agent.fill("#login-agent", "alice");
    await agent.fill("#login-key", AGENT_KEY);
    await agent.click("button#login");
    const first = agent.locator(".queue-item").first();
    await first.waitFor();
    await first.click();
    await agent.locator(".conv-msg.assistant").first().waitFor();
    await agent.locator("#side-order").waitFor();
    const traces = agent.locator(".trace");
    if (await traces.count()) await traces.last().locator("summary, button").first().click().catch(() => {});
    await shot(agent, `agent-${lang}.png`);

    const admin = await context.newPage();
    await admin.goto(server.url + "/admin");
    await admin.fill("#admin-key", ADMIN_KEY);
    await admin.click("button#login");
    await admin.waitForSelector("body[data-loaded=true]");
    await admin.setViewportSize({ width: 1440, height: 1400 });
    await shot(admin, `admin-${lang}.png`);
    await context.close();
  }
} finally {
  await browser.close();
  server.stop();
}

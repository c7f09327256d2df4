// The widget's UI strings in simplified Chinese and English. Elements whose text or attributes
// come from here remember their key (data-i18n), so switching the language re-renders them in
// place, messages already in the log included.

export type Lang = "zh" | "en";
type Args = Record<string, string | number>;

const zh = {
  title: "在线客服",
  subtitle: "智能客服 · 通常几秒内回复",
  subtitleAgent: "人工客服 {agent} 为您服务",
  conversation: "聊天记录",
  inputLabel: "输入消息",
  placeholder: "输入消息…",
  send: "发送消息",
  open: "打开在线客服",
  close: "关闭在线客服",
  langButton: "EN",
  langSwitch: "EN, switch to English",
  welcome: "您好！我是智能客服，可以帮您查询订单和物流、了解退换货政策。请问有什么可以帮您？",
  suggestOrder: "查订单",
  suggestReturns: "退货政策",
  suggestHuman: "转人工",
  suggestions: "推荐问题",
  typing: "客服正在输入…",
  agent: "客服 {agent}",
  handoff: "已为您转接人工客服，客服接入后会在这里回复您。",
  joined: "人工客服 {agent} 已接入",
  released: "客服 {agent} 已离开，正在为您重新排队",
  closed: "人工服务已结束，智能客服将继续为您服务",
  failed: "发送失败：",
  network: "网络连接失败",
  incomplete: "回复中断",
  retry: "重试",
  offline: "连接已断开，正在重新连接…",
  sources: "来源",
  order: "订单 {id}",
  placed: "下单时间 {time}",
  total: "合计",
  quantity: "×{n}",
  tracking: "物流轨迹",
  noEvents: "暂无物流信息",
  stock: "库存 {n} 件",
  outOfStock: "暂时缺货",
  attr_colour: "颜色",
  attr_size: "尺码",
  attr_spec: "规格",
};

const en: typeof zh = {
  title: "Customer service",
  subtitle: "Assistant · usually replies in seconds",
  subtitleAgent: "You're chatting with {agent}",
  conversation: "Conversation",
  inputLabel: "Type a message",
  placeholder: "Type a message…",
  send: "Send message",
  open: "Open chat",
  close: "Close chat",
  langButton: "中文",
  langSwitch: "中文，切换到中文",
  welcome: "Hi! I'm the shop's assistant. I can track your orders and deliveries and explain our return policy. How can I help?",
  suggestOrder: "Track my order",
  suggestReturns: "Return policy",
  suggestHuman: "Talk to a person",
  suggestions: "Suggested questions",
  typing: "The assistant is typing…",
  agent: "Agent {agent}",
  handoff: "We're connecting you with a human agent, who will reply here.",
  joined: "Agent {agent} joined",
  released: "Agent {agent} left; you're back in the queue",
  closed: "The agent ended the chat; the assistant is back",
  failed: "Not sent: ",
  network: "network error",
  incomplete: "the reply was cut off",
  retry: "Retry",
  offline: "Connection lost. Reconnecting…",
  sources: "Sources",
  order: "Order {id}",
  placed: "Ordered {time}",
  total: "Total",
  quantity: "×{n}",
  tracking: "Tracking",
  noEvents: "No tracking updates yet",
  stock: "{n} in stock",
  outOfStock: "Out of stock",
  attr_colour: "Colour",
  attr_size: "Size",
  attr_spec: "Spec",
};

export type Key = keyof typeof zh;
const strings: Record<Lang, typeof zh> = { zh, en };
const LANG_KEY = "kefu.lang";

export function t(lang: Lang, key: Key, args?: Args): string {
  return strings[lang][key].replace(/\{(\w+)\}/g, (_, name: string) => String(args?.[name] ?? ""));
}

export function isKey(name: string): name is Key {
  return name in zh;
}

// The shopper's own choice wins over the page's data-lang, which wins over the browser's.
export function initialLang(attr: string | null): Lang {
  let saved: string | null = null;
  try {
    saved = localStorage.getItem(LANG_KEY);
  } catch {
    // Storage may be blocked (private mode, sandboxed iframe): fall through to the defaults.
  }
  const pick = saved ?? attr ?? navigator.language ?? "";
  return pick.toLowerCase().startsWith("zh") ? "zh" : "en";
}

export function saveLang(lang: Lang): void {
  try {
    localStorage.setItem(LANG_KEY, lang);
  } catch {
    // Not remembered; the switch still applies to this page.
  }
}

// Sets el's text (attr "") or attribute from the strings and records how, for relocalize().
export function bind<E extends HTMLElement>(el: E, lang: Lang, key: Key, attr = "", args?: Args): E {
  // data-i18n holds space-separated specs: "key" for the text, "attr=key" for an attribute.
  const prefix = attr ? attr + "=" : "";
  const kept = (el.dataset.i18n ?? "")
    .split(" ")
    .filter((s) => s && (prefix ? !s.startsWith(prefix) : s.includes("=")));
  el.dataset.i18n = [...kept, prefix + key].join(" ");
  if (args) el.dataset.i18nArgs = JSON.stringify(args);
  apply(el, lang, attr, key, args);
  return el;
}

export function relocalize(root: ParentNode, lang: Lang): void {
  root.querySelectorAll<HTMLElement>("[data-i18n]").forEach((el) => {
    const args = el.dataset.i18nArgs ? (JSON.parse(el.dataset.i18nArgs) as Args) : undefined;
    for (const spec of (el.dataset.i18n ?? "").split(" ")) {
      const [attr, key] = spec.includes("=") ? spec.split("=") : ["", spec];
      if (isKey(key)) apply(el, lang, attr, key, args);
    }
  });
}

function apply(el: HTMLElement, lang: Lang, attr: string, key: Key, args?: Args): void {
  const text = t(lang, key, args);
  if (attr) el.setAttribute(attr, text);
  else el.textContent = text;
}

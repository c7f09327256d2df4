// The console's words in simplified Chinese and English. The choice starts from the browser's
// language and is remembered in localStorage; static labels carry data-i18n attributes so a
// switch can relabel the page in place, without losing what the agent was typing.

export type Lang = "zh" | "en";

const zh = {
  "app.title": "kefu · 坐席工作台",
  "lang.switch": "English",
  "lang.switchLabel": "切换到英文界面",
  "lang.zh": "中文",
  "lang.en": "英文",
  "login.title": "坐席登录",
  "login.agent": "坐席名",
  "login.agentHint": "1–64 个字符：字母、数字或 _ . @ -",
  "login.key": "坐席密钥",
  "login.submit": "登录",
  "login.checking": "正在验证…",
  "login.badName": "坐席名须为 1–64 个字母、数字或 _ . @ -",
  "login.noKey": "请输入坐席密钥",
  "login.signedOut": "已退出登录：{message}",
  "header.agent": "坐席：{agent}",
  "header.logout": "退出登录",
  "live.open": "实时连接",
  "live.connecting": "正在连接…",
  "live.closed": "已断开 · {seconds} 秒后重连",
  "live.polling": "实时连接断开时，每 5 秒刷新一次队列",
  "live.rejected": "实时连接拒绝了坐席名或密钥",
  "live.lost": "实时连接已断开，正在重连",
  "live.back": "实时连接已恢复",
  "queue.title": "排队队列",
  "queue.count": "{n} 个会话",
  "queue.empty": "暂无等待的顾客",
  "queue.failed": "无法加载队列：{message}",
  "queue.priority": "优先级 {n}",
  "queue.waiting": "已等待 {time}",
  "queue.lang": "语言：{lang}",
  "wait.justNow": "不到 1 分钟",
  "wait.minutes": "{n} 分钟",
  "wait.hours": "{h} 小时 {m} 分",
  "wait.days": "{n} 天 {h} 小时",
  "mood.label": "情绪 {value}（{label}）",
  "mood.veryUpset": "非常不满",
  "mood.upset": "不满",
  "mood.neutral": "平静",
  "mood.positive": "满意",
  "reason.requested": "顾客要求人工",
  "reason.asked_for_human": "顾客要求人工",
  "reason.bot_failed": "机器人未能解答",
  "reason.flow": "流程转人工",
  "reason.verification_locked": "身份验证已锁定",
  "reason.tool_failed": "系统查询失败",
  "reason.threat": "投诉威胁",
  "reason.anger": "情绪愤怒",
  "reason.negative_turns": "连续负面情绪",
  "status.queued": "排队中",
  "status.claimed": "{agent} 处理中",
  "status.mine": "我正在处理",
  "status.closed": "已结束",
  "status.none": "无待处理工单",
  "conv.title": "会话",
  "conv.titleId": "会话 {id}",
  "conv.none": "请从排队队列中选择一个会话。",
  "conv.loading": "正在加载…",
  "conv.failed": "无法加载会话：{message}",
  "conv.actions": "工单操作",
  "conv.claim": "接手",
  "conv.release": "释放",
  "conv.close": "结束",
  "conv.conflict": "其他坐席已接手此会话：{message}",
  "conv.actionFailed": "操作失败：{message}",
  "conv.messages": "消息记录",
  "conv.empty": "暂无消息",
  "role.user": "顾客",
  "role.assistant": "机器人",
  "role.agent": "坐席",
  "role.system": "系统",
  "reply.label": "回复顾客",
  "reply.placeholder": "输入回复：Enter 发送，Shift+Enter 换行",
  "reply.locked": "接手此会话后才能回复",
  "reply.send": "发送",
  "reply.failed": "发送失败：{message}",
  "trace.title": "处理详情",
  "trace.intent": "意图",
  "trace.confidence": "置信度",
  "trace.lang": "语言",
  "trace.action": "动作",
  "trace.flow": "流程",
  "trace.awaiting": "等待填写",
  "trace.verified": "已验证订单",
  "trace.entities": "实体",
  "trace.slots": "槽位",
  "trace.sentiment": "情感",
  "trace.polarity": "极性",
  "trace.emotion": "情绪",
  "trace.score": "分值",
  "trace.intensity": "强度",
  "trace.threat": "威胁",
  "trace.emotions": "各情绪得分",
  "trace.mood": "会话情绪",
  "trace.sources": "引用来源",
  "trace.cited": "已引用",
  "trace.tools": "工具调用",
  "trace.stages": "各阶段耗时",
  "trace.total": "合计",
  "trace.handoff": "转人工",
  "trace.other": "其他字段",
  "trace.id": "追踪 ID",
  "trace.failed": "失败",
  "side.title": "详情",
  "side.summary": "工单摘要",
  "side.noSummary": "暂无工单摘要",
  "side.reason": "原因",
  "side.priority": "优先级",
  "side.intent": "意图",
  "side.flow": "流程",
  "side.slots": "槽位",
  "side.orderId": "订单号",
  "side.verified": "已验证",
  "side.summaryLines": "摘要",
  "side.lastTurns": "最近对话",
  "side.customer": "顾客",
  "side.noCustomer": "未关联顾客资料",
  "side.order": "订单",
  "side.noOrder": "顾客尚未验证订单",
  "side.suggestions": "推荐回复",
  "side.noSuggestions": "暂无推荐回复",
  "side.suggestionsFailed": "无法加载推荐回复：{message}",
  "side.suggestionsHint": "点击即插入回复框，不会直接发送",
  "side.none": "选择会话后在此显示工单、顾客和订单。",
  "yes": "是",
  "no": "否",
  "customer.name": "姓名",
  "customer.phone": "电话",
  "customer.city": "城市",
  "customer.member": "会员等级",
  "customer.orders": "订单数",
  "order.id": "订单号",
  "order.status": "状态",
  "order.created": "下单时间",
  "order.total": "合计",
  "order.items": "商品",
  "order.quantity": "×{n}",
  "order.carrier": "承运商",
  "order.tracking": "运单号",
  "order.shipment": "物流状态",
  "order.timeline": "物流轨迹（最新在前）",
  "order.latest": "（最新）",
  "suggestion.kb": "知识库",
  "suggestion.template": "模板",
  "announce.queued": "新的排队会话：{priority}，{reason}",
  "announce.message": "顾客新消息：{text}",
} as const;

export type Key = keyof typeof zh;

const en: Record<Key, string> = {
  "app.title": "kefu · Agent console",
  "lang.switch": "中文",
  "lang.switchLabel": "Switch to Chinese",
  "lang.zh": "Chinese",
  "lang.en": "English",
  "login.title": "Agent sign-in",
  "login.agent": "Agent name",
  "login.agentHint": "1–64 characters: letters, digits or _ . @ -",
  "login.key": "Agent key",
  "login.submit": "Sign in",
  "login.checking": "Checking…",
  "login.badName": "The agent name must be 1–64 letters, digits or _ . @ -",
  "login.noKey": "Enter the agent key",
  "login.signedOut": "Signed out: {message}",
  "header.agent": "Agent: {agent}",
  "header.logout": "Sign out",
  "live.open": "Live",
  "live.connecting": "Connecting…",
  "live.closed": "Offline · retrying in {seconds} s",
  "live.polling": "While the live connection is down the queue is refreshed every 5 seconds",
  "live.rejected": "The live connection refused the agent name or key",
  "live.lost": "The live connection was lost; reconnecting",
  "live.back": "The live connection is back",
  "queue.title": "Queue",
  "queue.count": "{n} conversations",
  "queue.empty": "No one is waiting",
  "queue.failed": "Could not load the queue: {message}",
  "queue.priority": "priority {n}",
  "queue.waiting": "waiting {time}",
  "queue.lang": "language: {lang}",
  "wait.justNow": "under a minute",
  "wait.minutes": "{n} min",
  "wait.hours": "{h} h {m} min",
  "wait.days": "{n} d {h} h",
  "mood.label": "mood {value} ({label})",
  "mood.veryUpset": "very upset",
  "mood.upset": "upset",
  "mood.neutral": "calm",
  "mood.positive": "happy",
  "reason.requested": "Asked for a person",
  "reason.asked_for_human": "Asked for a person",
  "reason.bot_failed": "The bot could not answer",
  "reason.flow": "Handed over by a flow",
  "reason.verification_locked": "Verification locked",
  "reason.tool_failed": "A lookup failed",
  "reason.threat": "Threatens to complain",
  "reason.anger": "Angry",
  "reason.negative_turns": "Unhappy several times in a row",
  "status.queued": "Queued",
  "status.claimed": "Claimed by {agent}",
  "status.mine": "Claimed by me",
  "status.closed": "Closed",
  "status.none": "No open ticket",
  "conv.title": "Conversation",
  "conv.titleId": "Conversation {id}",
  "conv.none": "Pick a conversation from the queue.",
  "conv.loading": "Loading…",
  "conv.failed": "Could not load the conversation: {message}",
  "conv.actions": "Ticket actions",
  "conv.claim": "Claim",
  "conv.release": "Release",
  "conv.close": "Close",
  "conv.conflict": "Another agent holds this conversation: {message}",
  "conv.actionFailed": "That did not work: {message}",
  "conv.messages": "Messages",
  "conv.empty": "No messages yet",
  "role.user": "Shopper",
  "role.assistant": "Bot",
  "role.agent": "Agent",
  "role.system": "System",
  "reply.label": "Reply to the shopper",
  "reply.placeholder": "Type a reply: Enter sends, Shift+Enter starts a new line",
  "reply.locked": "Claim the conversation to reply",
  "reply.send": "Send",
  "reply.failed": "Not sent: {message}",
  "trace.title": "Trace",
  "trace.intent": "Intent",
  "trace.confidence": "Confidence",
  "trace.lang": "Language",
  "trace.action": "Action",
  "trace.flow": "Flow",
  "trace.awaiting": "Awaiting",
  "trace.verified": "Order verified",
  "trace.entities": "Entities",
  "trace.slots": "Slots",
  "trace.sentiment": "Sentiment",
  "trace.polarity": "Polarity",
  "trace.emotion": "Emotion",
  "trace.score": "Score",
  "trace.intensity": "Intensity",
  "trace.threat": "Threat",
  "trace.emotions": "Emotion scores",
  "trace.mood": "Conversation mood",
  "trace.sources": "Sources",
  "trace.cited": "cited",
  "trace.tools": "Tool calls",
  "trace.stages": "Stage timings",
  "trace.total": "total",
  "trace.handoff": "Handoff",
  "trace.other": "Other fields",
  "trace.id": "Trace id",
  "trace.failed": "failed",
  "side.title": "Details",
  "side.summary": "Ticket summary",
  "side.noSummary": "No ticket summary",
  "side.reason": "Reason",
  "side.priority": "Priority",
  "side.intent": "Intent",
  "side.flow": "Flow",
  "side.slots": "Slots",
  "side.orderId": "Order",
  "side.verified": "Verified",
  "side.summaryLines": "Summary",
  "side.lastTurns": "Last turns",
  "side.customer": "Customer",
  "side.noCustomer": "No customer on file",
  "side.order": "Order",
  "side.noOrder": "The shopper has not verified an order",
  "side.suggestions": "Suggested replies",
  "side.noSuggestions": "No suggestions",
  "side.suggestionsFailed": "Could not load suggestions: {message}",
  "side.suggestionsHint": "A click puts the text in the reply box; nothing is sent",
  "side.none": "Pick a conversation to see its ticket, customer and order here.",
  "yes": "yes",
  "no": "no",
  "customer.name": "Name",
  "customer.phone": "Phone",
  "customer.city": "City",
  "customer.member": "Membership",
  "customer.orders": "Orders",
  "order.id": "Order",
  "order.status": "Status",
  "order.created": "Placed",
  "order.total": "Total",
  "order.items": "Items",
  "order.quantity": "×{n}",
  "order.carrier": "Carrier",
  "order.tracking": "Tracking number",
  "order.shipment": "Shipment",
  "order.timeline": "Tracking (newest first)",
  "order.latest": "(latest)",
  "suggestion.kb": "Knowledge base",
  "suggestion.template": "Template",
  "announce.queued": "New in the queue: {priority}, {reason}",
  "announce.message": "New shopper message: {text}",
};

const STORAGE_KEY = "kefu.agent.lang";
const dictionaries: Record<Lang, Record<Key, string>> = { zh, en };

function initialLang(): Lang {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (saved === "zh" || saved === "en") return saved;
  } catch {
    // Storage can be off (private windows, policies): fall back to the browser's language.
  }
  return navigator.language.toLowerCase().startsWith("zh") ? "zh" : "en";
}

let current: Lang = initialLang();

export function lang(): Lang {
  return current;
}

// The BCP 47 tag for Intl formatting and <html lang>.
export function locale(): string {
  return current === "zh" ? "zh-CN" : "en";
}

export function setLang(next: Lang): void {
  current = next;
  try {
    localStorage.setItem(STORAGE_KEY, next);
  } catch {
    // Not remembered; the switch still applies to this page.
  }
  document.documentElement.lang = locale();
}

export function t(key: Key, vars: Record<string, string | number> = {}): string {
  return dictionaries[current][key].replace(/\{(\w+)\}/g, (m, name: string) =>
    name in vars ? String(vars[name]) : m);
}

// A translation when the key is known (e.g. a reason code from the server), else undefined.
export function tMaybe(key: string): string | undefined {
  return key in zh ? t(key as Key) : undefined;
}

// Relabels the elements built with h(tag, {i18n: key, ...}) in root (and root itself).
export function applyTexts(root: Element, deep = true): void {
  const selector = "[data-i18n],[data-i18n-placeholder],[data-i18n-aria-label],[data-i18n-title]";
  const els = deep ? [root, ...root.querySelectorAll(selector)] : [root];
  for (const el of els) {
    const vars = el.getAttribute("data-i18n-vars");
    const v = vars ? (JSON.parse(vars) as Record<string, string | number>) : {};
    const text = el.getAttribute("data-i18n");
    if (text) el.textContent = t(text as Key, v);
    for (const attr of ["placeholder", "aria-label", "title"]) {
      const key = el.getAttribute("data-i18n-" + attr);
      if (key) el.setAttribute(attr, t(key as Key, v));
    }
  }
}

// Sets an element's text to a translation that applyTexts keeps current.
export function bindText(el: Element, key: Key, vars: Record<string, string | number> = {}): void {
  el.setAttribute("data-i18n", key);
  el.setAttribute("data-i18n-vars", JSON.stringify(vars));
  el.textContent = t(key, vars);
}

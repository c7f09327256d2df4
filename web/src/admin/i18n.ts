// The dashboard's two languages: every UI string in simplified Chinese and English, and the
// number and date formats of each. The choice is remembered in localStorage; the first visit
// follows the browser's language.

export type Lang = "zh" | "en";

const zh = {
  docTitle: "kefu · 运营看板",
  appTitle: "运营看板",
  skip: "跳到主要内容",
  langButton: "English",
  langButtonLabel: "Switch to English",
  logout: "退出登录",
  navLabel: "看板分区",
  navOverview: "概览",
  navKb: "知识库",
  dismiss: "关闭提示",
  errorPrefix: "出错了：",
  errorNetwork: "无法连接服务器，请检查网络后重试。",
  sessionEnded: "管理密钥已失效，请重新登录。",

  loginTitle: "登录运营看板",
  loginIntro: "请输入服务器配置的管理密钥（kb.admin_key，或环境变量 KEFU_KB_ADMIN_KEY）。",
  loginKey: "管理密钥",
  loginSubmit: "登录",
  loginChecking: "正在验证…",
  loginMissing: "请输入管理密钥。",

  overviewTitle: "概览",
  rangeLegend: "时间范围",
  daysUnit: "天",
  refresh: "刷新",
  refreshing: "正在刷新…",
  updatedAt: "更新于 {time} · 每 30 秒自动刷新",

  tileConversations: "会话",
  tileTurns: "对话轮次",
  tileHandoffs: "转人工",
  tileAutomation: "自动化率",
  tileHandoffRate: "转人工率",
  noteRange: "{from} – {to}",
  noteTurns: "平均每个会话 {n} 轮",
  noteHandoffs: "会话转给人工客服的次数",
  noteAutomation: "无需人工即结束的会话占比",
  noteHandoffRate: "转给人工客服的会话占比",

  chartPerDay: "每日会话与转人工",
  chartAutomation: "每日自动化率",
  chartMood: "每日顾客情绪",
  chartIntents: "意图分布（前 12 名）",
  chartLatency: "回复耗时分布",
  chartEmpty: "这段时间还没有数据",
  seriesConversations: "会话",
  seriesHandoffs: "转人工",
  seriesAutomation: "自动化率",
  seriesMood: "平均情绪",
  seriesTurns: "轮次",
  moodNegative: "负面",
  moodNeutral: "中性",
  moodPositive: "正面",
  colDay: "日期",
  colIntent: "意图",
  colCount: "次数",
  colBucket: "耗时",
  bucketUpTo: "≤ {ms}",
  bucketOver: "> {ms}",
  latencyMax: "最大",
  latencyStatsLabel: "回复耗时分位数",
  sumPerDay: "{days} 天共 {conversations} 个会话、{handoffs} 次转人工；会话最多的是 {peakDay}，{peak} 个。",
  sumAutomation: "自动化率最低的是 {minDay}，{min}；最高的是 {maxDay}，{max}。",
  sumMood: "平均情绪在 -1（负面）到 1（正面）之间；最低的是 {minDay}，{min}；最高的是 {maxDay}，{max}。",
  sumIntents: "最常见的意图：{list}。",
  sumLatency: "P50 {p50}，P90 {p90}，P99 {p99}，最大 {max}。",
  listSeparator: "、",

  unansweredTitle: "未解答的问题",
  unansweredIntro: "知识库没能回答的顾客问题，补充相应文档即可让机器人回答。",
  colQuestion: "问题",
  colLastAt: "最近一次",
  unansweredEmpty: "这段时间没有未解答的问题。",

  kbTitle: "知识库",
  kbListTitle: "文档",
  kbReload: "重新加载",
  kbFilter: "筛选文档",
  kbFilterPlaceholder: "按 ID、标题、分类筛选",
  kbCount: "共 {n} 篇文档",
  kbShown: "显示 {shown} 篇，共 {n} 篇",
  kbEmpty: "知识库里还没有文档。",
  kbNoMatch: "没有符合筛选条件的文档。",
  kbLoading: "正在加载…",
  colId: "ID",
  colTitle: "标题",
  colLang: "语言",
  colCategory: "分类",
  colFormat: "格式",
  colUpdated: "更新时间",
  colActions: "操作",
  kbDelete: "删除",
  kbDeleteLabel: "删除 {id}",
  kbConfirmDelete: "确定删除？",
  kbDeleteYes: "确认删除",
  kbDeleteNo: "取消",
  kbDeleted: "已删除 {id}。",

  uploadTitle: "上传文档",
  uploadFile: "选择文件",
  uploadFileHint: "支持 .md .txt .html .csv .tsv .json .jsonl，可一次选多个；选了文件就不用填下面的文件名和内容。",
  uploadOr: "或者粘贴内容",
  uploadName: "文件名",
  uploadNameHint: "扩展名决定格式，例如 returns.md",
  uploadContent: "内容",
  uploadCategory: "分类（可选）",
  uploadLang: "语言",
  uploadLangAuto: "自动识别",
  uploadSend: "上传",
  uploadSending: "正在上传…",
  uploadNeedInput: "请选择文件，或者填写文件名和内容。",
  uploadReport: "新增 {added} 篇，更新 {updated} 篇，未变 {unchanged} 篇，失败 {failed} 篇，共 {chunks} 个片段。",
  uploadErrors: "错误：",

  searchTitle: "检索测试",
  searchIntro: "输入顾客可能会问的问题，看看知识库会找到哪些内容。",
  searchQ: "问题",
  searchPlaceholder: "例如：退货运费谁出？",
  searchSend: "搜索",
  searchNone: "没有找到相关内容。",
  searchCount: "{n} 条结果（{mode}）",
  searchScore: "得分",
  searchConfidence: "置信度",

  langZh: "中文",
  langEn: "英文",
};

type Strings = typeof zh;
export type Key = keyof Strings;

const en: Strings = {
  docTitle: "kefu · Operator dashboard",
  appTitle: "Operator dashboard",
  skip: "Skip to main content",
  langButton: "中文",
  langButtonLabel: "切换到中文",
  logout: "Log out",
  navLabel: "Dashboard sections",
  navOverview: "Overview",
  navKb: "Knowledge base",
  dismiss: "Dismiss",
  errorPrefix: "Error: ",
  errorNetwork: "Cannot reach the server. Check the connection and try again.",
  sessionEnded: "The admin key is no longer accepted. Please log in again.",

  loginTitle: "Log in to the dashboard",
  loginIntro: "Enter the admin key configured on the server (kb.admin_key, or the environment variable KEFU_KB_ADMIN_KEY).",
  loginKey: "Admin key",
  loginSubmit: "Log in",
  loginChecking: "Checking…",
  loginMissing: "Please enter the admin key.",

  overviewTitle: "Overview",
  rangeLegend: "Period",
  daysUnit: "days",
  refresh: "Refresh",
  refreshing: "Refreshing…",
  updatedAt: "Updated {time} · refreshes every 30 s",

  tileConversations: "Conversations",
  tileTurns: "Turns",
  tileHandoffs: "Handoffs",
  tileAutomation: "Automation rate",
  tileHandoffRate: "Handoff rate",
  noteRange: "{from} – {to}",
  noteTurns: "{n} per conversation on average",
  noteHandoffs: "Conversations passed to a human agent",
  noteAutomation: "Conversations that ended without a human",
  noteHandoffRate: "Conversations passed to a human",

  chartPerDay: "Conversations and handoffs per day",
  chartAutomation: "Automation rate per day",
  chartMood: "Shopper mood per day",
  chartIntents: "Intents (top 12)",
  chartLatency: "Reply latency",
  chartEmpty: "No data for this period yet",
  seriesConversations: "Conversations",
  seriesHandoffs: "Handoffs",
  seriesAutomation: "Automation rate",
  seriesMood: "Average mood",
  seriesTurns: "Turns",
  moodNegative: "Negative",
  moodNeutral: "Neutral",
  moodPositive: "Positive",
  colDay: "Day",
  colIntent: "Intent",
  colCount: "Count",
  colBucket: "Latency",
  bucketUpTo: "≤ {ms}",
  bucketOver: "> {ms}",
  latencyMax: "Max",
  latencyStatsLabel: "Reply latency percentiles",
  sumPerDay: "{conversations} conversations and {handoffs} handoffs in {days} days; the busiest day was {peakDay} with {peak}.",
  sumAutomation: "Lowest automation rate on {minDay}: {min}; highest on {maxDay}: {max}.",
  sumMood: "Average mood from -1 (negative) to 1 (positive); lowest on {minDay}: {min}; highest on {maxDay}: {max}.",
  sumIntents: "Most common intents: {list}.",
  sumLatency: "P50 {p50}, P90 {p90}, P99 {p99}, max {max}.",
  listSeparator: ", ",

  unansweredTitle: "Unanswered questions",
  unansweredIntro: "Questions the knowledge base could not answer: add documents for them and the bot will.",
  colQuestion: "Question",
  colLastAt: "Last asked",
  unansweredEmpty: "No unanswered questions in this period.",

  kbTitle: "Knowledge base",
  kbListTitle: "Documents",
  kbReload: "Reload",
  kbFilter: "Filter documents",
  kbFilterPlaceholder: "By ID, title or category",
  kbCount: "{n} documents",
  kbShown: "Showing {shown} of {n} documents",
  kbEmpty: "The knowledge base has no documents yet.",
  kbNoMatch: "No document matches the filter.",
  kbLoading: "Loading…",
  colId: "ID",
  colTitle: "Title",
  colLang: "Language",
  colCategory: "Category",
  colFormat: "Format",
  colUpdated: "Updated",
  colActions: "Actions",
  kbDelete: "Delete",
  kbDeleteLabel: "Delete {id}",
  kbConfirmDelete: "Delete it?",
  kbDeleteYes: "Yes, delete",
  kbDeleteNo: "Cancel",
  kbDeleted: "Deleted {id}.",

  uploadTitle: "Upload documents",
  uploadFile: "Choose files",
  uploadFileHint: ".md .txt .html .csv .tsv .json .jsonl, several at once if you like; with files chosen, the name and content below are not needed.",
  uploadOr: "Or paste the content",
  uploadName: "File name",
  uploadNameHint: "Its extension gives the format, e.g. returns.md",
  uploadContent: "Content",
  uploadCategory: "Category (optional)",
  uploadLang: "Language",
  uploadLangAuto: "Detect",
  uploadSend: "Upload",
  uploadSending: "Uploading…",
  uploadNeedInput: "Choose a file, or fill in a file name and the content.",
  uploadReport: "{added} added, {updated} updated, {unchanged} unchanged, {failed} failed; {chunks} chunks.",
  uploadErrors: "Errors:",

  searchTitle: "Test a search",
  searchIntro: "Type a question a shopper might ask and see what the knowledge base finds.",
  searchQ: "Question",
  searchPlaceholder: "e.g. Who pays for return shipping?",
  searchSend: "Search",
  searchNone: "Nothing relevant found.",
  searchCount: "{n} results ({mode})",
  searchScore: "Score",
  searchConfidence: "Confidence",

  langZh: "Chinese",
  langEn: "English",
};

// Friendly names of the engine's intents (data/nlu/intents.tsv); an unknown one shows as is.
const intentNames: Record<Lang, Record<string, string>> = {
  zh: {
    order_status: "查询订单", return_refund: "退货退款", refund_status: "退款进度", human_agent: "转人工",
    product_inquiry: "商品咨询", product_search: "找商品", complaint: "投诉", out_of_scope: "范围外",
    chitchat: "闲聊", shipping_policy: "配送政策", affirm: "确认", change_order: "修改订单",
    account: "账户", payment_issue: "支付问题", invoice: "发票", cancel_order: "取消订单", deny: "否定",
    promotion: "优惠活动", goodbye: "告别", greeting: "问候", thanks: "感谢", delivery_issue: "物流问题",
    warranty: "保修", exchange: "换货", quality_issue: "质量问题",
  },
  en: {
    order_status: "Order status", return_refund: "Return / refund", refund_status: "Refund status",
    human_agent: "Human agent", product_inquiry: "Product question", product_search: "Product search",
    complaint: "Complaint", out_of_scope: "Out of scope", chitchat: "Chit-chat",
    shipping_policy: "Shipping policy", affirm: "Yes", change_order: "Change order", account: "Account",
    payment_issue: "Payment issue", invoice: "Invoice", cancel_order: "Cancel order", deny: "No",
    promotion: "Promotions", goodbye: "Goodbye", greeting: "Greeting", thanks: "Thanks",
    delivery_issue: "Delivery issue", warranty: "Warranty", exchange: "Exchange",
    quality_issue: "Quality issue",
  },
};

const dictionaries: Record<Lang, Strings> = { zh, en };
const locales: Record<Lang, string> = { zh: "zh-CN", en: "en-US" };
const storageKey = "kefu.admin.lang";

function initialLang(): Lang {
  const saved = localStorage.getItem(storageKey);
  if (saved === "zh" || saved === "en") return saved;
  return navigator.language.toLowerCase().startsWith("zh") ? "zh" : "en";
}

let current: Lang = initialLang();
const listeners: Array<() => void> = [];

export function lang(): Lang {
  return current;
}

export function setLang(next: Lang): void {
  current = next;
  localStorage.setItem(storageKey, next);
  listeners.forEach((fn) => fn());
}

export function onLangChange(fn: () => void): void {
  listeners.push(fn);
}

// t("rangeDays", {n: 7}) → "7 天": {name} placeholders are replaced by the given values.
export function t(key: Key, vars: Record<string, string | number> = {}): string {
  return dictionaries[current][key].replace(/\{(\w+)\}/g, (m, name: string) =>
    name in vars ? String(vars[name]) : m,
  );
}

export function intentName(intent: string): string {
  return intentNames[current][intent] ?? intent;
}

export function langName(code: string): string {
  if (code === "zh") return t("langZh");
  if (code === "en") return t("langEn");
  return code;
}

// Writes the strings into the static markup: data-i18n="key" sets the text, and
// data-i18n-attr="placeholder:key aria-label:key" sets attributes.
export function translatePage(root: ParentNode = document): void {
  root.querySelectorAll<HTMLElement>("[data-i18n]").forEach((el) => {
    el.textContent = t(el.dataset.i18n as Key);
  });
  root.querySelectorAll<HTMLElement>("[data-i18n-attr]").forEach((el) => {
    for (const pair of (el.dataset.i18nAttr ?? "").split(/\s+/).filter(Boolean)) {
      const [attr, key] = pair.split(":");
      el.setAttribute(attr, t(key as Key));
    }
  });
  document.documentElement.lang = locales[current];
  document.title = t("docTitle");
}

// Formatters, made once per language: Intl objects are costly to build and the charts format
// hundreds of ticks.
const cache = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat>();
function numberFormat(name: string, options: Intl.NumberFormatOptions): Intl.NumberFormat {
  const id = current + ":" + name;
  let f = cache.get(id) as Intl.NumberFormat | undefined;
  if (!f) cache.set(id, (f = new Intl.NumberFormat(locales[current], options)));
  return f;
}
function dateFormat(name: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const id = current + ":" + name;
  let f = cache.get(id) as Intl.DateTimeFormat | undefined;
  if (!f) cache.set(id, (f = new Intl.DateTimeFormat(locales[current], options)));
  return f;
}

// Counts group digits only from five digits on ("1234", "12,345"): short counts stay plain
// numbers, which also keeps the tiles' text easy to read back in tests.
export function fmtInt(n: number): string {
  const group = Math.abs(n) >= 10_000;
  return numberFormat(group ? "int" : "int-plain", { maximumFractionDigits: 0, useGrouping: group }).format(n);
}

export function fmtDecimal(n: number, digits = 1): string {
  return numberFormat("dec" + digits, { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(n);
}

// A rate from 0 to 1 as a percentage, with one decimal unless told otherwise: 0.925 → "92.5%";
// null (no conversations to divide by) → "–".
export function fmtPercent(rate: number | null, digits = 1): string {
  if (rate === null || !Number.isFinite(rate)) return "–";
  const options = { style: "percent", minimumFractionDigits: digits, maximumFractionDigits: digits } as const;
  return numberFormat("pct" + digits, options).format(rate);
}

export function fmtMs(ms: number): string {
  const digits = ms < 10 ? 1 : 0;
  return numberFormat("ms" + digits, { maximumFractionDigits: digits }).format(ms) + " ms";
}

// A calendar day "2026-11-29" → "11月29日" / "Nov 29". Read as UTC so the local time zone cannot
// move it to the day before.
export function fmtDay(day: string): string {
  const d = new Date(day + "T00:00:00Z");
  if (Number.isNaN(d.getTime())) return day;
  return dateFormat("day", { month: "short", day: "numeric", timeZone: "UTC" }).format(d);
}

// A moment (epoch milliseconds or an ISO 8601 string) in the viewer's time zone.
export function fmtTime(value: number | string): string {
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return String(value);
  return dateFormat("time", { dateStyle: "medium", timeStyle: "short" }).format(d);
}

export function fmtClock(d: Date): string {
  return dateFormat("clock", { timeStyle: "medium" }).format(d);
}

export function fmtList(items: string[]): string {
  return items.join(t("listSeparator"));
}

// Knowledge-base retrieval at scale: kefu's lexical index (kb/tokenizer.h + kb/bm25.h) beside
// SQLite FTS5's bm25() on the same pre-segmented corpus, and with --hybrid the whole hybrid
// retriever (kb/retriever.h) over the same chunks, in one run, printed as Markdown.
//
//   kb_bench --chunks 10000                 # 10k synthetic chunks, 1,000 queries
//   kb_bench --chunks 1000000 --queries 1000 --seed 1 --fts5-db /tmp/kb_fts5.db
//   kb_bench --chunks 10000 --no-fts5
//   kb_bench --chunks 10000 --hybrid --hybrid-threads 2 --summary /tmp/rows.md
//
// The corpus is synthetic shop text: product descriptions and policy passages, 60% Chinese and
// 40% English, 30-200 characters each, drawn from the word lists below with a seeded generator
// (chunk i depends only on the seed and i, so it can be regenerated). Its vocabulary is small
// next to a real catalog, so posting lists are longer than real ones: a pessimistic case for
// query latency.
//
// Measured:
//  - import: KbTerms on title and body, then Bm25Index::Add with the title weighted 2; chunks/s
//    overall and for each half;
//  - queries: 1,000 generated questions; p50/p99 of Search alone and of KbTerms + Search;
//  - memory: VmRSS growth over the build and Bm25Index::memory_bytes();
//  - FTS5: the same title and body terms, space-joined, inserted into an FTS5 table
//    (tokenize='unicode61', one transaction, a temporary database file) and queried with the
//    query terms OR-ed, ORDER BY bm25(chunks, 2.0, 1.0) LIMIT 10; insert rate, p50/p99, and how
//    many of its top 10 our top 10 shares;
//  - hybrid (--hybrid, after the lexical index is freed): kb::TrainEmbedding (default options) on
//    the first --train-texts chunks (20,000), timed apart; then Retriever::Upsert of every chunk,
//    one document per chunk, from one thread: chunks/s, CPU split (KbTerms, Embed, the rest),
//    VmRSS before and after; the same queries through Retriever::Search, k 10, in hybrid, bm25
//    and vector mode; with --hybrid-threads N > 1, the import again into a fresh Retriever the
//    way KnowledgeBase::Import does it: Retriever::UpsertBatch of 256 documents at a time with
//    import_threads N (terms and vectors prepared, and vectors inserted into HNSW, on N threads);
//  - --summary PATH appends one Markdown table row of the headline figures (kb_scale.sh).
// Figures are wall-clock on whatever machine runs it; bench/kb_scale.sh records the machine.
// Built with KEFU_WITH_JEMALLOC (the default), it links jemalloc as the kefu binary does.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_set>
#include <vector>

#include <malloc.h>
#include <sqlite3.h>
#include <time.h>
#include <unistd.h>

#include "core/result.h"
#include "core/status.h"
#include "kb/bm25.h"
#include "kb/document.h"
#include "kb/embedder.h"
#include "kb/retriever.h"
#include "kb/tokenizer.h"
#include "kb/vector_index.h"
#include "text/normalize.h"
#include "text/segmenter.h"

namespace {

using Clock = std::chrono::steady_clock;
using kefu::Result;
using kefu::kb::Bm25Field;
using kefu::kb::Bm25Hit;
using kefu::kb::Bm25Index;
using kefu::kb::Chunk;
using kefu::kb::DocChunks;
using kefu::kb::DocFormat;
using kefu::kb::Embedder;
using kefu::kb::EmbeddingTrainOptions;
using kefu::kb::Hit;
using kefu::kb::KbDocument;
using kefu::kb::KbTerms;
using kefu::kb::LoadEmbedding;
using kefu::kb::Retriever;
using kefu::kb::RetrieverOptions;
using kefu::kb::SearchMode;
using kefu::kb::SearchOptions;
using kefu::kb::TrainEmbedding;
using kefu::kb::VectorIndexOptions;

// CPU time of this thread: the machine this runs on may be shared, and CPU time is what the
// code costs whatever else runs beside it.
class CpuClock {
 public:
  using duration = std::chrono::nanoseconds;
  using time_point = std::chrono::time_point<CpuClock, duration>;
  static time_point now() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return time_point(duration(static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec));
  }
};

// The 1-minute load average, so a reader can tell a busy machine's figures apart.
std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string first;
  in >> first;
  return first.empty() ? "?" : first;
}

double Seconds(std::chrono::nanoseconds d) {
  return std::chrono::duration<double>(d).count();
}
double Millis(std::chrono::nanoseconds d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

// ---------------------------------------------------------------------------------------------
// Word lists

constexpr std::string_view kZhBrands[] = {
    "小米",   "华为",     "苹果",   "索尼",   "美的",   "格力", "李宁",   "安踏",
    "耐克",   "阿迪达斯", "联想",   "罗技",   "海尔",   "九阳", "苏泊尔", "南极人",
    "优衣库", "三只松鼠", "飞利浦", "戴森",   "漫步者", "绿联", "倍思",   "得力",
    "晨光",   "良品铺子", "百草味", "回力",   "骆驼",   "森马", "太平鸟", "波司登",
    "公牛",   "欧普",     "雷蛇",   "科沃斯", "石头",   "小熊", "摩飞"};
constexpr std::string_view kZhCategories[] = {
    "蓝牙耳机",   "手机壳",     "充电宝",   "运动鞋", "连衣裙",   "羽绒服", "电饭煲",
    "空气炸锅",   "扫地机器人", "机械键盘", "显示器", "保温杯",   "行李箱", "双肩包",
    "电动牙刷",   "面膜",       "洗发水",   "猫粮",   "儿童玩具", "四件套", "台灯",
    "智能手表",   "无线鼠标",   "路由器",   "投影仪", "吹风机",   "剃须刀", "榨汁机",
    "电热水壶",   "卫衣",       "牛仔裤",   "登山包", "瑜伽垫",   "数据线", "平板电脑",
    "笔记本电脑", "坚果礼盒",   "咖啡豆",   "床垫",   "插线板"};
constexpr std::string_view kZhAttributes[] = {
    "黑色",   "白色",     "深空灰",   "玫瑰金",   "大容量",   "轻薄便携",   "防水防尘", "静音设计",
    "快充",   "主动降噪", "加厚保暖", "透气网面", "纯棉面料", "不锈钢内胆", "5000毫安", "10000毫安",
    "64GB",   "256GB",    "均码",     "XL码",     "儿童款",   "男女同款",   "无线连接", "长续航",
    "低噪音", "智能控温", "可折叠",   "抗菌",     "防滑",     "护眼"};
constexpr std::string_view kZhSellingPoints[] = {
    "支持七天无理由退货", "全国联保一年",    "顺丰包邮",     "下单后48小时内发货",
    "赠送运费险",         "官方正品保证",    "支持以旧换新", "三十天价格保护",
    "提供电子发票",       "限时满减优惠",    "会员专享折扣", "支持花呗分期免息",
    "十五天只换不修",     "破损包赔",        "假一赔十",     "晚发必赔",
    "支持门店自提",       "多色可选库存充足"};
constexpr std::string_view kZhSpecs[] = {
    "续航时间约{n}小时", "重量约{n}克",         "功率{n}瓦",       "容量{n}毫升",
    "尺寸{n}厘米",       "充电{n}分钟即可使用", "屏幕尺寸{n}英寸", "适合{n}平方米房间",
    "保修期{n}个月",     "电池容量{n}毫安时"};
struct Topic {
  std::string_view title;
  std::vector<std::string_view> sentences;
};
const Topic kZhPolicies[] = {
    {"退货政策",
     {"商品签收后七天内可申请无理由退货", "退货时请保持商品及包装完好",
      "质量问题退货由商家承担运费", "非质量问题退货运费由买家承担",
      "定制商品和贴身衣物不支持无理由退货", "赠品需与商品一并退回"}},
    {"退款说明",
     {"退款将在审核通过后三个工作日内原路退回", "使用优惠券的订单按实付金额退款",
      "花呗分期订单退款后分期手续费同步退还", "银行卡退款到账时间以银行为准",
      "部分退款不影响其他商品的售后"}},
    {"配送说明",
     {"订单支付后48小时内发货", "偏远地区不参与包邮活动", "海外直邮商品预计十五个工作日送达",
      "修改收货地址请在发货前联系客服", "快递签收前请当面检查外包装", "大件商品提供送货上门服务"}},
    {"换货与保修",
     {"换货需保持商品完好并附上购物凭证", "保修期内非人为损坏可免费维修", "维修期间可申请备用机",
      "人为损坏不在保修范围内", "换货商品寄回后两个工作日内处理"}},
    {"发票与会员",
     {"发票可在订单详情页申请开具", "电子发票将在确认收货后发送至邮箱", "会员积分可抵扣部分现金",
      "优惠券不可叠加使用", "积分有效期为一年", "会员生日当月享双倍积分"}},
};

constexpr std::string_view kEnBrands[] = {
    "Anker",  "Logitech", "Sony",        "Philips", "Dyson", "Nike",   "Adidas", "Lenovo", "Xiaomi",
    "Huawei", "Apple",    "Samsung",     "Bose",    "Razer", "Ugreen", "Baseus", "Uniqlo", "Levi's",
    "Keurig", "Ninja",    "Instant Pot", "Oral-B",  "Braun", "Garmin", "Fitbit", "JBL"};
constexpr std::string_view kEnCategories[] = {"wireless earbuds",
                                              "phone case",
                                              "power bank",
                                              "running shoes",
                                              "summer dress",
                                              "down jacket",
                                              "rice cooker",
                                              "air fryer",
                                              "robot vacuum",
                                              "mechanical keyboard",
                                              "monitor",
                                              "travel mug",
                                              "suitcase",
                                              "backpack",
                                              "electric toothbrush",
                                              "face mask",
                                              "shampoo",
                                              "cat food",
                                              "kids toy",
                                              "bedding set",
                                              "desk lamp",
                                              "smartwatch",
                                              "wireless mouse",
                                              "router",
                                              "projector",
                                              "hair dryer",
                                              "shaver",
                                              "blender",
                                              "kettle",
                                              "hoodie",
                                              "jeans",
                                              "hiking pack",
                                              "yoga mat",
                                              "charging cable",
                                              "tablet",
                                              "laptop",
                                              "coffee beans",
                                              "mattress",
                                              "power strip",
                                              "headphones"};
constexpr std::string_view kEnAttributes[] = {
    "black",       "white",           "space gray", "rose gold",         "large capacity",
    "lightweight", "waterproof",      "quiet",      "fast charging",     "noise cancelling",
    "insulated",   "breathable mesh", "cotton",     "stainless steel",   "foldable",
    "anti-slip",   "kids size",       "unisex",     "long battery life", "bluetooth 5.3"};
constexpr std::string_view kEnSellingPoints[] = {
    "Free returns within 30 days.",         "One-year limited warranty included.",
    "Ships within 2 business days.",        "Free shipping on orders over $35.",
    "Price match guarantee for 14 days.",   "Genuine product, sold by the brand.",
    "Trade-in offers available.",           "Pay in 4 interest-free installments.",
    "Gift wrapping available at checkout.", "Members earn double points this week."};
constexpr std::string_view kEnSpecs[] = {"Battery lasts up to {n} hours.",
                                         "Weighs about {n} grams.",
                                         "Rated at {n} watts.",
                                         "Holds {n} ml.",
                                         "Measures {n} cm across.",
                                         "Charges fully in {n} minutes.",
                                         "Covers rooms up to {n} sq ft.",
                                         "Warranty: {n} months.",
                                         "Screen size {n} inches."};
const Topic kEnPolicies[] = {
    {"Returns policy",
     {"Most items can be returned within 30 days of delivery.",
      "Items must be unused and in their original packaging.",
      "We cover return shipping for damaged or defective items.",
      "Return shipping for change-of-mind returns is paid by the customer.",
      "Personalized items and underwear cannot be returned.",
      "Free gifts must be returned together with the item."}},
    {"Refunds",
     {"Refunds are issued to the original payment method within 5 business days.",
      "Orders paid with a coupon are refunded the amount actually paid.",
      "Bank card refunds may take longer depending on your bank.",
      "A partial refund does not affect other items in the order."}},
    {"Shipping and delivery",
     {"Orders ship within 48 hours of payment.", "Remote areas are excluded from free shipping.",
      "International orders usually arrive within 15 business days.",
      "To change your delivery address, contact support before the order ships.",
      "Please inspect the package before signing for it.",
      "Large items are delivered to your door."}},
    {"Exchanges and warranty",
     {"Exchanges require the item in good condition and proof of purchase.",
      "Repairs under warranty are free unless the damage was accidental.",
      "A loaner device is available during repairs.",
      "Exchanged items are processed within two business days of arrival."}},
    {"Invoices and membership",
     {"Invoices can be requested from the order details page.",
      "Electronic invoices are emailed after delivery is confirmed.",
      "Membership points can be redeemed for discounts.", "Coupons cannot be combined.",
      "Points expire after one year."}},
};

constexpr std::string_view kZhQueryTemplates[] = {"{cat}怎么退货",
                                                  "{brand}{cat}保修多久",
                                                  "{attr}的{cat}还有货吗",
                                                  "退款多久到账",
                                                  "我买的{cat}坏了怎么办",
                                                  "{cat}能开发票吗",
                                                  "发货后可以修改地址吗",
                                                  "{brand}{cat}多少钱",
                                                  "运费险怎么理赔",
                                                  "{cat}{attr}和普通款有什么区别",
                                                  "优惠券可以叠加使用吗",
                                                  "{cat}支持七天无理由退货吗",
                                                  "海外直邮多久能到",
                                                  "会员积分怎么用",
                                                  "换货要多久"};
constexpr std::string_view kEnQueryTemplates[] = {
    "how do I return my {cat}", "{brand} {cat} warranty",        "is the {attr} {cat} in stock",
    "refund not received yet",  "my {cat} arrived broken",       "can I get an invoice",
    "change delivery address",  "how much is the {brand} {cat}", "do you ship internationally",
    "can I combine coupons",    "{cat} return shipping cost",    "how long does an exchange take"};

// ---------------------------------------------------------------------------------------------
// Generator

// SplitMix64: small, fast, and good enough to pick words.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  size_t Below(size_t n) { return static_cast<size_t>(Next() % n); }
  template <typename T, size_t N>
  const T& Pick(const T (&items)[N]) {
    return items[Below(N)];
  }
  std::string_view Pick(const std::vector<std::string_view>& items) {
    return items[Below(items.size())];
  }

 private:
  uint64_t state_;
};

size_t CodePoints(std::string_view s) {
  return static_cast<size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

std::string Fill(std::string_view pattern, std::string_view key, std::string_view value) {
  std::string out(pattern);
  if (size_t at = out.find(key); at != std::string::npos) {
    out.replace(at, key.size(), value);
  }
  return out;
}

struct SyntheticChunk {
  std::string title;
  std::string body;
  bool zh = false;       // else English
  bool product = false;  // else a policy passage
};

SyntheticChunk MakeChunk(uint64_t seed, uint64_t index) {
  Rng rng(seed * 0x100000001B3ull + index);
  const bool zh = rng.Below(100) < 60;
  const bool product = rng.Below(100) < 70;
  const size_t target = 30 + rng.Below(171);  // characters
  SyntheticChunk c;
  c.zh = zh;
  c.product = product;
  auto add = [&](std::string_view piece, std::string_view sep) {
    if (!c.body.empty()) {
      c.body += sep;
    }
    c.body += piece;
  };
  if (product) {
    if (zh) {
      c.title = std::string(rng.Pick(kZhBrands)) + std::string(rng.Pick(kZhCategories));
      add(c.title, "");
      add(" 型号" + std::to_string(1000 + rng.Below(9000)), "");
      while (CodePoints(c.body) < target) {
        switch (rng.Below(3)) {
          case 0:
            add(rng.Pick(kZhAttributes), "，");
            break;
          case 1:
            add(rng.Pick(kZhSellingPoints), "，");
            break;
          default:
            add(Fill(rng.Pick(kZhSpecs), "{n}", std::to_string(1 + rng.Below(500))), "，");
        }
      }
      c.body += "。";
    } else {
      c.title = std::string(rng.Pick(kEnBrands)) + " " + std::string(rng.Pick(kEnCategories));
      add(c.title + " model " + std::to_string(1000 + rng.Below(9000)) + ".", "");
      while (CodePoints(c.body) < target) {
        switch (rng.Below(3)) {
          case 0:
            add(std::string(rng.Pick(kEnAttributes)) + ", " + std::string(rng.Pick(kEnAttributes)) +
                    ".",
                " ");
            break;
          case 1:
            add(rng.Pick(kEnSellingPoints), " ");
            break;
          default:
            add(Fill(rng.Pick(kEnSpecs), "{n}", std::to_string(1 + rng.Below(500))), " ");
        }
      }
    }
  } else {
    const Topic& topic = zh ? rng.Pick(kZhPolicies) : rng.Pick(kEnPolicies);
    c.title = std::string(topic.title);
    while (CodePoints(c.body) < target) {
      add(rng.Pick(topic.sentences), zh ? "。" : " ");
    }
  }
  return c;
}

std::string MakeQuery(uint64_t seed, uint64_t index) {
  Rng rng(~seed * 0x9E3779B97F4A7C15ull + index);
  if (rng.Below(100) < 60) {
    std::string q(rng.Pick(kZhQueryTemplates));
    q = Fill(q, "{brand}", rng.Pick(kZhBrands));
    q = Fill(q, "{cat}", rng.Pick(kZhCategories));
    return Fill(q, "{attr}", rng.Pick(kZhAttributes));
  }
  std::string q(rng.Pick(kEnQueryTemplates));
  q = Fill(q, "{brand}", rng.Pick(kEnBrands));
  q = Fill(q, "{cat}", rng.Pick(kEnCategories));
  return Fill(q, "{attr}", rng.Pick(kEnAttributes));
}

// ---------------------------------------------------------------------------------------------
// Measurement helpers

// VmRSS of this process in bytes, 0 when /proc is unavailable.
size_t ResidentBytes() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      return std::strtoull(line.c_str() + 6, nullptr, 10) * 1024;
    }
  }
  return 0;
}

// Wall-clock and CPU time of one stretch of work.
struct Span {
  std::chrono::nanoseconds wall{};
  std::chrono::nanoseconds cpu{};
  Span& operator+=(const Span& o) {
    wall += o.wall;
    cpu += o.cpu;
    return *this;
  }
};

class Stopwatch {
 public:
  Stopwatch() : wall_(Clock::now()), cpu_(CpuClock::now()) {}
  // Time since construction or the previous Lap.
  Span Lap() {
    const auto wall = Clock::now();
    const auto cpu = CpuClock::now();
    const Span s{wall - wall_, cpu - cpu_};
    wall_ = wall;
    cpu_ = cpu;
    return s;
  }

 private:
  Clock::time_point wall_;
  CpuClock::time_point cpu_;
};

struct Percentiles {
  double p50 = 0;
  double p99 = 0;
};

Percentiles Summarize(std::vector<double> ms) {
  if (ms.empty()) {
    return {};
  }
  std::sort(ms.begin(), ms.end());
  auto at = [&](double q) {
    const size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(ms.size())));
    return ms[std::clamp<size_t>(rank, 1, ms.size()) - 1];
  };
  return {at(0.50), at(0.99)};
}

// Per-query latencies, wall and CPU, in ms.
struct Latencies {
  std::vector<double> wall;
  std::vector<double> cpu;
  void Add(const Span& s) {
    wall.push_back(Millis(s.wall));
    cpu.push_back(Millis(s.cpu));
  }
};

std::string Grouped(double v) {
  const std::string digits = std::to_string(static_cast<long long>(std::llround(v)));
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0 && digits[i - 1] != '-') {
      out += ',';
    }
    out += digits[i];
  }
  return out;
}

std::string Fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, v);
  return buf;
}

std::string Mib(size_t bytes) {
  return Fixed(static_cast<double>(bytes) / (1024.0 * 1024.0), 0) + " MiB";
}

std::string JoinTerms(const std::vector<std::string>& terms) {
  std::string out;
  for (const std::string& t : terms) {
    if (!out.empty()) {
      out += ' ';
    }
    out += t;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// SQLite FTS5

struct SqliteCloser {
  void operator()(sqlite3* db) const { sqlite3_close(db); }
};
struct StmtFinalizer {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using DbPtr = std::unique_ptr<sqlite3, SqliteCloser>;
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

[[noreturn]] void Die(std::string_view what, sqlite3* db) {
  std::fprintf(stderr, "kb_bench: %.*s: %s\n", static_cast<int>(what.size()), what.data(),
               db != nullptr ? sqlite3_errmsg(db) : "");
  std::exit(1);
}

void Exec(sqlite3* db, const char* sql) {
  if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) {
    Die(sql, db);
  }
}

StmtPtr Prepare(sqlite3* db, const char* sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) != SQLITE_OK) {
    Die(sql, db);
  }
  return StmtPtr(stmt);
}

// "a" OR "b" OR ...: every term as an FTS5 string, so none is read as syntax.
std::string Fts5OrQuery(const std::vector<std::string>& terms) {
  std::string q;
  std::unordered_set<std::string_view> seen;
  for (const std::string& t : terms) {
    if (!seen.insert(t).second) {
      continue;
    }
    if (!q.empty()) {
      q += " OR ";
    }
    q += '"';
    for (char c : t) {
      q += c;
      if (c == '"') {
        q += '"';
      }
    }
    q += '"';
  }
  return q;
}

struct Fts5Figures {
  Span insert;
  Latencies query;
  size_t db_bytes = 0;
  double overlap_at_10 = 0;  // mean share of FTS5's top 10 that is also in ours
};

// Loads `corpus_path` (title TAB body per line, terms space-joined) into an FTS5 table at
// `db_path` and runs the queries. `ours` holds our top-10 keys per query, for the overlap.
Fts5Figures RunFts5(const std::string& corpus_path, const std::string& db_path,
                    const std::vector<std::vector<std::string>>& queries,
                    const std::vector<std::vector<uint32_t>>& ours) {
  std::error_code ec;
  std::filesystem::remove(db_path, ec);
  sqlite3* raw = nullptr;
  if (sqlite3_open(db_path.c_str(), &raw) != SQLITE_OK) {
    Die("open " + db_path, raw);
  }
  DbPtr db(raw);
  Exec(db.get(), "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-262144;");
  Exec(db.get(), "CREATE VIRTUAL TABLE chunks USING fts5(title, body, tokenize='unicode61')");
  Fts5Figures f;
  {
    StmtPtr insert = Prepare(db.get(), "INSERT INTO chunks(rowid, title, body) VALUES (?, ?, ?)");
    std::ifstream in(corpus_path);
    std::string line;
    int64_t rowid = 0;
    Exec(db.get(), "BEGIN");
    while (std::getline(in, line)) {
      const size_t tab = line.find('\t');
      const std::string_view title = std::string_view(line).substr(0, tab);
      const std::string_view body =
          tab == std::string::npos ? std::string_view() : std::string_view(line).substr(tab + 1);
      Stopwatch watch;
      sqlite3_bind_int64(insert.get(), 1, rowid++);
      sqlite3_bind_text(insert.get(), 2, title.data(), static_cast<int>(title.size()),
                        SQLITE_STATIC);
      sqlite3_bind_text(insert.get(), 3, body.data(), static_cast<int>(body.size()), SQLITE_STATIC);
      if (sqlite3_step(insert.get()) != SQLITE_DONE) {
        Die("insert", db.get());
      }
      sqlite3_reset(insert.get());
      f.insert += watch.Lap();
    }
    Stopwatch watch;
    Exec(db.get(), "COMMIT");
    f.insert += watch.Lap();
  }
  StmtPtr search = Prepare(db.get(),
                           "SELECT rowid FROM chunks WHERE chunks MATCH ? "
                           "ORDER BY bm25(chunks, 2.0, 1.0), rowid LIMIT 10");
  double overlap_sum = 0;
  size_t overlap_n = 0;
  for (size_t qi = 0; qi < queries.size(); ++qi) {
    if (queries[qi].empty()) {
      continue;
    }
    Stopwatch watch;
    const std::string match = Fts5OrQuery(queries[qi]);
    sqlite3_bind_text(search.get(), 1, match.data(), static_cast<int>(match.size()),
                      SQLITE_TRANSIENT);
    std::vector<uint32_t> keys;
    int rc = 0;
    while ((rc = sqlite3_step(search.get())) == SQLITE_ROW) {
      keys.push_back(static_cast<uint32_t>(sqlite3_column_int64(search.get(), 0)));
    }
    if (rc != SQLITE_DONE) {
      Die("query " + match, db.get());
    }
    sqlite3_reset(search.get());
    f.query.Add(watch.Lap());
    if (!keys.empty()) {
      const std::vector<uint32_t>& mine = ours[qi];
      const auto shared = std::count_if(keys.begin(), keys.end(), [&](uint32_t k) {
        return std::find(mine.begin(), mine.end(), k) != mine.end();
      });
      overlap_sum += static_cast<double>(shared) / static_cast<double>(keys.size());
      ++overlap_n;
    }
  }
  f.overlap_at_10 = overlap_n == 0 ? 0 : overlap_sum / static_cast<double>(overlap_n);
  db.reset();
  f.db_bytes = static_cast<size_t>(std::filesystem::file_size(db_path, ec));
  std::filesystem::remove(db_path, ec);
  return f;
}

// ---------------------------------------------------------------------------------------------
// Hybrid retriever (kb/retriever.h)

// CPU time of the whole process, every thread: the multi-threaded import.
std::chrono::nanoseconds ProcessCpu() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return std::chrono::nanoseconds(static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec);
}

// One synthetic chunk as the retriever takes it: a document of its own holding one chunk. Every
// synthetic chunk is under ChunkOptions::max_chars, so ChunkDocument would cut it the same way.
struct DocAndChunk {
  KbDocument doc;
  Chunk chunk;
};

DocAndChunk MakeDocument(uint64_t seed, uint64_t index) {
  SyntheticChunk c = MakeChunk(seed, index);
  DocAndChunk d;
  d.doc.id = "synthetic/" + std::to_string(index);
  d.doc.source = "kb_bench";
  d.doc.title = std::move(c.title);
  d.doc.lang = c.zh ? "zh" : "en";
  d.doc.category = c.product ? "product" : "policy";
  d.doc.format = c.product ? DocFormat::kProduct : DocFormat::kText;
  d.doc.body = c.body;
  d.chunk.doc_id = d.doc.id;
  d.chunk.text = std::move(c.body);
  return d;
}

// What Upsert embeds for such a chunk (title, newline, text): the training texts and the
// Embed-alone sample use it too.
std::string EmbeddingText(const DocAndChunk& d) {
  return d.doc.title + "\n" + d.chunk.text;
}

constexpr SearchMode kModes[] = {SearchMode::kHybrid, SearchMode::kBm25, SearchMode::kVector};
constexpr size_t kModeCount = std::size(kModes);
constexpr size_t kWarmupQueries = 20;
// Documents per Retriever::UpsertBatch in the parallel import (KnowledgeBase::Import's batch).
constexpr size_t kImportBatch = 256;

struct HybridFigures {
  size_t train_texts = 0;
  double train_s = 0;  // TrainEmbedding, wall clock
  int dim = 0;
  size_t embed_n = 0;  // Embed() alone over the first embed_n chunks
  Span embed;
  Span segment;   // text::Normalize + text::Segment alone over the same sample
  Span generate;  // MakeDocument, not part of the import figure
  Span import;    // Upsert, one thread
  Span import_last_tenth;
  size_t last_tenth_n = 0;
  size_t rss_before = 0;
  size_t rss_after = 0;
  Latencies query[kModeCount];
  size_t empty[kModeCount] = {};
  // Upsert from `threads` threads into a fresh Retriever (chunk generation included).
  int threads = 0;
  std::chrono::nanoseconds parallel_wall{};
  std::chrono::nanoseconds parallel_cpu{};  // the process, all threads
  size_t parallel_rss_before = 0;
  size_t parallel_rss_after = 0;
  std::string load_start;
  std::string load_end;
};

// VmRSS after handing free heap pages back to the system: otherwise memory freed by the lexical
// part and by training is reused without showing up as growth.
size_t TrimmedResidentBytes() {
  malloc_trim(0);
  return ResidentBytes();
}

[[noreturn]] void DieStatus(std::string_view what, const kefu::Status& status) {
  std::fprintf(stderr, "kb_bench: %.*s: %s\n", static_cast<int>(what.size()), what.data(),
               status.ToString().c_str());
  std::exit(1);
}

// Trains the embedding on the first `train_texts` chunks, imports every chunk into a Retriever
// with one thread and runs the queries in each mode; then, with threads > 1, imports them again
// into a fresh Retriever from that many threads.
HybridFigures RunHybrid(uint64_t seed, size_t chunks, size_t queries, size_t train_texts,
                        int threads, const std::string& work_dir) {
  HybridFigures f;
  f.load_start = LoadAverage();
  f.threads = threads;
  f.train_texts = std::min(chunks, train_texts);
  const std::string model_path = work_dir + "/kb_bench_" + std::to_string(getpid()) + ".emb";
  std::shared_ptr<const Embedder> embedder;
  {
    std::vector<std::string> corpus;
    corpus.reserve(f.train_texts);
    for (size_t i = 0; i < f.train_texts; ++i) {
      corpus.push_back(EmbeddingText(MakeDocument(seed, i)));
    }
    Stopwatch watch;
    if (kefu::Status s = TrainEmbedding(corpus, EmbeddingTrainOptions{}, model_path); !s.ok()) {
      DieStatus("train embedding", s);
    }
    f.train_s = Seconds(watch.Lap().wall);
    Result<std::unique_ptr<Embedder>> loaded = LoadEmbedding(model_path);
    if (!loaded.ok()) {
      DieStatus("load embedding", loaded.status());
    }
    embedder = std::move(*loaded);
    std::filesystem::remove(model_path);
    f.dim = embedder->dim();
    // Embed() alone, to split the import cost.
    f.embed_n = corpus.size();
    for (const std::string& text : corpus) {
      Stopwatch embed_watch;
      (void)embedder->Embed(text);
      f.embed += embed_watch.Lap();
      (void)kefu::text::Segment(kefu::text::Normalize(text).text);
      f.segment += embed_watch.Lap();
    }
  }

  const RetrieverOptions options{.embedder = embedder};
  {
    Retriever retriever(options);
    f.rss_before = TrimmedResidentBytes();
    const size_t last_tenth_from = chunks - chunks / 10;
    f.last_tenth_n = chunks - last_tenth_from;
    Stopwatch progress;
    for (size_t i = 0; i < chunks; ++i) {
      Stopwatch watch;
      const DocAndChunk d = MakeDocument(seed, i);
      f.generate += watch.Lap();
      const kefu::Status s = retriever.Upsert(d.doc, std::span<const Chunk>(&d.chunk, 1));
      const Span upsert = watch.Lap();
      if (!s.ok()) {
        DieStatus("upsert " + d.doc.id, s);
      }
      f.import += upsert;
      if (i >= last_tenth_from) {
        f.import_last_tenth += upsert;
      }
      if ((i + 1) % 100'000 == 0) {
        std::fprintf(stderr, "kb_bench: hybrid import %zu / %zu, %.0f chunks/s so far\n", i + 1,
                     chunks, static_cast<double>(i + 1) / Seconds(f.import.wall));
      }
    }
    f.rss_after = TrimmedResidentBytes();

    SearchOptions search;
    search.k = 10;
    for (size_t q = 0; q < kWarmupQueries; ++q) {  // untimed: first touches of lazy buffers
      (void)retriever.Search(MakeQuery(seed, queries + q), search);
    }
    for (size_t q = 0; q < queries; ++q) {
      const std::string raw = MakeQuery(seed, q);
      for (size_t m = 0; m < kModeCount; ++m) {  // interleaved, so load shifts hit every mode
        search.mode = kModes[m];
        Stopwatch watch;
        const std::vector<Hit> hits = retriever.Search(raw, search);
        f.query[m].Add(watch.Lap());
        f.empty[m] += hits.empty() ? 1 : 0;
      }
    }
  }

  if (threads > 1) {
    // What KnowledgeBase::Import does: UpsertBatch of kImportBatch documents at a time, which
    // prepares them and inserts their vectors on `threads` threads.
    RetrieverOptions parallel_options = options;
    parallel_options.import_threads = threads;
    Retriever retriever(parallel_options);
    f.parallel_rss_before = TrimmedResidentBytes();
    const auto wall_start = Clock::now();
    const auto cpu_start = ProcessCpu();
    std::vector<DocAndChunk> docs;
    std::vector<DocChunks> batch;
    for (size_t from = 0; from < chunks; from += kImportBatch) {
      docs.clear();
      batch.clear();
      for (size_t i = from; i < std::min(chunks, from + kImportBatch); ++i) {
        docs.push_back(MakeDocument(seed, i));
      }
      for (const DocAndChunk& d : docs) {
        batch.push_back({&d.doc, std::span<const Chunk>(&d.chunk, 1)});
      }
      if (kefu::Status s = retriever.UpsertBatch(batch); !s.ok()) {
        DieStatus("upsert batch from " + docs.front().doc.id, s);
      }
      const size_t done = std::min(chunks, from + kImportBatch);
      if (done % 100'000 < kImportBatch) {
        std::fprintf(stderr, "kb_bench: batched import %zu / %zu, %.0f chunks/s so far\n", done,
                     chunks,
                     static_cast<double>(done) /
                         std::chrono::duration<double>(Clock::now() - wall_start).count());
      }
    }
    f.parallel_wall = Clock::now() - wall_start;
    f.parallel_cpu = ProcessCpu() - cpu_start;
    f.parallel_rss_after = TrimmedResidentBytes();
  }
  f.load_end = LoadAverage();
  return f;
}

// The figures of the lexical part that the summary row repeats.
struct LexicalSummary {
  Span import;
  Span tokenize;
  Latencies end_to_end;
  std::optional<Latencies> fts5;
};

std::string Verdict(bool met) {
  return met ? "**met**" : "**not met**";
}

// ---------------------------------------------------------------------------------------------

struct Args {
  size_t chunks = 10'000;
  size_t queries = 1'000;
  uint64_t seed = 1;
  bool fts5 = true;
  bool hybrid = false;
  size_t train_texts = 20'000;
  int hybrid_threads = 1;
  std::string summary_path;
  std::string fts5_db;
  std::string work_dir = std::filesystem::temp_directory_path().string();
};

[[noreturn]] void Usage() {
  std::fprintf(stderr,
               "usage: kb_bench [--chunks N] [--queries N] [--seed N] [--no-fts5] "
               "[--fts5-db PATH] [--work-dir DIR] [--hybrid] [--train-texts N] "
               "[--hybrid-threads N] [--summary PATH]\n");
  std::exit(2);
}

Args ParseArgs(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        Usage();
      }
      return argv[++i];
    };
    if (arg == "--chunks") {
      a.chunks = std::stoull(value());
    } else if (arg == "--queries") {
      a.queries = std::stoull(value());
    } else if (arg == "--seed") {
      a.seed = std::stoull(value());
    } else if (arg == "--no-fts5") {
      a.fts5 = false;
    } else if (arg == "--fts5-db") {
      a.fts5_db = value();
    } else if (arg == "--work-dir") {
      a.work_dir = value();
    } else if (arg == "--hybrid") {
      a.hybrid = true;
    } else if (arg == "--train-texts") {
      a.train_texts = std::stoull(value());
    } else if (arg == "--hybrid-threads") {
      a.hybrid_threads = std::stoi(value());
    } else if (arg == "--summary") {
      a.summary_path = value();
    } else {
      Usage();
    }
  }
  return a;
}

// "12,345 (CPU 23,456)": a rate from wall-clock time, and from CPU time.
std::string Rate(double count, const Span& s) {
  return Grouped(count / Seconds(s.wall)) + " (CPU " + Grouped(count / Seconds(s.cpu)) + ")";
}

// "p50 / p99 ms (CPU p50 / p99)".
std::string LatencyCell(const Latencies& l) {
  const Percentiles wall = Summarize(l.wall);
  const Percentiles cpu = Summarize(l.cpu);
  return Fixed(wall.p50, 3) + " / " + Fixed(wall.p99, 3) + " (CPU " + Fixed(cpu.p50, 3) + " / " +
         Fixed(cpu.p99, 3) + ")";
}

// "p50 / p99" in ms, wall clock: the summary row.
std::string WallCell(const Latencies& l) {
  const Percentiles wall = Summarize(l.wall);
  return Fixed(wall.p50, 3) + " / " + Fixed(wall.p99, 3);
}

void PrintHybrid(const HybridFigures& f, size_t chunks, const LexicalSummary& lexical) {
  const double n = static_cast<double>(chunks);
  const EmbeddingTrainOptions train;
  const RetrieverOptions retriever;
  const VectorIndexOptions vectors;
  std::printf("#### Hybrid retriever (kb/retriever.h), %s chunks\n\n", Grouped(n).c_str());
  std::printf(
      "Embedding: `kb::TrainEmbedding` with default options (dim %d, %d epochs, subwords %d-%d) "
      "on the first %s chunks' texts (title, newline, body: what Upsert embeds), then "
      "`LoadEmbedding`. Retriever: `RetrieverOptions{.embedder = ...}`, otherwise defaults "
      "(%zu candidates per list, RRF k %.0f); its `VectorIndex` defaults: M %d, "
      "ef_construction %d, ef_search %d. One document per chunk, `Upsert(doc, {chunk})`, keys in "
      "corpus order; chunk generation is timed apart and left out of the import rate. Queries: "
      "the same %zu questions as above, `Search(q, {.k = 10, .mode = ...})`, the three modes "
      "interleaved per question, after %zu untimed warm-up queries. Load average %s at start, %s "
      "at end.\n\n",
      train.dim, train.epoch, train.minn, train.maxn, Grouped(double(f.train_texts)).c_str(),
      retriever.candidates, retriever.rrf_k, vectors.M, vectors.ef_construction, vectors.ef_search,
      f.query[0].wall.size(), kWarmupQueries, f.load_start.c_str(), f.load_end.c_str());

  const bool small = chunks <= 10'000;
  const bool large = chunks >= 1'000'000;
  const double import_rate = n / Seconds(f.import.wall);
  const Percentiles hybrid = Summarize(f.query[0].wall);
  std::printf("| measure | figure | goal |\n|---|---|---|\n");
  std::printf("| embedding training, %s texts | %.1f s wall | — |\n",
              Grouped(double(f.train_texts)).c_str(), f.train_s);
  std::printf("| import chunks/s: `Upsert`, 1 thread | %s | >= 5,000: %s |\n",
              Rate(n, f.import).c_str(), Verdict(import_rate >= 5000).c_str());
  std::printf("| import chunks/s: last tenth of that import | %s | — |\n",
              Rate(double(f.last_tenth_n), f.import_last_tenth).c_str());
  if (f.threads > 1) {
    const double rate = n / Seconds(f.parallel_wall);
    std::printf(
        "| import chunks/s: `UpsertBatch` of 256 documents, import_threads %d, fresh Retriever "
        "(generation included; "
        "1 thread incl. generation: %s) | %s (process CPU %.0f s, %.2f cores busy) | "
        ">= 5,000: %s |\n",
        f.threads, Grouped(n / (Seconds(f.import.wall) + Seconds(f.generate.wall))).c_str(),
        Grouped(rate).c_str(), Seconds(f.parallel_cpu),
        Seconds(f.parallel_cpu) / Seconds(f.parallel_wall), Verdict(rate >= 5000).c_str());
  }
  const double kbterms_us =
      std::chrono::duration<double, std::micro>(lexical.tokenize.cpu).count() / n;
  const double embed_us =
      std::chrono::duration<double, std::micro>(f.embed.cpu).count() / double(f.embed_n);
  const double upsert_us = std::chrono::duration<double, std::micro>(f.import.cpu).count() / n;
  const double segment_us =
      std::chrono::duration<double, std::micro>(f.segment.cpu).count() / double(f.embed_n);
  std::printf(
      "| CPU µs per chunk, 1 thread: `Upsert`; apart: KbTerms (lexical run above), `Embed` of the "
      "embedding text (first %s chunks), and of that `text::Normalize` + `text::Segment`, which "
      "Upsert does once for both (the own embedding takes KbTerms' tokens) | %.0f; %.0f, %.0f, "
      "%.0f | — |\n",
      Grouped(double(f.embed_n)).c_str(), upsert_us, kbterms_us, embed_us, segment_us);
  std::printf(
      "| so the rest of `Upsert` (BM25 add, HNSW add, entries) is about | %.0f µs per chunk | — "
      "|\n",
      upsert_us - kbterms_us - (embed_us - segment_us));
  std::string hybrid_goal = "—";
  if (small) {
    hybrid_goal = "p50 <= 1 ms: " + Verdict(hybrid.p50 <= 1.0);
  } else if (large) {
    hybrid_goal = "p50 <= 10 ms: " + Verdict(hybrid.p50 <= 10.0) +
                  "; p99 <= 30 ms: " + Verdict(hybrid.p99 <= 30.0);
  }
  std::printf("| query p50 / p99 ms: hybrid, k 10 | %s | %s |\n", LatencyCell(f.query[0]).c_str(),
              hybrid_goal.c_str());
  std::printf("| query p50 / p99 ms: bm25 mode, k 10 | %s | — |\n",
              LatencyCell(f.query[1]).c_str());
  std::printf("| query p50 / p99 ms: vector mode, k 10 | %s | — |\n",
              LatencyCell(f.query[2]).c_str());
  std::printf(
      "| VmRSS before / after the 1-thread import | %s / %s (+%s, %s bytes per chunk) | "
      "reported |\n",
      Mib(f.rss_before).c_str(), Mib(f.rss_after).c_str(),
      Mib(f.rss_after - std::min(f.rss_after, f.rss_before)).c_str(),
      Grouped(double(f.rss_after - std::min(f.rss_after, f.rss_before)) / n).c_str());
  if (f.threads > 1) {
    std::printf("| VmRSS before / after the %d-thread import | %s / %s | — |\n", f.threads,
                Mib(f.parallel_rss_before).c_str(), Mib(f.parallel_rss_after).c_str());
  }
  std::printf("| queries with no hit: hybrid / bm25 / vector | %zu / %zu / %zu of %zu | |\n\n",
              f.empty[0], f.empty[1], f.empty[2], f.query[0].wall.size());
}

// One row of the summary table kb_scale.sh puts on top (wall clock throughout).
std::string SummaryRow(size_t chunks, const LexicalSummary& lexical,
                       const std::optional<HybridFigures>& hybrid, size_t rss_lexical,
                       const std::string& load) {
  const double n = static_cast<double>(chunks);
  const std::string none = "—";
  std::string row = "| " + Grouped(n) + " | " + Grouped(n / Seconds(lexical.import.wall)) + " | ";
  if (hybrid) {
    row += Grouped(n / Seconds(hybrid->import.wall)) + " | ";
    row += (hybrid->threads > 1 ? Grouped(n / Seconds(hybrid->parallel_wall)) : none) + " | ";
  } else {
    row += none + " | " + none + " | ";
  }
  row += WallCell(lexical.end_to_end) + " | ";
  row += lexical.fts5 ? WallCell(*lexical.fts5) : none;
  for (size_t m = 0; m < kModeCount; ++m) {
    row += " | " + (hybrid ? WallCell(hybrid->query[m]) : none);
  }
  row += " | " + (hybrid ? Mib(hybrid->rss_after) : Mib(rss_lexical));
  row +=
      " | " + load + (hybrid ? ", " + hybrid->load_start + " → " + hybrid->load_end : "") + " |\n";
  return row;
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = ParseArgs(argc, argv);
  const std::string tag = std::to_string(getpid());
  const std::string corpus_path = args.work_dir + "/kb_bench_corpus_" + tag + ".tsv";
  const std::string db_path =
      args.fts5_db.empty() ? args.work_dir + "/kb_bench_fts5_" + tag + ".db" : args.fts5_db;
  const std::string load_start = LoadAverage();

  // Load the normalizer and friso before measuring anything.
  (void)kefu::text::NormalizerStatus();
  if (!kefu::text::DefaultSegmenterStatus().ok()) {
    std::fprintf(stderr, "kb_bench: warning: %s\n",
                 kefu::text::DefaultSegmenterStatus().message().c_str());
  }
  (void)KbTerms("预热 warm up");
  LexicalSummary lexical;
  size_t rss_lexical = 0;
  {  // The lexical part; its index is gone before the hybrid part starts.
    const size_t rss_before = ResidentBytes();

    // Import: what KnowledgeBase does per chunk, minus the store and the embeddings.
    Bm25Index index;
    std::ofstream corpus_out;
    if (args.fts5) {
      corpus_out.open(corpus_path);
    }
    Span tokenize;
    Span add;
    size_t total_terms = 0;
    size_t total_chars = 0;
    for (size_t i = 0; i < args.chunks; ++i) {
      const SyntheticChunk chunk = MakeChunk(args.seed, i);
      total_chars += CodePoints(chunk.title) + CodePoints(chunk.body);
      Stopwatch watch;
      const std::vector<std::string> title = KbTerms(chunk.title);
      const std::vector<std::string> body = KbTerms(chunk.body);
      tokenize += watch.Lap();
      const Bm25Field fields[] = {{title, 2.0f}, {body, 1.0f}};
      index.Add(static_cast<uint32_t>(i), fields);
      add += watch.Lap();
      total_terms += title.size() + body.size();
      if (args.fts5) {
        corpus_out << JoinTerms(title) << '\t' << JoinTerms(body) << '\n';
      }
    }
    corpus_out.close();
    Span import = tokenize;
    import += add;
    const size_t rss_built = ResidentBytes();
    const size_t index_bytes = index.memory_bytes();
    Stopwatch compact_watch;
    index.Compact();  // returns the spare capacity of growing posting lists
    const double compact_ms = Millis(compact_watch.Lap().wall);
    const size_t index_bytes_compact = index.memory_bytes();

    // Queries.
    std::vector<std::vector<std::string>> query_terms;
    std::vector<std::vector<uint32_t>> our_top;
    Latencies search;
    Latencies end_to_end;
    size_t empty_results = 0;
    for (size_t q = 0; q < args.queries; ++q) {
      const std::string raw = MakeQuery(args.seed, q);
      Stopwatch watch;
      std::vector<std::string> terms = KbTerms(raw);
      const Span tokenized = watch.Lap();
      const std::vector<Bm25Hit> hits = index.Search(terms, 10);
      const Span searched = watch.Lap();
      search.Add(searched);
      Span both = tokenized;
      both += searched;
      end_to_end.Add(both);
      std::vector<uint32_t> keys;
      for (const Bm25Hit& h : hits) {
        keys.push_back(h.key);
      }
      empty_results += keys.empty() ? 1 : 0;
      our_top.push_back(std::move(keys));
      query_terms.push_back(std::move(terms));
    }

    std::optional<Fts5Figures> fts5;
    if (args.fts5) {
      fts5 = RunFts5(corpus_path, db_path, query_terms, our_top);
      std::filesystem::remove(corpus_path);
    }

    const double n = static_cast<double>(args.chunks);
    const std::string not_run = "not run";
    std::printf("### %s chunks (seed %llu, %zu queries)\n\n", Grouped(n).c_str(),
                static_cast<unsigned long long>(args.seed), args.queries);
    std::printf(
        "Corpus: %.0f characters and %.1f index terms per chunk on average (title and body), "
        "%s distinct terms, average weighted length %.1f. Load average %s at start, %s at end "
        "(rates: wall clock, and CPU time of the benchmark thread).\n\n",
        static_cast<double>(total_chars) / n, static_cast<double>(total_terms) / n,
        Grouped(static_cast<double>(index.term_count())).c_str(), index.average_length(),
        load_start.c_str(), LoadAverage().c_str());
    std::printf("| measure | kefu BM25 (kb/bm25.h) | SQLite FTS5 bm25() |\n|---|---|---|\n");
    std::printf("| import chunks/s: KbTerms + index | %s | — |\n", Rate(n, import).c_str());
    std::printf("| KbTerms alone: chunks/s | %s | — |\n", Rate(n, tokenize).c_str());
    std::printf("| KbTerms alone: terms/s | %s | — |\n",
                Rate(static_cast<double>(total_terms), tokenize).c_str());
    std::printf("| indexing pre-segmented terms: chunks/s | %s | %s |\n", Rate(n, add).c_str(),
                fts5 ? Rate(n, fts5->insert).c_str() : not_run.c_str());
    std::printf("| query p50 / p99 ms: search, top 10 | %s | %s |\n", LatencyCell(search).c_str(),
                fts5 ? LatencyCell(fts5->query).c_str() : not_run.c_str());
    std::printf("| query p50 / p99 ms: KbTerms + search | %s | — |\n",
                LatencyCell(end_to_end).c_str());
    std::printf(
        "| memory | VmRSS +%s over the import; index %s, %s after Compact (%.0f ms) | %s |\n",
        Mib(rss_built - std::min(rss_built, rss_before)).c_str(), Mib(index_bytes).c_str(),
        Mib(index_bytes_compact).c_str(), compact_ms,
        fts5 ? ("database file " + Mib(fts5->db_bytes)).c_str() : not_run.c_str());
    if (fts5) {
      std::printf("| share of FTS5's top 10 also in ours | %.0f%% | |\n",
                  100.0 * fts5->overlap_at_10);
    }
    std::printf("| queries with no hit | %zu of %zu | |\n", empty_results, args.queries);
    std::printf("\n");
    lexical.import = import;
    lexical.tokenize = tokenize;
    lexical.end_to_end = end_to_end;
    if (fts5) {
      lexical.fts5 = fts5->query;
    }
    rss_lexical = rss_built;
  }

  std::optional<HybridFigures> hybrid;
  if (args.hybrid) {
    hybrid = RunHybrid(args.seed, args.chunks, args.queries, args.train_texts, args.hybrid_threads,
                       args.work_dir);
    PrintHybrid(*hybrid, args.chunks, lexical);
  }
  std::fflush(stdout);
  if (!args.summary_path.empty()) {
    std::ofstream summary(args.summary_path, std::ios::app);
    summary << SummaryRow(args.chunks, lexical, hybrid, rss_lexical, load_start);
  }
  return 0;
}

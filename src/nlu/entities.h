// Entity extraction: finds order numbers, tracking numbers, phones, e-mails, money, dates,
// quantities, catalog products, sizes and colours in one shopper message, and gives each a
// canonical value.
//
//   EntityOptions options;
//   options.catalog = {{"PH-0001", "星河 X5 智能手机", "Xinghe X5 Smartphone", {"x5手机"}}};
//   Result<std::unique_ptr<EntityExtractor>> extractor = EntityExtractor::Create(options);
//   if (!extractor.ok()) return extractor.status();  // a bad order_id pattern
//   std::string text = text::Normalize("订单 2026112464518311 昨天就该到了").text;
//   for (const ExtractedEntity& e : (*extractor)->Extract(text, clock.NowMillis())) {
//     // {order_id, "2026112464518311", [3,19)}, then {date, "2026-11-28", [20,22)}
//   }
//
// Ownership and threads: Create builds every index once and the extractor owns them; Extract is
// const, allocates only locals, and is safe to call from any number of threads at once. It is
// linear in the text: a typical message takes a few microseconds, 100 KB a few milliseconds.
//
// Types and canonical values:
//   order_id     "2026112464518311" (10-20 digits), "KF2026112464518311" (letter-prefixed ids
//                accepted by EntityOptions::order_id_patterns, upper-cased)
//   tracking_no  "SF1234567890123" (SF+12..13 digits, JDV+12, YT+13, E[x]+9+CN, upper-cased), or
//                the digits of a 10-20 digit number with tracking wording or a carrier nearby
//   phone        "13812345678" (mainland mobile; +86/86 prefixes and 3-4-4 groupings accepted)
//   email        "name@example.com" (lower-cased)
//   money        "CNY 299.00", "USD 45.00": ¥ ￥ RMB 元 块 块钱 $ USD dollars 美元 ..., digits or
//                Chinese numerals (三百五十块, 两百五 = 250, 三块五 = 3.50); a bare "3.5万" counts
//                (confidence 0.7), a bare number does not
//   date         "2026-11-20" in the shop's time zone
//   quantity     "2": 2件 两双 一箱 3 pcs, qty 3, x2 (not "x5 pro" or "星河x5手机": a model name)
//   product      the catalog sku; confidence < 1 for fuzzy or partial matches
//   size         "42", "38.5", "XL", "XXL", "M", "US 9", "EU 42", "UK 8", "170/88A", "ONE SIZE";
//                a lone s / m / l only with 码 / 号 after it or a size word (尺码, size) before it
//   colour       "black", "white", "red", "blue", "navy", "pink", "grey", "green", "yellow",
//                "purple", "gold", "silver", "beige", "khaki", "orange", "brown", "burgundy"
//
// How numbers are told apart: the nearest cue before the number in the same sentence decides
// (订单/单号/order → order_id; 手机/电话/phone/call/联系 → phone; 快递单号/运单号/物流单号/
// tracking/waybill or a carrier such as 顺丰/京东/中通/圆通/ems/sf/jd/zto/yto → tracking_no); with
// none before it, the first cue just after it. A number in between blocks a cue, and a list of
// equally long numbers shares the cue before the first. A tracking format (SF...) or a 3-4-4
// grouping decides by itself. With no cue an 11-digit 1[3-9] number is a phone and any other
// 10-20 digit number an order_id (confidence 0.9 for 16 digits, 0.6 otherwise).
//
// Dates: weeks start on Monday. 上周五 / "last friday" is the Friday of the previous calendar
// week, 这周三 / "this wednesday" the Wednesday of the current week (even if still to come),
// 下周一 / "next monday" the Monday of the next week; a bare 周五 / "friday" is this week's
// (confidence 0.7). 上周 / "last week" gives that week's Monday, and 上个月 / "last month" the
// first day of that month (confidence 0.8). 3天前 / "3 days ago" counts calendar days; 一个月前
// is the same day a month back. A date without a year (11月20号, "nov 20") takes the year that
// puts it closest to now; a bare day (20号) the closest month. "11/20" is not read as a date.
//
// Products: a name or alias found whole is exact (confidence 1); one typo in an English word of
// five letters or more, a wrong or missing Chinese character, or a mention of part of a long
// name ("xinghe x5") scores lower. A mention that fits several entries about equally well is
// shared among them and dropped below confidence 0.3.
//
// Offsets: start and end are code-point offsets into the text passed to Extract (normalized
// text, or raw text, which is case- and width-folded on the fly without moving offsets); text is
// that substring. Invalid UTF-8 bytes each count as one code point (U+FFFD). Entities never
// overlap: the longer span wins, then the more specific type; the result is sorted by start.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace kefu::nlu {

struct CatalogEntry {
  std::string sku;
  std::string name_zh;
  std::string name_en;
  std::vector<std::string> aliases;
};

struct EntityOptions {
  // ECMAScript regexes, matched case-insensitively against whole alphanumeric tokens that start
  // with letters followed by digits ("kf2026112464518311"). Plain 10-20 digit numbers are built in.
  std::vector<std::string> order_id_patterns = {"KF\\d{10,18}", "DD\\d{6,20}"};
  std::vector<CatalogEntry> catalog;  // product gazetteer
  int timezone_offset_minutes = 480;  // the shop's zone, east of UTC
};

struct ExtractedEntity {
  std::string type;   // order_id, tracking_no, phone, email, money, date, quantity, product, ...
  std::string value;  // canonical value, see the table above
  std::string text;   // the matched substring
  size_t start = 0;   // code-point offsets into the text passed to Extract
  size_t end = 0;
  double confidence = 1.0;
};

// Finds entities in one message. Thread-safe after construction.
class EntityExtractor final {
 public:
  // Returns kInvalidArgument for an empty or malformed order_id pattern, an entry without a sku,
  // or a time-zone offset beyond ±14 hours.
  static Result<std::unique_ptr<EntityExtractor>> Create(EntityOptions options);

  EntityExtractor(const EntityExtractor&) = delete;
  EntityExtractor& operator=(const EntityExtractor&) = delete;
  ~EntityExtractor();

  // Entities in `normalized_text` (see text::Normalize), relative dates resolved against
  // `now_millis` (milliseconds since the Unix epoch). Never fails; returns {} when nothing is
  // found.
  std::vector<ExtractedEntity> Extract(std::string_view normalized_text, int64_t now_millis) const;

 private:
  struct Impl;
  explicit EntityExtractor(std::unique_ptr<const Impl> impl);

  std::unique_ptr<const Impl> impl_;
};

}  // namespace kefu::nlu

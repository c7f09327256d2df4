// The operator's dashboard: GET /v1/admin/stats (admin key), the figures of docs/web.md.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>

#include <nlohmann/json.hpp>

#include "core/logging.h"
#include "core/time_util.h"
#include "server/api.h"
#include "server/api_internal.h"

namespace kefu::server {
namespace {

using nlohmann::json;

constexpr std::string_view kStats = "/v1/admin/stats";
constexpr int kDefaultDays = 14;
constexpr int kMaxDays = 90;
constexpr int64_t kDayMs = 86'400'000;
// Latency histogram buckets (upper bounds, ms); the last bucket holds everything slower.
constexpr double kBucketsMs[] = {0.25, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000};

// "2026-11-29" for a day number (days since 1970-01-01), by Howard Hinnant's civil_from_days.
std::string DayString(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const int64_t m = mp < 10 ? mp + 3 : mp - 9;
  const int64_t y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04lld-%02lld-%02lld", static_cast<long long>(y),
                static_cast<long long>(m), static_cast<long long>(d));
  return buf;
}

double Rate(int64_t part, int64_t whole) {
  return whole == 0 ? 0.0 : std::round(1e4 * static_cast<double>(part) / whole) / 1e4;
}

// The p-th percentile (0..100) of sorted values, nearest rank, in ms.
double PercentileMs(const std::vector<int64_t>& sorted_us, double p) {
  if (sorted_us.empty()) {
    return 0;
  }
  const size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * sorted_us.size()));
  const int64_t us = sorted_us[std::clamp<size_t>(rank, 1, sorted_us.size()) - 1];
  return std::round(static_cast<double>(us) / 10.0) / 100.0;
}

json LatencyJson(std::vector<int64_t> us) {
  std::sort(us.begin(), us.end());
  json histogram = json::array();
  size_t i = 0;
  for (double le : kBucketsMs) {
    size_t n = 0;
    while (i < us.size() && static_cast<double>(us[i]) <= le * 1000) {
      ++i;
      ++n;
    }
    histogram.push_back({{"le_ms", le}, {"count", n}});
  }
  histogram.push_back({{"le_ms", nullptr}, {"count", us.size() - i}});
  return {{"samples", us.size()},
          {"p50", PercentileMs(us, 50)},
          {"p90", PercentileMs(us, 90)},
          {"p99", PercentileMs(us, 99)},
          {"max", us.empty() ? 0.0 : PercentileMs(us, 100)},
          {"histogram", std::move(histogram)}};
}

}  // namespace

HttpResponse Api::HandleAdmin(const HttpRequest& request, const std::string& path,
                              const std::map<std::string, std::string>& query) {
  if (Status s = AuthorizeAdmin(request); !s.ok()) {
    return ErrorResponse(s);
  }
  if (path != kStats) {
    return ErrorResponse(404, "not_found", "no route for " + path);
  }
  if (request.method != "GET") {
    return ErrorResponse(405, "method_not_allowed", "use GET on /v1/admin/stats");
  }
  int days = kDefaultDays;
  if (auto it = query.find("days"); it != query.end()) {
    const std::string& v = it->second;
    auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), days);
    if (ec != std::errc() || ptr != v.data() + v.size() || days < 1 || days > kMaxDays) {
      return ErrorResponse(
          InvalidArgumentError("'days' must be an integer from 1 to " + std::to_string(kMaxDays)));
    }
  }
  const int tz = engine_.options().timezone_offset_minutes;
  const int64_t tz_ms = int64_t{tz} * 60'000;
  const int64_t now = engine_.NowMillis();
  const int64_t today = (now + tz_ms) / kDayMs;  // local day number
  const int64_t first = today - days + 1;
  store::AnalyticsQuery q;
  q.from = first * kDayMs - tz_ms;
  q.until = (today + 1) * kDayMs - tz_ms;
  q.tz_offset_minutes = tz;
  Result<store::Analytics> a = engine_.Analytics(q);
  if (!a.ok()) {
    KEFU_LOG_ERROR("admin stats failed: {}", a.status().ToString());
    return ErrorResponse(a.status());
  }
  // Every day of the range, quiet ones as zeros, so charts have no gaps.
  json per_day = json::array();
  int64_t conversations = 0, automated = 0, turns = 0, handoffs = 0;
  auto stats = a->days.begin();
  for (int64_t d = first; d <= today; ++d) {
    store::DayStats s;
    s.day = d;
    while (stats != a->days.end() && stats->day < d) {
      ++stats;
    }
    if (stats != a->days.end() && stats->day == d) {
      s = *stats;
    }
    conversations += s.conversations;
    automated += s.automated;
    turns += s.turns;
    handoffs += s.handoffs;
    per_day.push_back({{"day", DayString(d)},
                       {"conversations", s.conversations},
                       {"automated", s.automated},
                       {"turns", s.turns},
                       {"handoffs", s.handoffs},
                       {"mood", s.mood ? json(std::round(*s.mood * 1000) / 1000) : json(nullptr)}});
  }
  json intents = json::array();
  for (const auto& [intent, count] : a->intents) {
    intents.push_back({{"intent", intent}, {"count", count}});
  }
  json unanswered = json::array();
  for (const store::CountedText& u : a->unanswered) {
    unanswered.push_back(
        {{"text", u.text}, {"count", u.count}, {"last_at", FormatIso8601(u.last_at, tz)}});
  }
  return JsonResponse(200, {{"from", DayString(first)},
                            {"to", DayString(today)},
                            {"days", days},
                            {"totals",
                             {{"conversations", conversations},
                              {"turns", turns},
                              {"handoffs", handoffs},
                              {"automated", automated},
                              {"automation_rate", Rate(automated, conversations)},
                              {"handoff_rate", Rate(conversations - automated, conversations)}}},
                            {"per_day", std::move(per_day)},
                            {"intents", std::move(intents)},
                            {"unanswered", std::move(unanswered)},
                            {"latency_ms", LatencyJson(std::move(a->turn_micros))}});
}

}  // namespace kefu::server

#include "core/time_util.h"

#include <chrono>
#include <cstdio>

namespace kefu {
namespace {

bool ParseDigits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) {
    return false;
  }
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') {
      return false;
    }
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

struct Civil {
  int year, month, day, hour, minute, second;
};

Civil ToCivil(int64_t epoch_millis, int offset_minutes) {
  using namespace std::chrono;
  const int64_t secs = epoch_millis / 1000 + int64_t{offset_minutes} * 60;
  const sys_seconds tp{seconds{secs}};
  const sys_days day = floor<days>(tp);
  const year_month_day ymd{day};
  const hh_mm_ss hms{tp - day};
  return {int(ymd.year()),          int(unsigned(ymd.month())), int(unsigned(ymd.day())),
          int(hms.hours().count()), int(hms.minutes().count()), int(hms.seconds().count())};
}

}  // namespace

Result<int64_t> ParseIso8601(std::string_view s) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0;
  if (!ParseDigits(s, 0, 4, y) || s.size() < 19 || s[4] != '-' || !ParseDigits(s, 5, 2, mo) ||
      s[7] != '-' || !ParseDigits(s, 8, 2, d) || (s[10] != 'T' && s[10] != ' ') ||
      !ParseDigits(s, 11, 2, h) || s[13] != ':' || !ParseDigits(s, 14, 2, mi) || s[16] != ':' ||
      !ParseDigits(s, 17, 2, se)) {
    return InvalidArgumentError("bad timestamp '" + std::string(s) + "'");
  }
  int offset = 0;
  const std::string_view zone = s.substr(19);
  if (zone == "Z" || zone.empty()) {
    offset = 0;
  } else if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':') {
    int oh = 0, om = 0;
    if (!ParseDigits(zone, 1, 2, oh) || !ParseDigits(zone, 4, 2, om)) {
      return InvalidArgumentError("bad time zone in '" + std::string(s) + "'");
    }
    offset = (oh * 60 + om) * (zone[0] == '-' ? -1 : 1);
  } else {
    return InvalidArgumentError("bad time zone in '" + std::string(s) + "'");
  }
  using namespace std::chrono;
  const year_month_day ymd{year{y}, month{unsigned(mo)}, day{unsigned(d)}};
  if (!ymd.ok() || h > 23 || mi > 59 || se > 60) {
    return InvalidArgumentError("bad date in '" + std::string(s) + "'");
  }
  const int64_t secs = sys_days{ymd}.time_since_epoch() / seconds{1} + h * 3600 + mi * 60 + se -
                       int64_t{offset} * 60;
  return secs * 1000;
}

std::string FormatLocalMinute(int64_t epoch_millis, int offset_minutes) {
  const Civil c = ToCivil(epoch_millis, offset_minutes);
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02d %02d:%02d", c.year, c.month, c.day, c.hour,
                c.minute);
  return buf;
}

std::string FormatIso8601(int64_t epoch_millis, int offset_minutes) {
  const Civil c = ToCivil(epoch_millis, offset_minutes);
  const int abs_off = offset_minutes < 0 ? -offset_minutes : offset_minutes;
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", c.year, c.month,
                c.day, c.hour, c.minute, c.second, offset_minutes < 0 ? '-' : '+', abs_off / 60,
                abs_off % 60);
  return buf;
}

}  // namespace kefu

#include "core/time_util.h"

#include <chrono>

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

// Writes v (0 <= v < 10^width) as `width` zero-padded digits at out; returns the end.
char* PutDigits(char* out, int v, int width) {
  for (int i = width - 1; i >= 0; --i) {
    out[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  return out + width;
}

// "YYYY-MM-DD<sep>hh:mm" into buf (at least 16 chars); returns the end. Without snprintf: every
// order reply formats a dozen of these. Years outside 0..9999 are clamped (no shop has them).
char* PutDateTime(char* out, const Civil& c, char sep) {
  out = PutDigits(out, c.year < 0 ? 0 : (c.year > 9999 ? 9999 : c.year), 4);
  *out++ = '-';
  out = PutDigits(out, c.month, 2);
  *out++ = '-';
  out = PutDigits(out, c.day, 2);
  *out++ = sep;
  out = PutDigits(out, c.hour, 2);
  *out++ = ':';
  return PutDigits(out, c.minute, 2);
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
  char buf[16];
  char* end = PutDateTime(buf, ToCivil(epoch_millis, offset_minutes), ' ');
  return std::string(buf, end);
}

std::string FormatIso8601(int64_t epoch_millis, int offset_minutes) {
  const Civil c = ToCivil(epoch_millis, offset_minutes);
  const int abs_off = (offset_minutes < 0 ? -offset_minutes : offset_minutes) % (100 * 60);
  char buf[25];
  char* out = PutDateTime(buf, c, 'T');
  *out++ = ':';
  out = PutDigits(out, c.second, 2);
  *out++ = offset_minutes < 0 ? '-' : '+';
  out = PutDigits(out, abs_off / 60, 2);
  *out++ = ':';
  out = PutDigits(out, abs_off % 60, 2);
  return std::string(buf, out);
}

}  // namespace kefu

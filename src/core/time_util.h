// Time formatting and parsing in a fixed UTC offset (the shop's time zone, +08:00 by default).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace kefu {

// Parses "2026-11-25T10:21:05+08:00" (or "Z") into milliseconds since the epoch.
Result<int64_t> ParseIso8601(std::string_view text);

// "2026-11-25 10:21" in the zone `offset_minutes` east of UTC.
std::string FormatLocalMinute(int64_t epoch_millis, int offset_minutes);

// "2026-11-25T10:21:05+08:00".
std::string FormatIso8601(int64_t epoch_millis, int offset_minutes);

}  // namespace kefu

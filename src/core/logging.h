// Logging facade over spdlog. Messages carry the turn's trace id; they never carry message
// text, phone numbers or other PII (use MaskDigits() when an identifier must appear).
//
//   KEFU_LOG_INFO("turn done trace={} intent={} ms={}", ctx.trace_id(), intent, ms);
#pragma once

#include <string>
#include <string_view>

#include <spdlog/spdlog.h>

#include "core/status.h"

namespace kefu {

// Sets the global level ("trace".."off") and a stderr sink. kInvalidArgument on a bad level.
Status InitLogging(std::string_view level);

// "2026110312345678" -> "2026********5678": keeps the first and last four characters.
std::string MaskDigits(std::string_view id);

}  // namespace kefu

#define KEFU_LOG_DEBUG(...) SPDLOG_DEBUG(__VA_ARGS__)
#define KEFU_LOG_INFO(...) SPDLOG_INFO(__VA_ARGS__)
#define KEFU_LOG_WARN(...) SPDLOG_WARN(__VA_ARGS__)
#define KEFU_LOG_ERROR(...) SPDLOG_ERROR(__VA_ARGS__)

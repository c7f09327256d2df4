#include "core/logging.h"

#include <spdlog/sinks/stdout_sinks.h>

namespace kefu {

Status InitLogging(std::string_view level) {
  const spdlog::level::level_enum lvl = spdlog::level::from_str(std::string(level));
  if (lvl == spdlog::level::off && level != "off") {
    return InvalidArgumentError("unknown log level '" + std::string(level) + "'");
  }
  spdlog::drop("kefu");
  auto logger = spdlog::stderr_logger_mt("kefu");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ %v");
  spdlog::set_default_logger(logger);
  spdlog::set_level(lvl);
  return OkStatus();
}

std::string MaskDigits(std::string_view id) {
  if (id.size() <= 8) {
    return std::string(id.size(), '*');
  }
  std::string out(id.substr(0, 4));
  out.append(id.size() - 8, '*');
  out.append(id.substr(id.size() - 4));
  return out;
}

}  // namespace kefu

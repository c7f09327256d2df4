// Helpers shared by the API's handler files (api.cc, kb_api.cc); not part of the server's API.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "server/api.h"

namespace kefu::server {

inline constexpr std::string_view kKbPrefix = "/v1/kb/";

struct Target {
  std::string path;
  std::map<std::string, std::string> query;  // values percent-decoded ('+' is a space)
};

Target ParseTarget(const std::string& target);

// Decodes %XX escapes and, when `plus_is_space`, '+'. Malformed escapes are kept as they are.
std::string PercentDecode(std::string_view text, bool plus_is_space);

HttpResponse JsonResponse(int status, const nlohmann::json& body);

}  // namespace kefu::server

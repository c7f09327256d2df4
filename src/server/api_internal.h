// Helpers shared by the API's handler files (api.cc, kb_api.cc, agent_api.cc, voice_api.cc) and
// the transport (http_server.cc); not part of the server's API.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "server/api.h"

namespace kefu::server {

inline constexpr std::string_view kKbPrefix = "/v1/kb/";
inline constexpr std::string_view kAgentPrefix = "/v1/agent/";
inline constexpr std::string_view kAdminPrefix = "/v1/admin/";
inline constexpr std::string_view kConversationsPrefix = "/v1/conversations";

struct Target {
  std::string path;
  std::map<std::string, std::string> query;  // values percent-decoded ('+' is a space)
};

Target ParseTarget(const std::string& target);

// Decodes %XX escapes and, when `plus_is_space`, '+'. Malformed escapes are kept as they are.
std::string PercentDecode(std::string_view text, bool plus_is_space);

HttpResponse JsonResponse(int status, const nlohmann::json& body);

// j[key] when it is a string, else "" (a WebSocket frame's fields).
std::string StringField(const nlohmann::json& j, const char* key);

// A conversation id as the engine makes them: 1-64 of [a-z0-9_-].
bool ValidId(std::string_view id);

// "{prefix}/{id}/{leaf}" -> id; empty when the path has another shape. The id is not validated.
std::string PathId(const std::string& path, std::string_view prefix, std::string_view leaf);

// A stored message as the history endpoints return it; agents also get each reply's trace.
nlohmann::json MessageJson(const store::Message& m, int timezone_offset_minutes,
                           bool with_trace = false);

// The text of a turn body that is exactly {"text": "..."} (white space allowed) whose string
// needs no unescaping: what the chat widget and most clients send. Anything else (escapes,
// other fields, a malformed body) is nullopt and left to the JSON parser, which reads it the
// same way or rejects it. The body's UTF-8 is the caller's to check.
std::optional<std::string_view> PlainTurnText(std::string_view body);

// A turn's answer as JSON: reply, intent, trace, ui (docs/web.md).
std::string TurnBody(const engine::TurnResult& t, int timezone_offset_minutes);

// The built web page or asset at `path` (/, /agent, /admin, /assets/...), if there is one.
std::optional<HttpResponse> WebAsset(const std::string& path);

}  // namespace kefu::server

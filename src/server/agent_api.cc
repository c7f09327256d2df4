// Live feeds (GET .../events) and the human agents' endpoints (/v1/agent/*), for the agents'
// console and integrations with a shop's own help-desk tool.
#include <cmath>
#include <deque>

#include <nlohmann/json.hpp>

#include "core/logging.h"
#include "core/sha256.h"
#include "core/time_util.h"
#include "core/utf8.h"
#include "server/api.h"
#include "server/api_internal.h"

namespace kefu::server {
namespace {

using nlohmann::json;

constexpr std::string_view kQueue = "/v1/agent/queue";
constexpr std::string_view kConversations = "/v1/agent/conversations";
constexpr std::string_view kEvents = "/v1/agent/events";
constexpr std::string_view kQueueChannel = "*";  // engine::Engine::live(): the queue's channel
constexpr size_t kMaxAgentName = 64;
constexpr size_t kRecentMessages = 50;
constexpr int kHistoryPage = 200;

bool ValidAgentName(std::string_view name) {
  if (name.empty() || name.size() > kMaxAgentName) {
    return false;
  }
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '@' || c == '-';
    if (!ok) {
      return false;
    }
  }
  return true;
}

// The agent actions' errors: kFailedPrecondition means someone else holds the conversation (or
// it is in the wrong state for the action), which for an agent is a conflict to resolve, not bad
// input.
HttpResponse AgentError(const Status& status) {
  if (status.code() == StatusCode::kFailedPrecondition) {
    return ErrorResponse(409, StatusCodeName(status.code()), status.message());
  }
  return ErrorResponse(status);
}

json ParsedObject(const std::string& text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  return j.is_discarded() ? json::object() : j;
}

json TicketJson(const store::HandoffTicket& t, int tz) {
  auto time_or_null = [tz](const std::optional<int64_t>& at) {
    return at ? json(FormatIso8601(*at, tz)) : json(nullptr);
  };
  return {{"conversation_id", t.conversation_id},
          {"status", t.status},
          {"priority", t.priority},
          {"mood", std::round(t.mood * 1'000) / 1'000},
          {"reason", t.reason},
          {"agent", t.agent},
          {"lang", t.lang},
          {"queued_at", FormatIso8601(t.queued_at, tz)},
          {"claimed_at", time_or_null(t.claimed_at)},
          {"closed_at", time_or_null(t.closed_at)},
          {"summary", ParsedObject(t.summary_json)}};
}

}  // namespace

HttpResponse Api::LiveStream(const std::string& channel) {
  HttpResponse r;
  r.content_type = "text/event-stream";
  // Subscribed before the answer goes out, so `ready` promises that nothing published from now
  // on is missed: a client reads the history after it and then only needs the stream.
  r.live = engine_.live().Subscribe(channel);
  r.sse_events.push_back(FormatSseEvent(json{{"type", "ready"}, {"channel", channel}}.dump()));
  return r;
}

HttpResponse Api::ConversationEvents(const HttpRequest& request, const std::string& id) {
  if (Status s = Authorize(request, id); !s.ok()) {
    return ErrorResponse(s);
  }
  return LiveStream(id);
}

Status Api::AuthorizeAgent(const HttpRequest& request) const {
  if (options_.agent_key.empty()) {
    return PermissionDeniedError("agent API disabled: set [server] agent_key");
  }
  constexpr std::string_view kBearer = "Bearer ";
  if (request.authorization.rfind(kBearer, 0) != 0) {
    return UnauthenticatedError("missing Authorization: Bearer <agent key>");
  }
  return AuthorizeAgentKey(request.agent,
                           std::string_view(request.authorization).substr(kBearer.size()));
}

HttpResponse Api::HandleAgent(const HttpRequest& request, const std::string& path,
                              const std::map<std::string, std::string>& query) {
  if (Status s = AuthorizeAgent(request); !s.ok()) {
    return ErrorResponse(s);
  }
  if (path == kQueue) {
    if (request.method != "GET") {
      return ErrorResponse(405, "method_not_allowed", "use GET on /v1/agent/queue");
    }
    return AgentQueue();
  }
  if (path == kEvents) {
    if (request.method != "GET") {
      return ErrorResponse(405, "method_not_allowed", "use GET on /v1/agent/events");
    }
    return AgentEvents(query);
  }
  if (path.rfind(std::string(kConversations) + "/", 0) != 0) {
    return ErrorResponse(404, "not_found", "no route for " + path);
  }
  // /v1/agent/conversations/{id}[/{action}]
  const std::string rest = path.substr(kConversations.size() + 1);
  const size_t slash = rest.find('/');
  const std::string id = rest.substr(0, slash);
  const std::string action = slash == std::string::npos ? "" : rest.substr(slash + 1);
  if (!ValidId(id)) {
    return ErrorResponse(NotFoundError("conversation not found"));
  }
  if (action.empty()) {
    if (request.method != "GET") {
      return ErrorResponse(405, "method_not_allowed", "use GET on /v1/agent/conversations/{id}");
    }
    return AgentConversation(id);
  }
  if (action == "suggestions") {
    if (request.method != "GET") {
      return ErrorResponse(405, "method_not_allowed", "use GET on " + path);
    }
    return AgentSuggestions(id);
  }
  if (action == "claim" || action == "release" || action == "close" || action == "messages") {
    if (request.method != "POST") {
      return ErrorResponse(405, "method_not_allowed", "use POST on " + path);
    }
    if (auto rejected = RejectOversize(request)) {
      return *rejected;
    }
    return action == "messages" ? AgentMessage(request, id) : AgentAction(request, id, action);
  }
  return ErrorResponse(404, "not_found", "no route for " + path);
}

HttpResponse Api::AgentQueue() {
  Result<std::vector<store::HandoffTicket>> queue = engine_.HandoffQueue();
  if (!queue.ok()) {
    KEFU_LOG_ERROR("agent queue failed: {}", queue.status().ToString());
    return ErrorResponse(queue.status());
  }
  const int tz = engine_.options().timezone_offset_minutes;
  json list = json::array();
  for (const store::HandoffTicket& t : *queue) {
    list.push_back(TicketJson(t, tz));
  }
  return JsonResponse(200, {{"queue", std::move(list)}});
}

HttpResponse Api::AgentConversation(const std::string& id) {
  // The state first: it answers kNotFound for an unknown conversation.
  Result<std::string> state = engine_.StateJson(id);
  if (!state.ok()) {
    return ErrorResponse(state.status());
  }
  const int tz = engine_.options().timezone_offset_minutes;
  json ticket = nullptr;
  if (Result<store::HandoffTicket> t = engine_.GetHandoff(id); t.ok()) {
    ticket = TicketJson(*t, tz);
  } else if (t.status().code() != StatusCode::kNotFound) {
    return ErrorResponse(t.status());
  }
  // The history is read forwards in pages; only the last kRecentMessages are kept.
  // TODO(kefu): a newest-first History in the engine would make this one read.
  std::deque<store::Message> recent;
  int64_t after = 0;
  for (;;) {
    Result<std::vector<store::Message>> page = engine_.History(id, after, kHistoryPage);
    if (!page.ok()) {
      return ErrorResponse(page.status());
    }
    for (store::Message& m : *page) {
      after = m.id;
      recent.push_back(std::move(m));
      if (recent.size() > kRecentMessages) {
        recent.pop_front();
      }
    }
    if (page->size() < static_cast<size_t>(kHistoryPage)) {
      break;
    }
  }
  json messages = json::array();
  for (const store::Message& m : recent) {
    messages.push_back(MessageJson(m, tz, /*with_trace=*/true));
  }
  Result<std::string> context = engine_.AgentContextJson(id);
  if (!context.ok()) {
    return ErrorResponse(context.status());
  }
  const json side = ParsedObject(*context);
  return JsonResponse(200, {{"conversation_id", id},
                            {"ticket", std::move(ticket)},
                            {"state", ParsedObject(*state)},
                            {"customer", side.value("customer", json(nullptr))},
                            {"order", side.value("order", json(nullptr))},
                            {"messages", std::move(messages)}});
}

HttpResponse Api::AgentAction(const HttpRequest& request, const std::string& id,
                              const std::string& action) {
  const int tz = engine_.options().timezone_offset_minutes;
  if (action == "close") {
    // A closed ticket is no longer open, so GetHandoff cannot return it afterwards: answer with
    // the ticket as it was, marked closed.
    Result<store::HandoffTicket> before = engine_.GetHandoff(id);
    if (!before.ok()) {
      return AgentError(before.status());
    }
    if (Status s = engine_.CloseHandoff(id, request.agent); !s.ok()) {
      return AgentError(s);
    }
    json ticket = TicketJson(*before, tz);
    ticket["status"] = "closed";
    return JsonResponse(200, {{"ticket", std::move(ticket)}});
  }
  Status s = action == "claim" ? engine_.ClaimHandoff(id, request.agent)
                               : engine_.ReleaseHandoff(id, request.agent);
  if (!s.ok()) {
    return AgentError(s);
  }
  Result<store::HandoffTicket> after = engine_.GetHandoff(id);
  if (!after.ok()) {
    return AgentError(after.status());
  }
  return JsonResponse(200, {{"ticket", TicketJson(*after, tz)}});
}

HttpResponse Api::AgentMessage(const HttpRequest& request, const std::string& id) {
  if (!utf8::IsValid(request.body)) {
    return ErrorResponse(InvalidArgumentError("request body is not valid UTF-8"));
  }
  const json body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) {
    return ErrorResponse(InvalidArgumentError("request body is not valid JSON"));
  }
  if (!body.is_object() || !body.contains("text") || !body["text"].is_string()) {
    return ErrorResponse(InvalidArgumentError("request body needs a string field 'text'"));
  }
  Result<store::Message> m =
      engine_.SendAgentMessage(id, request.agent, body["text"].get<std::string>());
  if (!m.ok()) {
    return AgentError(m.status());
  }
  return JsonResponse(201,
                      {{"message", MessageJson(*m, engine_.options().timezone_offset_minutes)}});
}

HttpResponse Api::AgentSuggestions(const std::string& id) {
  Result<std::string> suggestions = engine_.SuggestionsJson(id);
  if (!suggestions.ok()) {
    return ErrorResponse(suggestions.status());
  }
  json list = json::parse(*suggestions, nullptr, /*allow_exceptions=*/false);
  return JsonResponse(200, {{"suggestions", list.is_array() ? list : json::array()}});
}

Status Api::AuthorizeAgentKey(std::string_view agent, std::string_view key) const {
  if (options_.agent_key.empty()) {
    return PermissionDeniedError("agent API disabled: set [server] agent_key");
  }
  if (!ConstantTimeEquals(key, options_.agent_key)) {
    return PermissionDeniedError("wrong agent key");
  }
  if (!ValidAgentName(agent)) {
    return InvalidArgumentError("X-Kefu-Agent must name the agent: 1-64 of [A-Za-z0-9_.@-]");
  }
  return OkStatus();
}

Result<std::shared_ptr<engine::LiveFeed::Subscription>> Api::AgentFeed(
    const std::string& conversation_id) {
  if (conversation_id.empty()) {
    return engine_.live().Subscribe(std::string(kQueueChannel));
  }
  if (!ValidId(conversation_id)) {
    return NotFoundError("conversation not found");
  }
  KEFU_RETURN_IF_ERROR(engine_.StateJson(conversation_id).status());
  return engine_.live().Subscribe(conversation_id);
}

HttpResponse Api::AgentEvents(const std::map<std::string, std::string>& query) {
  auto it = query.find("conversation");
  if (it == query.end()) {
    return LiveStream(std::string(kQueueChannel));
  }
  if (!ValidId(it->second)) {
    return ErrorResponse(NotFoundError("conversation not found"));
  }
  // Refuse unknown conversations rather than stream silence forever.
  if (Result<std::string> state = engine_.StateJson(it->second); !state.ok()) {
    return ErrorResponse(state.status());
  }
  return LiveStream(it->second);
}

}  // namespace kefu::server

#include "server/api.h"

#include <charconv>
#include <utility>

#include <nlohmann/json.hpp>

#include "core/json_writer.h"
#include "core/logging.h"
#include "core/sha256.h"
#include "core/time_util.h"
#include "core/utf8.h"
#include "server/api_internal.h"
#include "server/status_mapping.h"

namespace kefu::server {

using nlohmann::json;

namespace {
constexpr std::string_view kPrefix = kConversationsPrefix;
}  // namespace

std::string PercentDecode(std::string_view text, bool plus_is_space) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9')
      return c - '0';
    if (c >= 'a' && c <= 'f')
      return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
      return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex(text[i + 1]) >= 0 && hex(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2])));
      i += 2;
    } else if (plus_is_space && text[i] == '+') {
      out.push_back(' ');
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

Target ParseTarget(const std::string& target) {
  Target t;
  const size_t q = target.find('?');
  t.path = target.substr(0, q);
  if (q == std::string::npos) {
    return t;
  }
  std::string_view rest(target);
  rest.remove_prefix(q + 1);
  while (!rest.empty()) {
    const size_t amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    const size_t eq = pair.find('=');
    if (eq != std::string_view::npos) {
      t.query[PercentDecode(pair.substr(0, eq), true)] = PercentDecode(pair.substr(eq + 1), true);
    }
    if (amp == std::string_view::npos) {
      break;
    }
    rest.remove_prefix(amp + 1);
  }
  return t;
}

bool ValidId(std::string_view id) {
  if (id.empty() || id.size() > 64) {
    return false;
  }
  for (char c : id) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) {
      return false;
    }
  }
  return true;
}

std::string PathId(const std::string& path, std::string_view prefix, std::string_view leaf) {
  if (path.rfind(prefix, 0) != 0 || path.size() <= prefix.size() + 1 ||
      path[prefix.size()] != '/') {
    return {};
  }
  const std::string rest = path.substr(prefix.size() + 1);
  const size_t slash = rest.find('/');
  if (slash == std::string::npos || slash == 0 ||
      std::string_view(rest).substr(slash + 1) != leaf) {
    return {};
  }
  return rest.substr(0, slash);
}

json MessageJson(const store::Message& m, int timezone_offset_minutes, bool with_trace) {
  json item = {{"id", m.id},
               {"role", m.role},
               {"text", m.text},
               {"created_at", FormatIso8601(m.created_at, timezone_offset_minutes)}};
  if (m.role == "user") {
    item["intent"] = m.intent;
  }
  if (with_trace && m.role == "assistant" && m.trace_json.size() > 2) {
    json trace = json::parse(m.trace_json, nullptr, /*allow_exceptions=*/false);
    if (trace.is_object()) {
      item["trace"] = std::move(trace);
    }
  }
  return item;
}

namespace {

// "/v1/conversations/{id}/messages" -> id; empty when the path has another shape.
std::string MessagesPathId(const std::string& path) {
  return PathId(path, kPrefix, "messages");
}

Result<int64_t> ParseNonNegative(const std::string& text, const char* name) {
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || v < 0) {
    return InvalidArgumentError(std::string("query parameter '") + name +
                                "' must be a non-negative integer");
  }
  return v;
}

}  // namespace

HttpResponse JsonResponse(int status, const json& body) {
  HttpResponse r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  return r;
}

std::string StringField(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

namespace {

std::string StartEvent(const std::string& conversation_id, const std::string& trace_id) {
  return "event: start\ndata: " +
         json{{"conversation_id", conversation_id}, {"trace_id", trace_id}}.dump() + "\n\n";
}

// Streams a turn's reply into the request's event channel as the engine writes it.
class ChannelSink final : public engine::ReplySink {
 public:
  ChannelSink(std::shared_ptr<EventChannel> channel, std::string conversation_id,
              std::string trace_id)
      : channel_(std::move(channel)),
        conversation_id_(std::move(conversation_id)),
        trace_id_(std::move(trace_id)) {}

  void Delta(std::string_view text) override {
    Start();
    channel_->Push("event: delta\ndata: " + json{{"text", std::string(text)}}.dump() + "\n\n");
  }
  void Reset() override {
    Start();
    channel_->Push("event: reset\ndata: {}\n\n");
  }
  bool Gone() const override { return channel_->gone(); }

 private:
  void Start() {
    if (!started_) {
      started_ = true;
      channel_->Push(StartEvent(conversation_id_, trace_id_));
    }
  }

  std::shared_ptr<EventChannel> channel_;
  std::string conversation_id_;
  std::string trace_id_;
  bool started_ = false;
};

// A sink for a request that streams, or null.
std::unique_ptr<ChannelSink> SinkFor(const HttpRequest& request, const std::string& id,
                                     const RequestContext& ctx) {
  if (request.events == nullptr || request.accept.find("text/event-stream") == std::string::npos) {
    return nullptr;
  }
  return std::make_unique<ChannelSink>(request.events, id, ctx.trace_id());
}

}  // namespace

std::optional<std::string_view> PlainTurnText(std::string_view body) {
  size_t i = 0;
  auto skip_space = [&] {
    while (i < body.size() &&
           (body[i] == ' ' || body[i] == '\t' || body[i] == '\n' || body[i] == '\r')) {
      ++i;
    }
  };
  auto take = [&](std::string_view token) {
    skip_space();
    if (body.substr(i, token.size()) != token) {
      return false;
    }
    i += token.size();
    return true;
  };
  if (!take("{") || !take("\"text\"") || !take(":") || !take("\"")) {
    return std::nullopt;
  }
  const size_t start = i;
  while (i < body.size() && body[i] != '"') {
    const auto c = static_cast<unsigned char>(body[i]);
    if (c == '\\' || c < 0x20) {
      return std::nullopt;  // an escape to undo, or a control character JSON forbids
    }
    ++i;
  }
  if (i == body.size()) {
    return std::nullopt;
  }
  const std::string_view text = body.substr(start, i - start);
  ++i;
  if (!take("}")) {
    return std::nullopt;
  }
  skip_space();
  if (i != body.size()) {
    return std::nullopt;
  }
  return text;
}

// The turn as the API returns it. The trace and the ui are already JSON: they are spliced in as
// text rather than parsed and dumped again.
std::string TurnBody(const engine::TurnResult& t, int tz) {
  // Written straight into the string (every turn's answer; a JSON tree cost 4% of a turn).
  JsonWriter w;
  // The trace and the card are most of it (3-4 KB for an order's status): one buffer.
  w.Reserve(t.trace_json.size() + t.ui_json.size() + t.reply.size() + t.action.size() + 512);
  w.BeginObject();
  w.Key("conversation_id").String(t.conversation_id);
  w.Key("reply").BeginObject();
  w.Key("role").String("assistant");
  w.Key("text").String(t.reply);
  w.Key("created_at").String(FormatIso8601(t.created_at, tz));
  w.EndObject();
  w.Key("lang").String(t.lang);
  w.Key("intent").String(t.intent);
  w.Key("confidence").Double(t.confidence);
  w.Key("action").String(t.action);
  w.Key("handoff").Bool(t.handoff);
  w.Key("silent").Bool(t.silent);
  w.Key("queued").Bool(t.queued);
  w.Key("trace").Raw(t.trace_json.empty() ? "{}" : t.trace_json);
  w.Key("ui").Raw(t.ui_json.empty() ? "{}" : t.ui_json);
  w.EndObject();
  return std::move(w).Take();
}

void EventChannel::Push(std::string sse_event) {
  std::function<void()> wakeup;
  {
    std::scoped_lock lock(mutex_);
    events_.push_back(std::move(sse_event));
    began_ = true;
    wakeup = wakeup_;
  }
  if (wakeup) {
    wakeup();
  }
}

std::vector<std::string> EventChannel::Drain() {
  std::scoped_lock lock(mutex_);
  return std::exchange(events_, {});
}

bool EventChannel::began() const {
  std::scoped_lock lock(mutex_);
  return began_;
}

void EventChannel::SetWakeup(std::function<void()> wakeup) {
  std::scoped_lock lock(mutex_);
  wakeup_ = std::move(wakeup);
}

HttpResponse ErrorResponse(int http_status, std::string_view code, std::string_view message) {
  return JsonResponse(http_status, {{"error", {{"code", code}, {"message", message}}}});
}

HttpResponse ErrorResponse(const Status& status) {
  return ErrorResponse(HttpStatusFor(status.code()), StatusCodeName(status.code()),
                       status.message());
}

void FinishResponse(HttpResponse& response) {
  if (!response.finish) {
    return;
  }
  // Moved out first: finish replaces the response it is a member of.
  const std::function<void(HttpResponse&)> finish = std::move(response.finish);
  response.finish = nullptr;
  finish(response);
}

std::vector<std::string> SplitForStreaming(const std::string& text, size_t chars_per_piece) {
  std::vector<std::string> pieces;
  std::string current;
  size_t count = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    const bool starts_char = (c & 0xC0) != 0x80;
    if (starts_char && count == chars_per_piece) {
      pieces.push_back(std::move(current));
      current.clear();
      count = 0;
    }
    current.push_back(text[i]);
    if (starts_char) {
      ++count;
    }
  }
  if (!current.empty()) {
    pieces.push_back(std::move(current));
  }
  return pieces;
}

std::string FormatSseEvent(const std::string& event_json) {
  const json event = json::parse(event_json, nullptr, /*allow_exceptions=*/false);
  std::string type = "message";
  if (event.is_object() && event.contains("type") && event["type"].is_string()) {
    type = event["type"].get<std::string>();
  }
  std::string out = "event: " + type + "\n";
  // A data line ends at a newline; compact JSON has none, but split defensively.
  size_t start = 0;
  for (;;) {
    const size_t nl = event_json.find('\n', start);
    out += "data: ";
    out += std::string_view(event_json).substr(start, nl == std::string::npos ? nl : nl - start);
    out += '\n';
    if (nl == std::string::npos) {
      break;
    }
    start = nl + 1;
  }
  out += '\n';
  return out;
}

RouteKind Api::Classify(const HttpRequest& request) const {
  const Target t = ParseTarget(request.target);
  if (t.path == kPrefix && request.method == "POST") {
    return RouteKind::kBlocking;
  }
  if (!MessagesPathId(t.path).empty() && (request.method == "POST" || request.method == "GET")) {
    return RouteKind::kBlocking;
  }
  if (!PathId(t.path, kPrefix, "audio").empty()) {
    return RouteKind::kBlocking;  // decoding, recognition, the turn, synthesis
  }
  if (!PathId(t.path, kPrefix, "events").empty() && request.method == "GET") {
    return RouteKind::kBlocking;  // authorizes against the store, then subscribes
  }
  if (t.path.rfind(kAgentPrefix, 0) == 0) {
    return RouteKind::kBlocking;
  }
  if (t.path.rfind(kKbPrefix, 0) == 0 || t.path.rfind(kAdminPrefix, 0) == 0) {
    return RouteKind::kBlocking;  // parsing, importing, searching, counting: not on I/O threads
  }
  return RouteKind::kInline;
}

HttpResponse Api::Handle(const HttpRequest& request, RequestContext& ctx) {
  const Target t = ParseTarget(request.target);
  if (t.path == "/healthz") {
    if (request.method != "GET" && request.method != "HEAD") {
      return ErrorResponse(405, "method_not_allowed", "use GET on /healthz");
    }
    return JsonResponse(200, {{"status", "ok"}});
  }
  if (request.method == "OPTIONS" && t.path.rfind("/v1/", 0) == 0) {
    // A browser's CORS preflight before a cross-origin call with Authorization (see api.h).
    HttpResponse r;
    r.status = 204;
    r.headers = {
        {"Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS"},
        {"Access-Control-Allow-Headers", "Authorization, Content-Type, Accept, X-Kefu-Agent"},
        {"Access-Control-Max-Age", "600"}};
    return r;
  }
  if (t.path.rfind("/v1/", 0) != 0) {
    if (std::optional<HttpResponse> page = WebAsset(t.path)) {
      if (request.method != "GET" && request.method != "HEAD") {
        return ErrorResponse(405, "method_not_allowed", "use GET on " + t.path);
      }
      return std::move(*page);
    }
  }
  if (t.path == kPrefix) {
    if (request.method != "POST") {
      return ErrorResponse(405, "method_not_allowed", "use POST on /v1/conversations");
    }
    return CreateConversation(request);
  }
  if (t.path.rfind(kKbPrefix, 0) == 0) {
    return HandleKb(request, t.path, t.query);
  }
  if (t.path.rfind(kAgentPrefix, 0) == 0) {
    return HandleAgent(request, t.path, t.query);
  }
  if (t.path.rfind(kAdminPrefix, 0) == 0) {
    return HandleAdmin(request, t.path, t.query);
  }
  if (const std::string audio_id = PathId(t.path, kPrefix, "audio"); !audio_id.empty()) {
    if (!ValidId(audio_id)) {
      return ErrorResponse(NotFoundError("conversation not found"));
    }
    if (request.method != "POST") {
      return ErrorResponse(405, "method_not_allowed", "use POST on audio");
    }
    return PostAudio(request, audio_id, t.query, ctx);
  }
  if (const std::string events_id = PathId(t.path, kPrefix, "events"); !events_id.empty()) {
    if (!ValidId(events_id)) {
      return ErrorResponse(NotFoundError("conversation not found"));
    }
    if (request.method != "GET") {
      return ErrorResponse(405, "method_not_allowed", "use GET on events");
    }
    return ConversationEvents(request, events_id);
  }
  const std::string id = MessagesPathId(t.path);
  if (!id.empty()) {
    if (!ValidId(id)) {
      return ErrorResponse(NotFoundError("conversation not found"));
    }
    if (request.method == "POST") {
      return PostMessage(request, id, ctx);
    }
    if (request.method == "GET") {
      return ListMessages(request, id);
    }
    return ErrorResponse(405, "method_not_allowed", "use GET or POST on messages");
  }
  return ErrorResponse(404, "not_found", "no route for " + t.path);
}

HttpResponse Api::CreateConversation(const HttpRequest& request) {
  if (auto rejected = RejectOversize(request)) {
    return *rejected;
  }
  std::string channel = "web";
  std::string customer_token;
  if (!request.body.empty()) {
    const json body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
    if (body.is_discarded() || !body.is_object()) {
      return ErrorResponse(InvalidArgumentError("request body is not a JSON object"));
    }
    if (body.contains("channel")) {
      if (!body["channel"].is_string() || !ValidId(body["channel"].get<std::string>())) {
        return ErrorResponse(InvalidArgumentError("'channel' must be a short lower-case name"));
      }
      channel = body["channel"].get<std::string>();
    }
    if (body.contains("customer_token")) {
      if (!body["customer_token"].is_string()) {
        return ErrorResponse(InvalidArgumentError("'customer_token' must be a string"));
      }
      customer_token = body["customer_token"].get<std::string>();
    }
  }
  Result<engine::NewConversation> c = engine_.CreateConversation(channel, customer_token);
  if (c.status().code() == StatusCode::kPermissionDenied) {
    return ErrorResponse(c.status());  // a bad customer token is the caller's problem
  }
  if (!c.ok()) {
    KEFU_LOG_ERROR("create conversation failed: {}", c.status().ToString());
    return ErrorResponse(c.status());
  }
  return JsonResponse(201, {{"conversation_id", c->id}, {"token", c->token}});
}

Result<std::string> Api::BearerToken(const HttpRequest& request) {
  constexpr std::string_view kBearer = "Bearer ";
  if (request.authorization.empty()) {
    return UnauthenticatedError("missing Authorization: Bearer <conversation token>");
  }
  if (request.authorization.rfind(kBearer, 0) != 0 ||
      request.authorization.size() == kBearer.size()) {
    return UnauthenticatedError("Authorization must be 'Bearer <conversation token>'");
  }
  return request.authorization.substr(kBearer.size());
}

Status Api::Authorize(const HttpRequest& request, const std::string& id) {
  KEFU_ASSIGN_OR_RETURN(std::string token, BearerToken(request));
  return engine_.Authorize(id, token);
}

Result<engine::TurnInput> Api::ParseTurn(const HttpRequest& request, const std::string& id) const {
  // The token is checked by the turn itself, in the same read as the conversation's state.
  KEFU_ASSIGN_OR_RETURN(std::string token, BearerToken(request));
  if (request.read != nullptr) {
    // ReadAhead parsed this body on the I/O thread and kept its text: not again on the worker.
    engine::TurnInput input{id, request.read->text, std::move(token)};
    input.token_sha256 = request.token_sha256;
    input.read = request.read;
    return input;
  }
  if (!utf8::IsValid(request.body)) {
    return InvalidArgumentError("request body is not valid UTF-8");
  }
  if (std::optional<std::string_view> text = PlainTurnText(request.body)) {
    // Every turn's body passes here on an I/O thread: a JSON tree cost 6,000 instructions.
    engine::TurnInput input{id, std::string(*text), std::move(token)};
    input.read = request.read;
    return input;
  }
  const json body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) {
    return InvalidArgumentError("request body is not valid JSON");
  }
  if (!body.is_object() || !body.contains("text") || !body["text"].is_string()) {
    return InvalidArgumentError("request body needs a string field 'text'");
  }
  engine::TurnInput input{id, body["text"].get<std::string>(), std::move(token)};
  input.read = request.read;  // used by the turn only when read from this text
  return input;
}

void Api::ReadAhead(HttpRequest& request, RequestContext& ctx) const {
  const std::string id = MessagesPathId(ParseTarget(request.target).path);
  if (request.method != "POST" || id.empty() || !ValidId(id) ||
      request.body.size() > static_cast<size_t>(options_.max_body_bytes)) {
    return;
  }
  Result<engine::TurnInput> input = ParseTurn(request, id);
  if (input.ok()) {
    request.read = engine_.Read(input->text, ctx);
    if (request.read != nullptr) {
      request.token_sha256 = Sha256Hex(*input->token);
    }
  }
}

HttpResponse Api::TurnResponse(const HttpRequest& request, const Result<engine::TurnResult>& turn,
                               const RequestContext& ctx) const {
  // The reply may already be on its way: then only what is left goes out, as events.
  const bool began = request.events != nullptr && request.events->began();
  if (!turn.ok()) {
    HttpResponse error = ErrorResponse(turn.status());
    if (began) {
      error.status = 200;
      error.content_type = "text/event-stream";
      error.sse_events.push_back("event: error\ndata: " + error.body + "\n\n");
      error.body.clear();
    }
    return error;
  }
  std::string result = TurnBody(*turn, engine_.options().timezone_offset_minutes);
  if (request.accept.find("text/event-stream") == std::string::npos) {
    HttpResponse r;
    r.body = std::move(result);
    return r;
  }
  HttpResponse r;
  r.content_type = "text/event-stream";
  if (turn->silent) {
    // An agent holds the conversation: there is no reply to stream.
    r.sse_events.push_back("event: done\ndata: " + result + "\n\n");
    return r;
  }
  if (!began) {
    r.sse_events.push_back(StartEvent(turn->conversation_id, ctx.trace_id()));
  }
  if (!turn->streamed) {
    // The template answered (or the model's text was withdrawn): it is all here at once.
    for (const std::string& piece : SplitForStreaming(turn->reply, 6)) {
      r.sse_events.push_back("event: delta\ndata: " + json{{"text", piece}}.dump() + "\n\n");
    }
  }
  r.sse_events.push_back("event: done\ndata: " + result + "\n\n");
  return r;
}

std::optional<HttpResponse> Api::RejectOversize(const HttpRequest& request) const {
  // The transport enforces the same limit while reading; this guards other callers.
  if (request.body.size() > static_cast<size_t>(options_.max_body_bytes)) {
    return ErrorResponse(413, "payload_too_large",
                         "body exceeds " + std::to_string(options_.max_body_bytes) + " bytes");
  }
  return std::nullopt;
}

HttpResponse Api::PostMessage(const HttpRequest& request, const std::string& id,
                              RequestContext& ctx) {
  if (auto rejected = RejectOversize(request)) {
    return *rejected;
  }
  Result<engine::TurnInput> input = ParseTurn(request, id);
  if (!input.ok()) {
    return TurnResponse(request, input.status(), ctx);
  }
  std::unique_ptr<ChannelSink> sink = SinkFor(request, id, ctx);
  input->sink = sink.get();
  return TurnResponse(request, engine_.HandleTurn(*input, ctx), ctx);
}

std::vector<HttpResponse> Api::HandleBatch(std::span<const HttpRequest* const> requests,
                                           std::span<RequestContext* const> contexts) {
  std::vector<HttpResponse> responses(requests.size());
  std::vector<size_t> turn_positions;
  std::vector<engine::TurnInput> inputs;
  std::vector<RequestContext*> turn_contexts;
  std::vector<std::unique_ptr<ChannelSink>> sinks;
  for (size_t i = 0; i < requests.size(); ++i) {
    const HttpRequest& request = *requests[i];
    const std::string id = MessagesPathId(ParseTarget(request.target).path);
    if (request.method != "POST" || id.empty() || !ValidId(id)) {
      responses[i] = Handle(request, *contexts[i]);
      continue;
    }
    if (auto rejected = RejectOversize(request)) {
      responses[i] = std::move(*rejected);
      continue;
    }
    Result<engine::TurnInput> input = ParseTurn(request, id);
    if (!input.ok()) {
      responses[i] = TurnResponse(request, input.status(), *contexts[i]);
      continue;
    }
    turn_positions.push_back(i);
    sinks.push_back(SinkFor(request, id, *contexts[i]));
    input->sink = sinks.back().get();
    inputs.push_back(std::move(*input));
    turn_contexts.push_back(contexts[i]);
  }
  if (!inputs.empty()) {
    std::vector<Result<engine::TurnResult>> turns = engine_.HandleTurns(inputs, turn_contexts);
    for (size_t k = 0; k < turn_positions.size(); ++k) {
      const size_t i = turn_positions[k];
      if (requests[i]->events != nullptr) {
        // A stream's last events depend on what already went out: written here, at once.
        responses[i] = TurnResponse(*requests[i], turns[k], *contexts[i]);
        continue;
      }
      auto turn = std::make_shared<const Result<engine::TurnResult>>(std::move(turns[k]));
      responses[i].finish = [this, request = requests[i], ctx = contexts[i],
                             turn = std::move(turn)](HttpResponse& r) {
        r = TurnResponse(*request, *turn, *ctx);
      };
    }
  }
  return responses;
}

HttpResponse Api::ListMessages(const HttpRequest& request, const std::string& id) {
  if (Status s = Authorize(request, id); !s.ok()) {
    return ErrorResponse(s);
  }
  const Target t = ParseTarget(request.target);
  int64_t after = 0;
  int64_t limit = options_.history_page_limit;
  if (auto it = t.query.find("after"); it != t.query.end()) {
    Result<int64_t> v = ParseNonNegative(it->second, "after");
    if (!v.ok()) {
      return ErrorResponse(v.status());
    }
    after = *v;
  }
  if (auto it = t.query.find("limit"); it != t.query.end()) {
    Result<int64_t> v = ParseNonNegative(it->second, "limit");
    if (!v.ok()) {
      return ErrorResponse(v.status());
    }
    if (*v == 0 || *v > options_.history_page_limit) {
      return ErrorResponse(InvalidArgumentError("'limit' must be between 1 and " +
                                                std::to_string(options_.history_page_limit)));
    }
    limit = *v;
  }
  Result<std::vector<store::Message>> messages =
      engine_.History(id, after, static_cast<int>(limit));
  if (!messages.ok()) {
    return ErrorResponse(messages.status());
  }
  const int tz = engine_.options().timezone_offset_minutes;
  json list = json::array();
  for (const store::Message& m : *messages) {
    list.push_back(MessageJson(m, tz));
  }
  json out = {{"conversation_id", id}, {"messages", list}};
  if (!messages->empty()) {
    out["next_after"] = messages->back().id;
  }
  return JsonResponse(200, out);
}

}  // namespace kefu::server

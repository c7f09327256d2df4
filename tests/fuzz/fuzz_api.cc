// The HTTP API's handlers (server/api.h, without the network) on arbitrary requests, over the
// engine of fuzz_world.h. An input is a request, one field a line: method, target,
// Authorization, Accept, Content-Type, X-Kefu-Agent, then the body (the rest). In every field
// {conv} becomes a new conversation (one per input, so that what one input sent never shows in
// another's history) and {token} its token, {agent} the agent key and {admin} the admin key, so
// the fuzzer reaches past authentication.
// Checks the API's promises: every answer has a status the API documents, never 500; every
// error is {"error":{"code":"...","message":"..."}}; a JSON answer is JSON; and no answer on the
// shopper's endpoints shows a customer's phone, address or tracking number that the request did
// not carry or unlock (fuzz_world.h).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/request_context.h"
#include "fuzz_world.h"
#include "server/api.h"

using kefu::fuzz::Check;
using kefu::fuzz::World;

namespace {

constexpr char kAgentKey[] = "fuzz-agent-key";
constexpr char kAdminKey[] = "fuzz-admin-key";

struct ApiWorld {
  kefu::server::Api api{*World::Get().engine,
                        {.admin_key = kAdminKey, .agent_key = kAgentKey},
                        World::Get().kb.get()};
};

ApiWorld& Get() {
  static ApiWorld* w = new ApiWorld();
  return *w;
}

std::string Expand(std::string_view field, const kefu::engine::NewConversation& conv) {
  std::string out(field);
  const std::pair<std::string_view, std::string_view> vars[] = {
      {"{conv}", conv.id}, {"{token}", conv.token}, {"{agent}", kAgentKey}, {"{admin}", kAdminKey}};
  for (const auto& [name, value] : vars) {
    for (size_t at = out.find(name); at != std::string::npos;
         at = out.find(name, at + value.size())) {
      out.replace(at, name.size(), value);
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)Get();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 65536) {
    return -1;
  }
  ApiWorld& w = Get();
  const kefu::engine::NewConversation conv =
      kefu::fuzz::Must(World::Get().engine->CreateConversation("web"), "create a conversation");
  std::string_view input = kefu::fuzz::AsText(data, size);
  std::string fields[6];
  for (std::string& f : fields) {
    const size_t nl = std::min(input.find('\n'), input.size());
    f = Expand(input.substr(0, nl), conv);
    input.remove_prefix(std::min(nl + 1, input.size()));
  }
  kefu::server::HttpRequest request{.method = fields[0],
                                    .target = fields[1],
                                    .authorization = fields[2],
                                    .accept = fields[3],
                                    .content_type = fields[4],
                                    .body = Expand(input, conv),
                                    .agent = fields[5]};
  if (request.target.rfind("/v1/agent/ws", 0) == 0 ||
      request.target.find("/voice") != std::string::npos) {
    return 0;  // WebSocket upgrades are carried by http_server.cc, not Api::Handle
  }
  kefu::RequestContext ctx = kefu::RequestContext::Unbounded("t-fuzz");
  // As the transport does: a blocking POST that accepts an event stream streams into a channel.
  const bool stream = request.method == "POST" &&
                      request.accept.find("text/event-stream") != std::string::npos &&
                      w.api.Classify(request) == kefu::server::RouteKind::kBlocking;
  w.api.ReadAhead(request, ctx);
  if (stream) {
    request.events = std::make_shared<kefu::server::EventChannel>();
  }
  const kefu::server::HttpResponse r = w.api.Handle(request, ctx);
  std::vector<std::string> events = r.sse_events;
  if (request.events != nullptr) {
    std::vector<std::string> streamed = request.events->Drain();
    events.insert(events.begin(), streamed.begin(), streamed.end());
  }
  for (const std::string& e : events) {  // "event: <type>\ndata: <JSON>\n\n"
    const size_t data_at = e.find("\ndata: ");
    Check(e.rfind("event: ", 0) == 0 && data_at != std::string::npos && e.ends_with("\n\n"),
          "a malformed event", e);
    Check(nlohmann::json::accept(e.substr(data_at + 7, e.size() - data_at - 9)),
          "an event's data is not JSON", e);
  }

  static const std::set<int> kDocumented = {200, 201, 204, 400, 401, 403, 404,
                                            405, 409, 413, 415, 429, 503, 504};
  Check(kDocumented.contains(r.status), "an undocumented status",
        std::to_string(r.status) + " " + request.method + " " + request.target + " " + r.body);
  if (r.status >= 400) {
    const nlohmann::json e = nlohmann::json::parse(r.body, nullptr, false);
    Check(e.is_object() && e.contains("error") && e["error"].is_object() &&
              e["error"].value("code", nlohmann::json()).is_string() &&
              e["error"].value("message", nlohmann::json()).is_string(),
          "an error that is not {\"error\":{\"code\",\"message\"}}", r.body);
  } else if (!r.IsStream() && r.content_type.rfind("application/json", 0) == 0 && !r.body.empty()) {
    Check(nlohmann::json::accept(r.body), "a JSON answer that is not JSON", r.body);
  }
  if (request.target.rfind("/v1/conversations", 0) == 0) {
    std::string sent = kefu::fuzz::AsRead(request.target + "\n" + request.body);
    if (const nlohmann::json body = nlohmann::json::parse(request.body, nullptr, false);
        body.is_object() && body.contains("text") && body["text"].is_string()) {
      sent.append("\n").append(kefu::fuzz::AsRead(body["text"].get<std::string>()));
    }
    kefu::fuzz::CheckNoSecrets(World::Get(), sent, r.body);
    for (const std::string& e : events) {
      kefu::fuzz::CheckNoSecrets(World::Get(), sent, e);
    }
  }
  return 0;
}

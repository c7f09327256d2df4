// Whole conversations on arbitrary shopper text, through the engine (fuzz_world.h), so
// understanding, the dialogue, tools, the knowledge base, replies and the store all see the
// input. Each input is one conversation; its lines (up to six) are the shopper's messages.
// Checks what a shopper relies on: every turn answers or fails with a documented status (never
// a crash), replies and their JSON are well formed, and no reply shows a customer's phone number
// or address that the shopper did not type.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/request_context.h"
#include "core/utf8.h"
#include "fuzz_world.h"

using kefu::fuzz::Check;
using kefu::fuzz::World;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)World::Get();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input = kefu::fuzz::AsText(data, size);
  if (size > 16384) {
    return -1;
  }
  World& w = World::Get();
  std::vector<std::string_view> messages;
  for (size_t start = 0; start <= input.size() && messages.size() < 6;) {
    const size_t nl = std::min(input.find('\n', start), input.size());
    messages.push_back(input.substr(start, nl - start));
    start = nl + 1;
  }
  const kefu::engine::NewConversation conv =
      kefu::fuzz::Must(w.engine->CreateConversation("web"), "create a conversation");
  std::string typed;  // what the shopper has written so far in this conversation
  for (std::string_view message : messages) {
    if (!kefu::utf8::IsValid(message)) {
      continue;  // the HTTP edge answers 400 before the engine
    }
    typed.append(kefu::fuzz::AsRead(message)).append("\n");
    kefu::RequestContext ctx = kefu::RequestContext::Unbounded("t-fuzz");
    kefu::Result<kefu::engine::TurnResult> r =
        w.engine->HandleTurn({conv.id, std::string(message), conv.token}, ctx);
    w.clock.Advance(std::chrono::seconds(30));
    if (!r.ok()) {
      // Only the documented refusal: an empty or over-long message.
      Check(r.status().code() == kefu::StatusCode::kInvalidArgument, "turn failed",
            r.status().ToString());
      continue;
    }
    const kefu::engine::TurnResult& t = *r;
    Check(kefu::utf8::IsValid(t.reply), "reply is valid UTF-8", t.reply);
    Check(t.silent || !t.reply.empty(), "a turn answers", message);
    Check(!t.intent.empty(), "a turn has an intent", message);
    Check(t.confidence >= 0 && t.confidence <= 1, "confidence in [0, 1]", message);
    for (const std::string* j : {&t.trace_json, &t.ui_json, &t.state_json}) {
      Check(nlohmann::json::accept(*j), "well-formed JSON", *j);
    }
    kefu::fuzz::CheckNoSecrets(w, typed, t.reply);
    kefu::fuzz::CheckNoSecrets(w, typed, t.ui_json);
  }
  return 0;
}

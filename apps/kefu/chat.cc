#include <iostream>

#include <nlohmann/json.hpp>
#include <unistd.h>

#include "commands.h"

namespace kefu::app {
namespace {

// Runs one turn and prints it; returns false on an error that ends the session.
bool Turn(engine::Engine& engine, const std::string& conversation_id, const std::string& text,
          bool json) {
  RequestContext ctx = RequestContext::WithTimeout(engine::NewTraceId(), std::chrono::seconds(30));
  Result<engine::TurnResult> r = engine.HandleTurn({conversation_id, text, std::nullopt}, ctx);
  if (!r.ok()) {
    if (r.status().code() == StatusCode::kInvalidArgument) {
      std::cerr << "kefu: " << r.status().message() << "\n";
      return true;  // a bad line is not fatal in a session
    }
    Fail(r.status());
    return false;
  }
  if (json) {
    nlohmann::json out = {{"conversation_id", r->conversation_id},
                          {"reply", r->reply},
                          {"lang", r->lang},
                          {"intent", r->intent},
                          {"confidence", r->confidence},
                          {"action", r->action},
                          {"handoff", r->handoff},
                          {"trace", nlohmann::json::parse(r->trace_json)}};
    std::cout << out.dump() << std::endl;
  } else {
    std::cout << r->reply << std::endl;
  }
  return true;
}

}  // namespace

int RunChat(const CommonFlags& common, const ChatFlags& flags) {
  Result<Runtime> rt = OpenRuntime(common, /*load_demo_if_empty=*/true);
  if (!rt.ok()) {
    return Fail(rt.status());
  }
  Result<engine::NewConversation> conv = rt->engine->CreateConversation("cli");
  if (!conv.ok()) {
    return Fail(conv.status());
  }
  if (!flags.once.empty()) {
    return Turn(*rt->engine, conv->id, flags.once, flags.json) ? 0 : 1;
  }
  const bool interactive = isatty(STDIN_FILENO) != 0;
  if (interactive) {
    std::cout << "kefu chat: type a message, Ctrl-D or /quit to leave." << std::endl;
  }
  std::string line;
  while (true) {
    if (interactive) {
      std::cout << "> " << std::flush;
    }
    if (!std::getline(std::cin, line)) {
      break;
    }
    if (line == "/quit" || line == "/exit") {
      break;
    }
    if (line.find_first_not_of(" \t\r") == std::string::npos) {
      continue;
    }
    if (!Turn(*rt->engine, conv->id, line, flags.json)) {
      return 1;
    }
  }
  return 0;
}

}  // namespace kefu::app

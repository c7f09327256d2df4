// scenario/: dialogue scenario tests. A scenario file (YAML) holds a shop's fixtures, the time,
// and turns with what each reply must show; RunScenario plays it against a fresh engine on a
// temporary SQLite store. `kefu test-dialogs` runs directories of them.
//
//   Result<std::vector<Scenario>> scenarios = ParseScenarioFile("tests/dialogs/x.yaml");
//   for (const Scenario& s : *scenarios) {
//     Result<ScenarioReport> r = RunScenario(s, {.data_dir = "data", .kb = &kb});
//     if (r.ok() && !r->passed) {
//       for (const std::string& f : r->failures) std::cout << "  " << f << "\n";
//     }
//   }
//
// The format:
//   name: return shoes within 7 days (zh)
//   now: "2026-11-25T12:00:00+08:00"        # the clock; it advances 30 s per turn
//   customer_token_for: C900               # optional: the shopper is logged in as C900
//   lang: zh                               # optional: zh or en (for filtering and reports)
//   fixtures: {customers: [...], products: [...], orders: [...]}
//   turns:
//     - user: 我想退货，订单号2026112012345678
//       expect: {intent: return_refund, reply_contains_any: [后四位, 手机]}
// Expectations: intent, reply_contains (all), reply_contains_any, reply_not_contains, handoff,
// sentiment, emotion, action (prefix), silent, queued, handoff_reason and priority (of the open
// agent-queue ticket), state {verified, active_flow, slots, facts, return_created,
// order_status}. Reply checks match ASCII letters in either case. Unknown keys
// anywhere are errors. A file holds one scenario, a sequence of them, or several YAML documents.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "store/store.h"

namespace kefu::engine {
struct EngineOptions;
}  // namespace kefu::engine

namespace kefu::kb {
class KnowledgeBase;
}  // namespace kefu::kb

namespace kefu::scenario {

// What the dialogue state must hold after a turn; unset fields are not checked.
struct StateExpect {
  std::optional<bool> verified;
  std::optional<std::string> active_flow;  // "" (or null in YAML): no active flow
  std::map<std::string, std::string> slots;
  std::optional<bool> return_created;
  std::optional<std::string> order_status;   // the order's status in the store after the turn
  std::map<std::string, std::string> facts;  // extension: facts set by flows
};

// What one turn's result must show; unset or empty fields are not checked.
struct TurnExpect {
  std::optional<std::string> intent;
  std::vector<std::string> reply_contains;      // every one
  std::vector<std::string> reply_contains_any;  // at least one
  std::vector<std::string> reply_not_contains;  // none
  std::optional<bool> handoff;
  std::optional<std::string> sentiment;
  std::optional<std::string> action;          // extension: a prefix of TurnResult.action
  std::optional<bool> silent;                 // extension
  std::optional<bool> queued;                 // extension
  std::optional<std::string> emotion;         // extension: the message's dominant emotion
  std::optional<std::string> handoff_reason;  // extension: the open ticket's reason
  std::optional<int> priority;                // extension: the open ticket's priority
  StateExpect state;
};

struct ScenarioTurn {
  std::string user;
  TurnExpect expect;
};

struct Scenario {
  std::string name;
  std::string file;
  int64_t now_ms = 0;
  store::ShopData fixtures;  // customers and products have ids 1..n in file order
  // Extension: a fixture customer's id (as written in the file, "C900"); the conversation starts
  // with a signed token naming that customer.
  std::optional<std::string> customer_token_for;
  std::optional<std::string> lang;  // extension: "zh" or "en"
  std::vector<ScenarioTurn> turns;
  // Set with customer_token_for: the store's id of that customer.
  int64_t customer_token_id = 0;
};

// Reads a scenario file. kNotFound when it cannot be read; kInvalidArgument (naming the file,
// the scenario and the key) for bad YAML, unknown keys, missing or malformed fields and
// fixtures that refer to unknown customers or products.
Result<std::vector<Scenario>> ParseScenarioFile(const std::string& path);

// As ParseScenarioFile, from text; `file` names it in messages and Scenario::file.
Result<std::vector<Scenario>> ParseScenarios(const std::string& yaml, const std::string& file);

// What a turn produced, as the checks see it.
struct Observed {
  std::string reply;
  std::string intent;
  std::string action;
  bool handoff = false;  // TurnResult.handoff || queued
  bool silent = false;
  bool queued = false;
  std::string sentiment;                            // empty when unknown
  std::string emotion;                              // empty when unknown
  std::string handoff_reason;                       // the open ticket's; "" when none
  std::optional<int> priority;                      // the open ticket's
  nlohmann::json state = nlohmann::json::object();  // the decoded dialogue state (state_json)
  std::string order_status;  // the active order's status in the store, else the only fixture
                             // order's; "" when neither
};

// The facts `state:` expectations read from the dialogue state's JSON (see check.cc for how).
struct StateFacts {
  bool verified = false;
  std::string active_flow;
  std::map<std::string, std::string> slots;
  bool return_created = false;
  std::map<std::string, std::string> facts;
};
StateFacts ReadState(const nlohmann::json& state);

// One human-readable line per failed expectation ("state.verified: want true, got false");
// empty when the turn passed.
std::vector<std::string> CheckTurn(const TurnExpect& expect, const Observed& observed);

struct ScenarioOptions {
  std::string data_dir;                   // flows, templates
  std::string intent_model;               // empty: the keyword rules
  const kb::KnowledgeBase* kb = nullptr;  // shared, read-only; null: no knowledge base
  std::string customer_token_secret = "scenario-secret";
  // Adjusts the engine's options last (kefu test-dialogs applies [sentiment] here); may be null.
  std::function<void(engine::EngineOptions&)> configure;
};

struct ScenarioTurnLog {
  std::string user;
  std::string reply;
  std::string intent;
  std::string action;
};

struct ScenarioReport {
  std::string name;
  std::string file;
  bool passed = false;
  std::vector<std::string> failures;   // "turn 2 (\"8000\"): state.verified: want true, got false"
  std::string error;                   // setup errors (store, engine, fixtures)
  std::vector<ScenarioTurnLog> turns;  // the turns that ran
};

// Plays the scenario against a fresh engine on a temporary store (removed afterwards). Setup
// failures are reported in ScenarioReport::error (passed false), not returned; the Result is an
// error only when the temporary directory cannot be made. Thread-compatible: scenarios may run
// in parallel when `options.kb` is safe for concurrent reads.
Result<ScenarioReport> RunScenario(const Scenario& scenario, const ScenarioOptions& options);

}  // namespace kefu::scenario

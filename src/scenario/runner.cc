// Plays a scenario against a fresh engine on a temporary SQLite store.
#include <chrono>
#include <filesystem>
#include <system_error>

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "core/random.h"
#include "core/sha256.h"
#include "engine/engine.h"
#include "scenario/scenario.h"

namespace kefu::scenario {
namespace {

namespace fs = std::filesystem;

constexpr std::chrono::seconds kTurnGap{30};       // the clock moves on this much per turn
constexpr std::chrono::seconds kTurnTimeout{10};   // one turn's deadline
constexpr int64_t kTokenLifetimeSeconds = 86'400;  // longer than any scenario

// Removes the scenario's temporary directory however the run ends.
class TempDir {
 public:
  explicit TempDir(fs::path path) : path_(std::move(path)) {}
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// The shop site's token for a logged-in customer, in the format
// dialog::Dialog::VerifyCustomerToken reads: "<id>.<expires>.<hex HMAC-SHA256(secret,
// id.expires)>".
std::string CustomerToken(int64_t customer_id, int64_t now_ms, const std::string& secret) {
  const std::string payload =
      std::to_string(customer_id) + "." + std::to_string(now_ms / 1000 + kTokenLifetimeSeconds);
  return payload + "." + HmacSha256Hex(secret, payload);
}

// The turn's sentiment: the trace's "sentiment" (a label, or an object with one), else the
// stored user message's; "" when neither says.
std::string SentimentOf(const engine::TurnResult& r, engine::Engine& engine) {
  const nlohmann::json trace = nlohmann::json::parse(r.trace_json, nullptr, false);
  if (trace.is_object() && trace.contains("sentiment")) {
    const nlohmann::json& s = trace["sentiment"];
    if (s.is_string()) {
      return s.get<std::string>();
    }
    for (const char* key : {"label", "polarity"}) {
      if (s.is_object() && s.contains(key) && s[key].is_string()) {
        return s[key].get<std::string>();
      }
    }
  }
  Result<std::vector<store::Message>> history = engine.History(r.conversation_id, 0, 1'000);
  if (history.ok()) {
    for (auto it = history->rbegin(); it != history->rend(); ++it) {
      if (it->role == "user") {
        return it->sentiment;
      }
    }
  }
  return "";
}

// The status, in the store, of the order the conversation is about, else of the only fixture
// order; "" when there is neither.
std::string OrderStatusOf(const nlohmann::json& state, const Scenario& scenario,
                          store::Store& store) {
  std::string number;
  if (state.is_object() && state.contains("active_order") && state["active_order"].is_string()) {
    number = state["active_order"].get<std::string>();
  }
  if (!number.empty()) {
    Result<store::OrderDetails> order = store.GetOrderDetails(number);
    if (order.ok()) {
      return order->order.status;
    }
  }
  if (scenario.fixtures.orders.size() == 1) {
    Result<store::OrderDetails> order =
        store.GetOrderDetails(scenario.fixtures.orders[0].order.order_number);
    if (order.ok()) {
      return order->order.status;
    }
  }
  return "";
}

std::string TurnLabel(size_t idx, const std::string& user) {
  return "turn " + std::to_string(idx + 1) + " (\"" + user + "\"): ";
}

// Runs the turns; a setup failure is the returned status, turn failures go to the report.
Status Play(const Scenario& scenario, const ScenarioOptions& options, const fs::path& dir,
            ScenarioReport& report) {
  store::SqliteOptions so;
  so.path = (dir / "kefu.db").string();
  KEFU_ASSIGN_OR_RETURN(std::unique_ptr<store::Store> store, store::NewSqliteStore(so));
  if (Status s = store->ReplaceShopData(scenario.fixtures); !s.ok()) {
    return s.WithContext("loading fixtures");
  }
  ManualClock clock(scenario.now_ms);
  engine::EngineOptions eo;
  eo.data_dir = options.data_dir;
  eo.intent_model = options.intent_model;
  eo.knowledge_base = options.kb;
  eo.customer_token_secret = options.customer_token_secret;
  if (options.configure) {
    options.configure(eo);
  }
  KEFU_ASSIGN_OR_RETURN(std::unique_ptr<engine::Engine> engine,
                        engine::Engine::Create(*store, clock, eo));
  std::string token;
  if (scenario.customer_token_for) {
    token =
        CustomerToken(scenario.customer_token_id, scenario.now_ms, options.customer_token_secret);
  }
  Result<engine::NewConversation> conv = engine->CreateConversation("test", token);
  if (!conv.ok()) {
    return conv.status().WithContext("creating the conversation");
  }
  for (size_t i = 0; i < scenario.turns.size(); ++i) {
    const ScenarioTurn& turn = scenario.turns[i];
    RequestContext ctx = RequestContext::WithTimeout(engine::NewTraceId(), kTurnTimeout);
    Result<engine::TurnResult> r = engine->HandleTurn({conv->id, turn.user, conv->token}, ctx);
    if (!r.ok()) {
      report.failures.push_back(TurnLabel(i, turn.user) + "error: " + r.status().ToString());
      return OkStatus();  // later turns depend on this one
    }
    report.turns.push_back({turn.user, r->reply, r->intent, r->action});
    Observed o;
    o.reply = r->reply;
    o.intent = r->intent;
    o.action = r->action;
    o.silent = r->silent;
    o.queued = r->queued;
    o.handoff = r->handoff || r->queued;
    o.sentiment = SentimentOf(*r, *engine);
    const nlohmann::json trace = nlohmann::json::parse(r->trace_json, nullptr, false);
    if (trace.is_object() && trace.contains("sentiment") && trace["sentiment"].is_object()) {
      o.emotion = trace["sentiment"].value("emotion", "");
    }
    if (Result<store::HandoffTicket> ticket = engine->GetHandoff(conv->id); ticket.ok()) {
      o.handoff_reason = ticket->reason;
      o.priority = ticket->priority;
    }
    o.state = nlohmann::json::parse(r->state_json, nullptr, false);
    if (o.state.is_discarded()) {
      o.state = nlohmann::json::object();
    }
    o.order_status = OrderStatusOf(o.state, scenario, *store);
    for (const std::string& f : CheckTurn(turn.expect, o)) {
      report.failures.push_back(TurnLabel(i, turn.user) + f);
    }
    clock.Advance(kTurnGap);
  }
  return OkStatus();
}

}  // namespace

Result<ScenarioReport> RunScenario(const Scenario& scenario, const ScenarioOptions& options) {
  ScenarioReport report;
  report.name = scenario.name;
  report.file = scenario.file;
  std::error_code ec;
  const fs::path base = fs::temp_directory_path(ec);
  if (ec) {
    return UnavailableError("no temporary directory: " + ec.message());
  }
  TempDir dir(base / ("kefu-scenario-" + RandomHex(8)));
  fs::create_directories(dir.path(), ec);
  if (ec) {
    return UnavailableError("cannot create '" + dir.path().string() + "': " + ec.message());
  }
  if (Status s = Play(scenario, options, dir.path(), report); !s.ok()) {
    report.error = s.ToString();
  }
  report.passed = report.error.empty() && report.failures.empty();
  return report;
}

}  // namespace kefu::scenario

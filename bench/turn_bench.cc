// Per-stage costs of one order-status turn, over SQLite holding the small test shop.
#include <benchmark/benchmark.h>

#include "core/clock.h"
#include "dialog/dialog.h"
#include "engine/engine.h"
#include "fakes/shop_fixture.h"
#include "nlu/understanding.h"
#include "test_util.h"
#include "text/normalize.h"

namespace kefu {
namespace {

const char kQuestion[] = "我的订单 2026112500000001 到哪了？";

void BM_Normalize(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(text::Normalize(kQuestion));
  }
}
BENCHMARK(BM_Normalize);

void BM_Understand(benchmark::State& state) {
  auto nlu = nlu::NewRuleUnderstander();
  const text::NormalizedText n = text::Normalize(kQuestion);
  for (auto _ : state) {
    benchmark::DoNotOptimize(nlu->Understand(n));
  }
}
BENCHMARK(BM_Understand);

struct Fixture {
  Fixture() {
    store = std::move(*store::NewSqliteStore({.path = dir.File("bench.db")}));
    (void)store->ReplaceShopData(testing::SmallShop());
    engine = std::move(
        *engine::Engine::Create(*store, SystemClock(), {.data_dir = testing::SourceDataDir()}));
    conv = *engine->CreateConversation("bench");
    RequestContext ctx = RequestContext::Unbounded("t");
    (void)engine->HandleTurn({conv.id, kQuestion, conv.token}, ctx);
    (void)engine->HandleTurn({conv.id, "5678", conv.token}, ctx);
  }
  testing::TempDir dir;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<engine::Engine> engine;
  engine::NewConversation conv;
};

Fixture& F() {
  static Fixture* f = new Fixture();
  return *f;
}

void BM_RenderOrderReply(benchmark::State& state) {
  auto t = *dialog::ReplyTemplates::Load(testing::SourceDataDir() + "/templates/replies.toml", {});
  const store::OrderDetails order = *F().store->GetOrderDetails(testing::kShippedOrder);
  for (auto _ : state) {
    benchmark::DoNotOptimize(t.Render("order.shipped", "zh", t.OrderVars(order, "zh")));
  }
}
BENCHMARK(BM_RenderOrderReply);

void BM_GetOrderDetails(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(F().store->GetOrderDetails(testing::kShippedOrder));
  }
}
BENCHMARK(BM_GetOrderDetails);

void BM_HandleTurnVerifiedOrderStatus(benchmark::State& state) {
  for (auto _ : state) {
    RequestContext ctx = RequestContext::Unbounded("t");
    benchmark::DoNotOptimize(F().engine->HandleTurn({F().conv.id, kQuestion, F().conv.token}, ctx));
  }
}
BENCHMARK(BM_HandleTurnVerifiedOrderStatus)->UseRealTime();

// What one server worker does with the turns that arrived together: a batch of order-status
// turns on distinct verified conversations, written in one commit. Time per batch; the
// items-per-second counter is turns per second of one worker.
void BM_HandleTurnsBatch(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  static std::vector<engine::NewConversation>* convs = [] {
    auto* v = new std::vector<engine::NewConversation>();
    RequestContext ctx = RequestContext::Unbounded("t");
    for (int i = 0; i < 64; ++i) {
      v->push_back(*F().engine->CreateConversation("bench"));
      (void)F().engine->HandleTurn({v->back().id, kQuestion, v->back().token}, ctx);
      (void)F().engine->HandleTurn({v->back().id, "5678", v->back().token}, ctx);
    }
    return v;
  }();
  std::vector<engine::TurnInput> inputs;
  for (size_t i = 0; i < n; ++i) {
    inputs.push_back({(*convs)[i].id, kQuestion, (*convs)[i].token});
  }
  for (auto _ : state) {
    std::vector<std::unique_ptr<RequestContext>> contexts;
    std::vector<RequestContext*> ptrs;
    for (size_t i = 0; i < n; ++i) {
      contexts.push_back(
          std::make_unique<RequestContext>("t", RequestContext::SteadyClock::time_point::max()));
      ptrs.push_back(contexts.back().get());
    }
    benchmark::DoNotOptimize(F().engine->HandleTurns(inputs, ptrs));
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n));
}
BENCHMARK(BM_HandleTurnsBatch)->Arg(1)->Arg(16)->UseRealTime();

}  // namespace
}  // namespace kefu

namespace kefu {
namespace {

void BM_SaveTurn(benchmark::State& state) {
  store::Store& s = *F().store;
  const std::string id = F().conv.id;
  int64_t version = s.GetConversation(id)->version;
  const std::string trace(700, 'x');
  for (auto _ : state) {
    store::TurnRecord r;
    r.conversation_id = id;
    r.expected_version = version++;
    r.user = {0, id, "user", kQuestion, 1, "order_status", "", "{}"};
    r.assistant = {0, id, "assistant", std::string(300, 'a'), 2, "order_status", "", trace};
    r.state_json = std::string(200, 's');
    r.lang = "zh";
    r.updated_at = 2;
    benchmark::DoNotOptimize(s.SaveTurn(r));
  }
}
BENCHMARK(BM_SaveTurn)->UseRealTime();

void BM_GetConversation(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(F().store->GetConversation(F().conv.id));
  }
}
BENCHMARK(BM_GetConversation);

}  // namespace
}  // namespace kefu

#include <algorithm>
#include <chrono>
#include <fstream>

#include <nlohmann/json.hpp>

#include "nlu/entities.h"
#include "nlu/intent_classifier.h"
#include "nlu/intent_data.h"

namespace kefu {
namespace {

// normalize + intent + entities on one message, as the engine's understanding stages run them,
// with the shipped model and the demo catalog (issue 3's speed line: p50 <= 50 us on one core).
struct NluFixture {
  NluFixture() {
    model = std::move(*nlu::IntentClassifier::Load(KEFU_BENCH_INTENT_MODEL));
    nlu::EntityOptions eo;
    std::ifstream in(testing::SourceDataDir() + "/demo/products.jsonl");
    std::string line;
    while (std::getline(in, line)) {
      const nlohmann::json p = nlohmann::json::parse(line);
      eo.catalog.push_back({p["sku"], p["name_zh"], p["name_en"], {}});
    }
    entities = std::move(*nlu::EntityExtractor::Create(eo));
  }
  std::unique_ptr<nlu::IntentClassifier> model;
  std::unique_ptr<nlu::EntityExtractor> entities;
};

void BM_NluPipeline(benchmark::State& state, const char* message) {
  static NluFixture* f = new NluFixture();
  const int64_t now = SystemClock().NowMillis();
  for (auto _ : state) {
    const text::NormalizedText n = text::Normalize(message);
    benchmark::DoNotOptimize(f->model->Predict(n.text, 3));
    benchmark::DoNotOptimize(f->entities->Extract(n.text, now));
  }
}
BENCHMARK_CAPTURE(BM_NluPipeline, zh_order, "我的订单 2026112464518311 到哪了？昨天就该到了");
BENCHMARK_CAPTURE(BM_NluPipeline, zh_traditional, "這雙鞋子質量太差了，我要退貨退款！😡");
BENCHMARK_CAPTURE(
    BM_NluPipeline, en_return,
    "I want to return the Xinghe X5 smartphone, size XL black, paid $45 last Tuesday");
BENCHMARK_CAPTURE(BM_NluPipeline, mixed, "我的order怎么还没发货，refund什么时候到账");

// The same stages on every message of data/nlu's held-out test split, one at a time: the
// distribution over real messages (p50, p90, p99 in microseconds, as counters) rather than
// four chosen ones. Each iteration times every message once; the percentiles are over all.
void BM_NluPipelineHeldOut(benchmark::State& state) {
  static NluFixture* f = new NluFixture();
  static const std::vector<nlu::LabeledText>* messages = [] {
    auto rows = nlu::LoadIntentTsv(testing::SourceDataDir() + "/nlu/intents.tsv");
    return new std::vector<nlu::LabeledText>(rows.ok()
                                                 ? nlu::FilterSplit(*rows, nlu::DataSplit::kTest)
                                                 : std::vector<nlu::LabeledText>{});
  }();
  if (messages->empty()) {
    state.SkipWithError("no held-out messages in data/nlu/intents.tsv");
    return;
  }
  const int64_t now = SystemClock().NowMillis();
  std::vector<double> micros;
  for (auto _ : state) {
    for (const nlu::LabeledText& m : *messages) {
      const auto start = std::chrono::steady_clock::now();
      const text::NormalizedText n = text::Normalize(m.text);
      benchmark::DoNotOptimize(f->model->Predict(n.text, 3));
      benchmark::DoNotOptimize(f->entities->Extract(n.text, now));
      micros.push_back(
          std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
              .count());
    }
  }
  std::sort(micros.begin(), micros.end());
  auto at = [&](double q) {
    return micros[std::min(micros.size() - 1, size_t(q * micros.size()))];
  };
  state.counters["messages"] = double(messages->size());
  state.counters["p50_us"] = at(0.50);
  state.counters["p90_us"] = at(0.90);
  state.counters["p99_us"] = at(0.99);
}
BENCHMARK(BM_NluPipelineHeldOut)->Iterations(3)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace kefu

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
  dialog::Outcome o;
  o.reply_key = "order.shipped";
  o.order_id = testing::kShippedOrder;
  o.order = *F().store->GetOrderDetails(testing::kShippedOrder);
  for (auto _ : state) {
    benchmark::DoNotOptimize(t.Render(o, "zh"));
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

// The engine the turn and API fuzz targets drive, set up as `kefu serve` sets up its own: the
// shipped intent and sentiment models, knowledge-base embedding and FAQ question model (from the
// normal build: KEFU_FUZZ_MODELS, default KEFU_FUZZ_MODEL_DIR), the small test shop in a fresh
// SQLite database under /tmp, and the demo knowledge base. Built once per fuzzing process, in
// LLVMFuzzerInitialize.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <unistd.h>

#include "core/clock.h"
#include "core/logging.h"
#include "core/utf8.h"
#include "demo/demo_shop.h"
#include "engine/engine.h"
#include "fakes/shop_fixture.h"
#include "fuzz_util.h"
#include "kb/embedder.h"
#include "kb/knowledge_base.h"
#include "store/store.h"
#include "text/normalize.h"

namespace kefu::fuzz {

template <typename T>
T Must(Result<T> r, const char* what) {
  if (!r.ok()) {
    Fail(what, r.status().ToString());
  }
  return std::move(*r);
}

struct World {
  ManualClock clock{testing::T("2026-11-28T12:00:00+08:00")};
  std::unique_ptr<store::Store> store;
  std::unique_ptr<kb::KnowledgeBase> kb;
  std::unique_ptr<engine::Engine> engine;
  // What no answer may show unless the caller typed `unlock`: a customer's phone or address
  // (unlocked only by typing it), and an order's tracking number (unlocked by typing it, or the
  // last four digits of the order's phone, which verification asks for).
  struct Secret {
    std::string value;
    std::string unlock;
  };
  std::vector<Secret> secrets;

  static World& Get() {
    static World* world = Make();
    return *world;
  }

 private:
  static World* Make() {
    (void)InitLogging("off");
    const std::string data_dir = KEFU_SOURCE_DIR "/data";
    const char* env = std::getenv("KEFU_FUZZ_MODELS");
    const std::string models = env != nullptr && *env != '\0' ? env : KEFU_FUZZ_MODEL_DIR;
    static char dir[] = "/tmp/kefu-fuzz-XXXXXX";
    Check(mkdtemp(dir) != nullptr, "mkdtemp");
    // The database goes when the process ends normally; after a finding it stays for a look.
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(dir, ignored);
    });
    auto* w = new World();
    w->store =
        Must(store::NewSqliteStore({.path = std::string(dir) + "/kefu.db"}), "open the store");
    store::ShopData shop = testing::SmallShop();
    for (const auto& c : shop.customers) {
      w->secrets.push_back({c.phone, c.phone});
      w->secrets.push_back({c.address, c.address});
    }
    for (const auto& o : shop.orders) {
      w->secrets.push_back({o.order.phone, o.order.phone});
      w->secrets.push_back({o.order.shipping_address, o.order.shipping_address});
      if (o.shipment.has_value()) {
        w->secrets.push_back({o.shipment->tracking_number, o.order.phone.substr(7)});
      }
    }
    Check(w->store->ReplaceShopData(std::move(shop)).ok(), "load the shop");
    kb::KnowledgeBaseOptions kb_options;
    kb_options.retriever.embedder = Must(kb::LoadEmbedding(models + "/kb_embed.bin"), "embedding");
    kb_options.retriever.question_model_path = models + "/kb_questions.bin";
    w->kb = Must(kb::KnowledgeBase::Open(*w->store, w->clock, std::move(kb_options)),
                 "open the knowledge base");
    (void)Must(demo::LoadDemoKnowledgeIfEmpty(*w->kb, *w->store, data_dir),
               "import the demo knowledge");
    w->engine = Must(engine::Engine::Create(*w->store, w->clock,
                                            {.data_dir = data_dir,
                                             .intent_model = models + "/intent.bin",
                                             .sentiment_model = models + "/sentiment.bin",
                                             .knowledge_base = w->kb.get()}),
                     "create the engine");
    return w;
  }
};

// What the caller sent as the engine reads it: the text itself, then its normalized form
// (text/normalize.h drops control characters and folds full-width digits, so "56\x1c78" and
// "５６７８" are the digits 5678 and verify an order).
inline std::string AsRead(std::string_view sent) {
  std::string out(sent);
  if (utf8::IsValid(sent)) {
    out.append("\n").append(text::Normalize(sent).text);
  }
  return out;
}

// Fails when `answer` shows a secret of the world that `typed` (everything the caller sent,
// through AsRead) neither contains nor unlocks.
inline void CheckNoSecrets(const World& w, std::string_view typed, std::string_view answer) {
  for (const World::Secret& secret : w.secrets) {
    if (answer.find(secret.value) != std::string_view::npos &&
        typed.find(secret.value) == std::string_view::npos &&
        typed.find(secret.unlock) == std::string_view::npos) {
      Fail("a customer's phone, address or tracking number in an answer", answer);
    }
  }
}

}  // namespace kefu::fuzz

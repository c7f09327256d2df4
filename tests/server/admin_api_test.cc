// /v1/admin/stats (the dashboard's figures) and the web pages kefu serve carries.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "fakes/shop_fixture.h"
#include "server/api.h"
#include "test_util.h"

namespace kefu::server {
namespace {

using nlohmann::json;

constexpr char kAdmin[] = "Bearer s3cret-admin";

class AdminApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(*store::NewSqliteStore({.path = dir_.File("kefu.db")}));
    ASSERT_OK(store_->ReplaceShopData(kefu::testing::SmallShop()));
    engine_ = std::move(
        *engine::Engine::Create(*store_, clock_, {.data_dir = kefu::testing::SourceDataDir()}));
    ApiOptions options;
    options.admin_key = "s3cret-admin";
    api_ = std::make_unique<Api>(*engine_, options);
  }

  HttpResponse Call(const std::string& method, const std::string& target,
                    const std::string& auth = kAdmin, const std::string& body = "") {
    RequestContext ctx = RequestContext::Unbounded("t");
    return api_->Handle({method, target, auth, "", "application/json", body}, ctx);
  }

  // A new conversation in which the shopper says each text.
  void Chat(std::initializer_list<std::string> texts) {
    json conv = json::parse(Call("POST", "/v1/conversations", "").body);
    for (const std::string& text : texts) {
      HttpResponse r = Call(
          "POST", "/v1/conversations/" + conv["conversation_id"].get<std::string>() + "/messages",
          "Bearer " + conv["token"].get<std::string>(), json{{"text", text}}.dump());
      ASSERT_EQ(r.status, 200) << r.body;
    }
  }

  kefu::testing::TempDir dir_;
  ManualClock clock_{kefu::testing::T("2026-11-28T12:00:00+08:00")};
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<Api> api_;
};

TEST_F(AdminApiTest, StatsCountTodaysConversationsIntentsAndLatency) {
  Chat({"你好", std::string("我的订单 ") + kefu::testing::kShippedOrder + " 到哪了", "5678"});
  Chat({"转人工"});
  Chat({"Where is my order?"});
  EXPECT_EQ(api_->Classify({"GET", "/v1/admin/stats", "", "", "", ""}), RouteKind::kBlocking);
  HttpResponse r = Call("GET", "/v1/admin/stats?days=7");
  ASSERT_EQ(r.status, 200) << r.body;
  const json s = json::parse(r.body);
  EXPECT_EQ(s["days"], 7);
  EXPECT_EQ(s["to"], "2026-11-28");
  EXPECT_EQ(s["from"], "2026-11-22");
  ASSERT_EQ(s["per_day"].size(), 7u);  // quiet days too, as zeros
  EXPECT_EQ(s["per_day"][0]["conversations"], 0);
  EXPECT_EQ(s["per_day"][6]["day"], "2026-11-28");
  EXPECT_EQ(s["per_day"][6]["conversations"], 3);
  EXPECT_EQ(s["per_day"][6]["turns"], 5);
  EXPECT_EQ(s["totals"]["conversations"], 3);
  EXPECT_EQ(s["totals"]["handoffs"], 1);
  EXPECT_EQ(s["totals"]["automated"], 2);
  EXPECT_NEAR(s["totals"]["automation_rate"].get<double>(), 0.6667, 1e-4);
  EXPECT_NEAR(s["totals"]["handoff_rate"].get<double>(), 0.3333, 1e-4);
  int64_t intents = 0;
  for (const json& i : s["intents"]) {
    intents += i["count"].get<int64_t>();
  }
  EXPECT_EQ(intents, 5);
  EXPECT_EQ(s["latency_ms"]["samples"], 5);
  EXPECT_GT(s["latency_ms"]["p99"].get<double>(), 0.0);
  EXPECT_GE(s["latency_ms"]["max"].get<double>(), s["latency_ms"]["p50"].get<double>());
  int64_t bucketed = 0;
  for (const json& b : s["latency_ms"]["histogram"]) {
    bucketed += b["count"].get<int64_t>();
  }
  EXPECT_EQ(bucketed, 5);
  EXPECT_TRUE(s["unanswered"].is_array());
}

TEST_F(AdminApiTest, StatsNeedTheAdminKeyAndAGoodRange) {
  EXPECT_EQ(Call("GET", "/v1/admin/stats", "").status, 401);
  EXPECT_EQ(Call("GET", "/v1/admin/stats", "Bearer nope").status, 403);
  EXPECT_EQ(Call("GET", "/v1/admin/stats?days=0").status, 400);
  EXPECT_EQ(Call("GET", "/v1/admin/stats?days=91").status, 400);
  EXPECT_EQ(Call("GET", "/v1/admin/stats?days=abc").status, 400);
  EXPECT_EQ(Call("POST", "/v1/admin/stats").status, 405);
  EXPECT_EQ(Call("GET", "/v1/admin/nothing").status, 404);
  HttpResponse ok = Call("GET", "/v1/admin/stats");
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(json::parse(ok.body)["days"], 14);
  EXPECT_EQ(json::parse(ok.body)["totals"]["automation_rate"], 0.0);  // nothing yet, no NaN
}

TEST_F(AdminApiTest, TheWebPagesAreServedWithTheirTypes) {
  const struct {
    const char* path;
    const char* type;
    const char* contains;
  } pages[] = {{"/", "text/html; charset=utf-8", "/assets/widget.js"},
               {"/agent", "text/html; charset=utf-8", "<div id=\"app\">"},
               {"/admin/", "text/html; charset=utf-8", "</html>"},
               {"/assets/widget.js", "text/javascript; charset=utf-8", "kefu"}};
  for (const auto& p : pages) {
    HttpResponse r = Call("GET", p.path, "");
    ASSERT_EQ(r.status, 200) << p.path;
    EXPECT_EQ(r.content_type, p.type) << p.path;
    EXPECT_NE(r.body.find(p.contains), std::string::npos) << p.path;
  }
  EXPECT_EQ(Call("GET", "/assets/nope.js", "").status, 404);
  EXPECT_EQ(Call("GET", "/../etc/passwd", "").status, 404);
  EXPECT_EQ(Call("POST", "/", "").status, 405);
}

}  // namespace
}  // namespace kefu::server

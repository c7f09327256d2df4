// /v1/kb/*: the admin key, uploads in several formats, listing, deleting and searching, and the
// errors for bad input.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "fakes/shop_fixture.h"
#include "kb/knowledge_base.h"
#include "server/api.h"
#include "test_util.h"

namespace kefu::server {
namespace {

using nlohmann::json;

constexpr char kAdmin[] = "Bearer s3cret-admin";

class KbApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(*store::NewSqliteStore({.path = dir_.File("kefu.db")}));
    ASSERT_OK(store_->ReplaceShopData(kefu::testing::SmallShop()));
    kb_ = std::move(*kb::KnowledgeBase::Open(*store_, SystemClock(), {}));
    engine_ = std::move(*engine::Engine::Create(
        *store_, SystemClock(),
        {.data_dir = kefu::testing::SourceDataDir(), .knowledge_base = kb_.get()}));
    api_ = std::make_unique<Api>(
        *engine_, ApiOptions{.max_upload_bytes = 4096, .admin_key = "s3cret-admin"}, kb_.get());
  }

  HttpResponse Call(const std::string& method, const std::string& target,
                    const std::string& body = "", const std::string& auth = kAdmin) {
    RequestContext ctx = RequestContext::Unbounded("t");
    return api_->Handle({method, target, auth, "", "application/json", body}, ctx);
  }

  HttpResponse Upload(const std::string& name, const std::string& content,
                      const json& extra = json::object()) {
    json body = extra;
    body["name"] = name;
    body["content"] = content;
    return Call("POST", "/v1/kb/documents", body.dump());
  }

  static std::string ErrorCode(const HttpResponse& r) {
    return json::parse(r.body)["error"]["code"].get<std::string>();
  }

  kefu::testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<kb::KnowledgeBase> kb_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<Api> api_;
};

TEST_F(KbApiTest, EveryKbRouteIsBlockingWork) {
  EXPECT_EQ(api_->Classify({"GET", "/v1/kb/search?q=x", "", "", "", ""}), RouteKind::kBlocking);
  EXPECT_EQ(api_->Classify({"POST", "/v1/kb/documents", "", "", "", ""}), RouteKind::kBlocking);
}

TEST_F(KbApiTest, AdminKeyIsRequired) {
  HttpResponse none = Call("GET", "/v1/kb/documents", "", "");
  EXPECT_EQ(none.status, 401);
  HttpResponse wrong = Call("GET", "/v1/kb/documents", "", "Bearer nope");
  EXPECT_EQ(wrong.status, 403);
  EXPECT_EQ(ErrorCode(wrong), "permission_denied");
}

TEST_F(KbApiTest, WithoutAConfiguredKeyTheApiIsDisabled) {
  Api open(*engine_, ApiOptions{}, kb_.get());
  RequestContext ctx = RequestContext::Unbounded("t");
  HttpResponse r = open.Handle({"GET", "/v1/kb/documents", "Bearer ", "", "", ""}, ctx);
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(json::parse(r.body)["error"]["message"].get<std::string>().find("kb.admin_key"),
            std::string::npos);
}

TEST_F(KbApiTest, UploadListSearchDelete) {
  HttpResponse up =
      Upload("policies/returns.md", "# 退货政策\n\n## 运费\n\n无理由退货的运费由买家承担。\n",
             {{"category", "policy"}});
  ASSERT_EQ(up.status, 201) << up.body;
  EXPECT_EQ(json::parse(up.body)["added"], 1);
  EXPECT_EQ(json::parse(up.body)["ids"][0], "policies/returns.md");

  HttpResponse faq = Upload("faq.jsonl", R"({"id":"faq-1","question":"How long do refunds take?",)"
                                         R"("answer":"3-5 business days.","lang":"en"})");
  ASSERT_EQ(faq.status, 201) << faq.body;

  HttpResponse again =
      Upload("faq.jsonl", R"({"id":"faq-1","question":"How long do refunds take?",)"
                          R"("answer":"3-5 business days.","lang":"en"})");
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(json::parse(again.body)["unchanged"], 1);

  json list = json::parse(Call("GET", "/v1/kb/documents").body);
  ASSERT_EQ(list["count"], 2);

  HttpResponse s = Call("GET", "/v1/kb/search?q=%E9%80%80%E8%B4%A7%E8%BF%90%E8%B4%B9&k=3");
  ASSERT_EQ(s.status, 200) << s.body;
  json hits = json::parse(s.body)["hits"];
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0]["doc_id"], "policies/returns.md");
  EXPECT_EQ(hits[0]["heading"], "退货政策 > 运费");

  json en = json::parse(Call("GET", "/v1/kb/search?q=refund+time&lang=en").body);
  ASSERT_FALSE(en["hits"].empty());
  EXPECT_EQ(en["hits"][0]["doc_id"], "faq-1");

  EXPECT_EQ(Call("DELETE", "/v1/kb/documents/policies%2Freturns.md").status, 204);
  EXPECT_EQ(Call("DELETE", "/v1/kb/documents/policies%2Freturns.md").status, 404);
  EXPECT_EQ(json::parse(Call("GET", "/v1/kb/documents").body)["count"], 1);
}

TEST_F(KbApiTest, BadUploadsGetClearErrors) {
  EXPECT_EQ(Call("POST", "/v1/kb/documents", "not json").status, 400);
  EXPECT_EQ(Upload("", "x").status, 400);
  EXPECT_EQ(Upload("notes.pdf", "x").status, 400);
  EXPECT_EQ(Upload("empty.md", "").status, 400);
  HttpResponse bad_faq = Upload("faq.jsonl", R"({"question":"没有答案"})");
  EXPECT_EQ(bad_faq.status, 400);
  EXPECT_EQ(ErrorCode(bad_faq), "invalid_argument");
  HttpResponse big = Upload("big.md", "# 大文件\n\n" + std::string(5000, 'a'));
  EXPECT_EQ(big.status, 413);
  HttpResponse lang = Upload("a.md", "# x\n\ny", {{"lang", "fr"}});
  EXPECT_EQ(lang.status, 400);
  EXPECT_EQ(Call("POST", "/v1/kb/documents", R"({"name": 3})").status, 400);
  EXPECT_EQ(
      Call("POST", "/v1/kb/documents", std::string("{\"name\":\"a.md\",\"content\":\"\xff\"}"))
          .status,
      400);
}

TEST_F(KbApiTest, BadSearchesGetClearErrors) {
  EXPECT_EQ(Call("GET", "/v1/kb/search").status, 400);
  EXPECT_EQ(Call("GET", "/v1/kb/search?q=x&k=0").status, 400);
  EXPECT_EQ(Call("GET", "/v1/kb/search?q=x&k=abc").status, 400);
  EXPECT_EQ(Call("GET", "/v1/kb/search?q=x&mode=magic").status, 400);
  EXPECT_EQ(Call("GET", "/v1/kb/search?q=" + std::string(3000, 'a')).status, 400);
  EXPECT_EQ(Call("PUT", "/v1/kb/search?q=x").status, 405);
  EXPECT_EQ(Call("GET", "/v1/kb/elsewhere").status, 404);
  HttpResponse empty = Call("GET", "/v1/kb/search?q=%F0%9F%98%80");
  EXPECT_EQ(empty.status, 200);
  EXPECT_TRUE(json::parse(empty.body)["hits"].empty());
}

TEST_F(KbApiTest, UploadsMayBeLargerThanChatMessages) {
  EXPECT_EQ(api_->BodyLimit("POST", "/v1/kb/documents"), 16u * 1024);  // max(upload, body)
  EXPECT_EQ(api_->BodyLimit("POST", "/v1/conversations/c_1/messages"), 16u * 1024);
  Api big(*engine_, ApiOptions{.max_upload_bytes = 1 << 20}, kb_.get());
  EXPECT_EQ(big.BodyLimit("POST", "/v1/kb/documents?x=1"), 1u << 20);
  EXPECT_EQ(big.BodyLimit("GET", "/v1/kb/documents"), 16u * 1024);
}

}  // namespace
}  // namespace kefu::server

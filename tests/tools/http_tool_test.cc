#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "test_util.h"
#include "tools/tools.h"

namespace kefu::tools {
namespace {

using json = nlohmann::json;

// What the fake shop server last received.
struct Seen {
  std::string method;
  std::string target;  // path and query as sent, still URL-encoded
  std::string body;
  httplib::Headers headers;
};

// A config named "shop" for `url`; `edit` sets the rest. (Designated initializers would leave
// fields out, which g++ 12 warns about under -Wextra.)
HttpToolConfig Cfg(std::string url, const std::function<void(HttpToolConfig&)>& edit = {}) {
  HttpToolConfig config;
  config.name = "shop";
  config.url = std::move(url);
  if (edit) {
    edit(config);
  }
  return config;
}

std::string Header(const httplib::Headers& headers, const std::string& name) {
  auto it = headers.find(name);  // case-insensitive
  return it == headers.end() ? "" : it->second;
}

// A shop API on 127.0.0.1 at a free port, answering from a thread.
class HttpToolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto record = [this](const httplib::Request& req) {
      std::scoped_lock lock(mutex_);
      seen_ = {req.method, req.target, req.body, req.headers};
    };
    auto echo = [record](const httplib::Request& req, httplib::Response& res) {
      record(req);
      res.set_content(R"({"data":{"echo":true}})", "application/json");
    };
    server_.Get("/orders/.*", echo);
    server_.Post("/echo", echo);
    server_.Put("/echo", echo);
    server_.Delete("/echo", echo);
    server_.Get("/fixed", [this, record](const httplib::Request& req, httplib::Response& res) {
      record(req);
      std::scoped_lock lock(mutex_);
      res.status = reply_status_;
      res.set_content(reply_body_, reply_type_);
    });
    server_.Get("/slow", [this](const httplib::Request&, httplib::Response& res) {
      std::unique_lock lock(mutex_);
      released_.wait_for(lock, std::chrono::seconds(10), [this] { return release_; });
      res.set_content("{}", "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // httplib's stop() does nothing before the listen loop has started, so a test that ends
    // quickly would leave TearDown waiting forever. (The socket itself already listens.)
    while (!server_.is_running()) {
      std::this_thread::yield();
    }
  }

  void TearDown() override {
    {
      std::scoped_lock lock(mutex_);
      release_ = true;
    }
    released_.notify_all();
    server_.stop();
    thread_.join();
  }

  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

  void Reply(int status, std::string body, std::string type = "application/json") {
    std::scoped_lock lock(mutex_);
    reply_status_ = status;
    reply_body_ = std::move(body);
    reply_type_ = std::move(type);
  }

  Seen seen() {
    std::scoped_lock lock(mutex_);
    return seen_;
  }

  static std::unique_ptr<Tool> Make(const HttpToolConfig& config) {
    Result<std::unique_ptr<Tool>> tool = NewHttpTool(config);
    EXPECT_TRUE(tool.ok()) << tool.status();
    return tool.ok() ? std::move(*tool) : nullptr;
  }

  static Result<ToolResult> CallTool(const Tool& tool, const json& args) {
    RequestContext ctx = RequestContext::Unbounded("test");
    return tool.Call(args, ctx);
  }

  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mutex_;
  std::condition_variable released_;
  bool release_ = false;
  Seen seen_;
  int reply_status_ = 200;
  std::string reply_body_ = "{}";
  std::string reply_type_ = "application/json";
};

TEST_F(HttpToolTest, GetPutsUrlEncodedArgumentsIntoTheUrl) {
  auto tool = Make(Cfg(Url("/orders/{order_id}?note={note}")));
  ASSERT_NE(tool, nullptr);
  Result<ToolResult> r = CallTool(*tool, {{"order_id", "A/1 b"}, {"note", "中"}});
  ASSERT_OK_RESULT(r);
  EXPECT_EQ(r->code, "ok");
  EXPECT_EQ(r->data, json({{"echo", true}}));
  EXPECT_EQ(seen().method, "GET");
  EXPECT_EQ(seen().target, "/orders/A%2F1%20b?note=%E4%B8%AD");
  EXPECT_EQ(seen().body, "");

  ASSERT_OK_RESULT(CallTool(*tool, {{"order_id", 42}, {"note", true}}));
  EXPECT_EQ(seen().target, "/orders/42?note=true");
}

TEST_F(HttpToolTest, PostSendsTheArgumentsAsAJsonBody) {
  for (const std::string method : {"POST", "PUT"}) {
    auto tool = Make(Cfg(Url("/echo"), [&](HttpToolConfig& c) { c.method = method; }));
    ASSERT_NE(tool, nullptr);
    const json args = {{"order_id", "1"}, {"reason", "太大了"}, {"items", {1, 2}}};
    ASSERT_OK_RESULT(CallTool(*tool, args));
    const Seen s = seen();
    EXPECT_EQ(s.method, method);
    EXPECT_EQ(json::parse(s.body), args);
    EXPECT_EQ(Header(s.headers, "Content-Type"), "application/json");
  }
  auto del = Make(Cfg(Url("/echo"), [](HttpToolConfig& c) { c.method = "DELETE"; }));
  ASSERT_OK_RESULT(CallTool(*del, {{"order_id", "1"}}));
  EXPECT_EQ(seen().method, "DELETE");
  EXPECT_EQ(seen().body, "");
}

TEST_F(HttpToolTest, HeadersAreSentWithEnvironmentVariablesExpanded) {
  ASSERT_EQ(setenv("KEFU_TEST_SHOP_KEY", "s3cret-key", 1), 0);
  auto tool = Make(Cfg(Url("/fixed"), [](HttpToolConfig& c) {
    c.headers = {{"Authorization", "Bearer ${KEFU_TEST_SHOP_KEY}"}, {"X-Shop", "kefu"}};
  }));
  ASSERT_NE(tool, nullptr);
  ASSERT_OK_RESULT(CallTool(*tool, json::object()));
  const Seen s = seen();
  EXPECT_EQ(Header(s.headers, "Authorization"), "Bearer s3cret-key");
  EXPECT_EQ(Header(s.headers, "X-Shop"), "kefu");

  Reply(500, "{}");
  Result<ToolResult> failed = CallTool(*tool, json::object());
  EXPECT_EQ(failed.status().message().find("s3cret"), std::string::npos);  // never in messages

  Result<std::unique_ptr<Tool>> unset = NewHttpTool(Cfg(Url("/fixed"), [](HttpToolConfig& c) {
    c.headers = {{"X-Key", "${KEFU_TEST_UNSET_VAR}"}};
  }));
  EXPECT_EQ(unset.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(unset.status().message().find("KEFU_TEST_UNSET_VAR"), std::string::npos);
}

TEST_F(HttpToolTest, CodeFieldAndMapShapeTheResult) {
  Reply(200, R"({"result":"pending","payload":{"order":{"id":7}},"extra":1})");
  auto tool = Make(Cfg(Url("/fixed"), [](HttpToolConfig& c) {
    c.code_field = "/result";
    c.map = {{"order", "/payload/order"}, {"gone", "/nothing/here"}};
  }));
  ASSERT_NE(tool, nullptr);
  Result<ToolResult> r = CallTool(*tool, json::object());
  ASSERT_OK_RESULT(r);
  EXPECT_EQ(r->code, "pending");
  EXPECT_EQ(r->data, json({{"order", {{"id", 7}}}}));  // a missing pointer leaves the field out
}

TEST_F(HttpToolTest, WithoutAMapTheDataMemberOrTheWholeBodyIsTheData) {
  auto tool = Make(Cfg(Url("/fixed")));
  ASSERT_NE(tool, nullptr);
  Reply(200, R"({"code":"none","data":{"products":[]}})");
  Result<ToolResult> member = CallTool(*tool, json::object());
  ASSERT_OK_RESULT(member);
  EXPECT_EQ(member->code, "none");
  EXPECT_EQ(member->data, json({{"products", json::array()}}));
  Reply(200, R"({"order_id":"1","data":[1]})");
  Result<ToolResult> whole = CallTool(*tool, json::object());
  ASSERT_OK_RESULT(whole);
  EXPECT_EQ(whole->code, "ok");
  EXPECT_EQ(whole->data, json::parse(R"({"order_id":"1","data":[1]})"));
}

TEST_F(HttpToolTest, NotFoundIsTheNotFoundCode) {
  Reply(404, R"({"code":"no_such_order"})");
  auto tool = Make(Cfg(Url("/fixed")));
  Result<ToolResult> r = CallTool(*tool, json::object());
  ASSERT_OK_RESULT(r);
  EXPECT_EQ(r->code, "not_found");
  Reply(404, "Not Found", "text/plain");
  Result<ToolResult> plain = CallTool(*tool, json::object());
  ASSERT_OK_RESULT(plain);
  EXPECT_EQ(plain->code, "not_found");
}

TEST_F(HttpToolTest, OtherClientErrorsGiveTheBodysCodeOrRejected) {
  Reply(409, R"({"code":"not_cancellable","data":{"status":"shipped"}})");
  auto tool = Make(Cfg(Url("/fixed")));
  Result<ToolResult> r = CallTool(*tool, json::object());
  ASSERT_OK_RESULT(r);
  EXPECT_EQ(r->code, "not_cancellable");
  EXPECT_EQ(r->data, json({{"status", "shipped"}}));
  Reply(400, "bad request", "text/plain");
  Result<ToolResult> plain = CallTool(*tool, json::object());
  ASSERT_OK_RESULT(plain);
  EXPECT_EQ(plain->code, "rejected");
}

TEST_F(HttpToolTest, ServerErrorIsUnavailable) {
  Reply(500, R"({"code":"boom"})");
  auto tool = Make(Cfg(Url("/fixed")));
  Result<ToolResult> r = CallTool(*tool, json::object());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("HTTP 500"), std::string::npos) << r.status();
  EXPECT_NE(r.status().message().find("tool 'shop'"), std::string::npos) << r.status();
}

TEST_F(HttpToolTest, NonJsonSuccessIsUnavailable) {
  Reply(200, "<html>maintenance</html>", "text/html");
  auto tool = Make(Cfg(Url("/fixed")));
  Result<ToolResult> r = CallTool(*tool, json::object());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("not JSON"), std::string::npos) << r.status();
}

TEST_F(HttpToolTest, BodyOverOneMebibyteIsUnavailable) {
  Reply(200, "[" + std::string(size_t{2} << 20, ' ') + "]");
  auto tool = Make(Cfg(Url("/fixed")));
  Result<ToolResult> r = CallTool(*tool, json::object());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("over"), std::string::npos) << r.status();
}

TEST_F(HttpToolTest, SlowServerGivesDeadlineExceededAtTheTimeout) {
  auto tool = Make(Cfg(Url("/slow"), [](HttpToolConfig& c) { c.timeout_ms = 200; }));
  const auto start = std::chrono::steady_clock::now();
  Result<ToolResult> r = CallTool(*tool, json::object());
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded) << r.status();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST_F(HttpToolTest, TheRequestDeadlineCapsTheTimeout) {
  auto tool = Make(Cfg(Url("/slow"), [](HttpToolConfig& c) { c.timeout_ms = 60'000; }));
  RequestContext ctx = RequestContext::WithTimeout("t", std::chrono::milliseconds(200));
  const auto start = std::chrono::steady_clock::now();
  Result<ToolResult> r = tool->Call(json::object(), ctx);
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded) << r.status();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));

  RequestContext spent = RequestContext::WithTimeout("t", std::chrono::milliseconds(-1));
  EXPECT_EQ(tool->Call(json::object(), spent).status().code(), StatusCode::kDeadlineExceeded);
}

TEST_F(HttpToolTest, ConnectionRefusedIsUnavailable) {
  // A bound socket that does not listen: connecting to it is refused, and no one else can take
  // the port while the test holds it.
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const int port = ntohs(addr.sin_port);
  auto tool = Make(Cfg("http://127.0.0.1:" + std::to_string(port) + "/x"));
  Result<ToolResult> r = CallTool(*tool, json::object());
  close(fd);
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status();
}

TEST_F(HttpToolTest, MissingUrlArgumentIsInvalidArgument) {
  auto tool = Make(Cfg(Url("/orders/{order_id}")));
  Result<ToolResult> r = CallTool(*tool, {{"phone", "1"}});
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("order_id"), std::string::npos) << r.status();
  EXPECT_EQ(CallTool(*tool, json::array()).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(CallTool(*tool, {{"order_id", {{"a", 1}}}}).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(HttpToolTest, OneToolServesManyThreadsAtOnce) {
  auto tool = Make(Cfg(Url("/orders/{order_id}")));
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5; ++i) {
        ok += CallTool(*tool, {{"order_id", t * 10 + i}}).ok() ? 1 : 0;
      }
    });
  }
  for (std::thread& t : threads) {
    t.join();
  }
  EXPECT_EQ(ok.load(), 20);
}

TEST(HttpToolConfigTest, BadMethodUrlOrPointerIsRefusedAtConstruction) {
  const std::string ok = "http://127.0.0.1/x";
  const HttpToolConfig bad[] = {
      Cfg(ok, [](HttpToolConfig& c) { c.method = "FETCH"; }),
      Cfg("ftp://127.0.0.1/x"),
      Cfg("127.0.0.1/x"),
      Cfg("http:///x"),
      Cfg("http://127.0.0.1:99999/x"),
      Cfg("http://127.0.0.1/orders/{order_id"),
      Cfg(ok, [](HttpToolConfig& c) { c.timeout_ms = 0; }),
      Cfg(ok, [](HttpToolConfig& c) { c.code_field = "code"; }),
      Cfg(ok,
          [](HttpToolConfig& c) {
            c.map = {{"order", "data"}};
          }),
      Cfg(ok, [](HttpToolConfig& c) { c.name = ""; }),
  };
  for (const HttpToolConfig& config : bad) {
    EXPECT_EQ(NewHttpTool(config).status().code(), StatusCode::kInvalidArgument)
        << config.url << " " << config.method;
  }
  Result<std::unique_ptr<Tool>> lower = NewHttpTool(
      Cfg("https://shop.example:8443/x", [](HttpToolConfig& c) { c.method = "patch"; }));
  ASSERT_OK_RESULT(lower);  // Debian's cpp-httplib is built with OpenSSL
  EXPECT_EQ((*lower)->name(), "shop");
}

// A tool that answers with its own label, to tell two tools of one name apart.
class LabelTool final : public Tool {
 public:
  LabelTool(std::string name, std::string label)
      : name_(std::move(name)), label_(std::move(label)) {}
  std::string name() const override { return name_; }
  Result<ToolResult> Call(const json& args, RequestContext&) const override {
    return ToolResult{label_, args};
  }

 private:
  std::string name_;
  std::string label_;
};

TEST(ToolRegistryTest, AddReplacesByNameAndCallsTheTool) {
  ToolRegistry tools;
  tools.Add(std::make_unique<LabelTool>("get_order", "first"));
  tools.Add(std::make_unique<LabelTool>("cancel_order", "cancel"));
  tools.Add(std::make_unique<LabelTool>("get_order", "second"));
  EXPECT_EQ(tools.Names(), (std::vector<std::string>{"cancel_order", "get_order"}));
  ASSERT_NE(tools.Find("get_order"), nullptr);
  EXPECT_EQ(tools.Find("get_order")->name(), "get_order");
  EXPECT_EQ(tools.Find("open_case"), nullptr);

  RequestContext ctx = RequestContext::Unbounded("t");
  Result<ToolResult> r = tools.Call("get_order", {{"order_id", "1"}}, ctx);
  ASSERT_OK_RESULT(r);
  EXPECT_EQ(r->code, "second");
  EXPECT_EQ(r->data, json({{"order_id", "1"}}));
  Result<ToolResult> unknown = tools.Call("open_case", json::object(), ctx);
  EXPECT_EQ(unknown.status().code(), StatusCode::kNotFound);
  EXPECT_NE(unknown.status().message().find("open_case"), std::string::npos);
}

TEST(ToolRegistryTest, NamesAreSorted) {
  ToolRegistry tools;
  EXPECT_TRUE(tools.Names().empty());
  for (const char* name : {"search_products", "create_invoice", "get_product"}) {
    tools.Add(std::make_unique<LabelTool>(name, "x"));
  }
  EXPECT_EQ(tools.Names(),
            (std::vector<std::string>{"create_invoice", "get_product", "search_products"}));
}

}  // namespace
}  // namespace kefu::tools

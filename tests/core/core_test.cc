#include <fstream>
#include <map>
#include <thread>
#include <utility>

#include <gtest/gtest.h>

#include "core/config.h"
#include "core/file_util.h"
#include "core/request_context.h"
#include "core/result.h"
#include "core/sha256.h"
#include "core/thread_name.h"
#include "core/time_util.h"
#include "core/utf8.h"
#include "test_util.h"

namespace kefu {
namespace {

TEST(StatusTest, WithContextPrefixesMessageAndKeepsCode) {
  Status s = NotFoundError("doc 'a.md'").WithContext("kb import");
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "kb import: doc 'a.md'");
  EXPECT_EQ(s.ToString(), "not_found: kb import: doc 'a.md'");
}

Result<int> Half(int v) {
  if (v % 2 != 0) {
    return InvalidArgumentError("odd");
  }
  return v / 2;
}

Result<int> Quarter(int v) {
  KEFU_ASSIGN_OR_RETURN(int h, Half(v));
  return Half(h);
}

TEST(ResultTest, AssignOrReturnPropagatesTheFirstError) {
  EXPECT_EQ(*Quarter(8), 2);
  EXPECT_EQ(Quarter(6).status().code(), StatusCode::kInvalidArgument);
}

TEST(Utf8Test, RejectsMalformedSequences) {
  EXPECT_TRUE(utf8::IsValid("订单 order ✓"));
  EXPECT_FALSE(utf8::IsValid("\xff"));
  EXPECT_FALSE(utf8::IsValid("\xe8\xae"));      // truncated 订
  EXPECT_FALSE(utf8::IsValid("\xc0\xaf"));      // overlong '/'
  EXPECT_FALSE(utf8::IsValid("\xed\xa0\x80"));  // surrogate
  EXPECT_EQ(utf8::CodePointCount("订单ab"), 4u);
  EXPECT_EQ(utf8::Encode(utf8::Decode("客服 ok")), "客服 ok");
}

TEST(TimeUtilTest, ParsesOffsetsAndFormatsInShopZone) {
  Result<int64_t> t = ParseIso8601("2026-11-25T10:21:05+08:00");
  ASSERT_OK_RESULT(t);
  EXPECT_EQ(*t, *ParseIso8601("2026-11-25T02:21:05Z"));
  EXPECT_EQ(FormatLocalMinute(*t, 480), "2026-11-25 10:21");
  EXPECT_EQ(FormatIso8601(*t, 480), "2026-11-25T10:21:05+08:00");
  EXPECT_EQ(FormatIso8601(*t, -300), "2026-11-24T21:21:05-05:00");
  EXPECT_EQ(FormatIso8601(*t, 330), "2026-11-25T07:51:05+05:30");
  EXPECT_EQ(FormatIso8601(0, 0), "1970-01-01T00:00:00+00:00");
  EXPECT_EQ(FormatLocalMinute(*t, -300), "2026-11-24 21:21");
  for (const char* s : {"2000-02-29T23:59:59+08:00", "2099-12-31T00:00:01-03:30"}) {
    const int off = std::string_view(s).substr(19) == "+08:00" ? 480 : -210;
    EXPECT_EQ(FormatIso8601(*ParseIso8601(s), off), s);  // round trip
  }
  EXPECT_FALSE(ParseIso8601("2026-13-01T00:00:00Z").ok());
  EXPECT_FALSE(ParseIso8601("yesterday").ok());
}

TEST(Sha256Test, HmacMatchesRfc4231) {
  // RFC 4231, test case 2.
  EXPECT_EQ(HmacSha256Hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Sha256Test, MatchesKnownDigest) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "ab"));
}

TEST(RequestContextTest, ReportsCancellationAndDeadline) {
  RequestContext ok = RequestContext::Unbounded("t");
  EXPECT_OK(ok.Check());
  ok.Cancel();
  EXPECT_EQ(ok.Check().code(), StatusCode::kCancelled);
  RequestContext late("t", std::chrono::steady_clock::now() - std::chrono::milliseconds(1));
  EXPECT_EQ(late.Check().code(), StatusCode::kDeadlineExceeded);
}

TEST(ConfigTest, DefaultsWorkWithNoFileAndNoEnvironment) {
  Result<Config> c = LoadConfig("", {});
  ASSERT_OK_RESULT(c);
  EXPECT_EQ(c->server.port, 8080);
  EXPECT_EQ(c->store.db_path, "./kefu.db");
}

TEST(ConfigTest, EnvironmentOverridesFile) {
  testing::TempDir dir;
  std::ofstream(dir.File("kefu.toml")) << "[server]\nport = 9000\nhost = \"0.0.0.0\"\n"
                                       << "[store]\ndb_path = \"a.db\"\n";
  Result<Config> c = LoadConfig(dir.File("kefu.toml"), {{"KEFU_PORT", "9100"}});
  ASSERT_OK_RESULT(c);
  EXPECT_EQ(c->server.port, 9100);
  EXPECT_EQ(c->server.host, "0.0.0.0");
  EXPECT_EQ(c->store.db_path, "a.db");
  Result<Config> d = LoadConfig(dir.File("kefu.toml"), {{"KEFU_STORE_DB_PATH", "b.db"}});
  EXPECT_EQ(d->store.db_path, "b.db");
}

TEST(ConfigTest, BadValuesNameTheKey) {
  testing::TempDir dir;
  std::ofstream(dir.File("bad.toml")) << "[server]\nportt = 1\n";
  Result<Config> unknown = LoadConfig(dir.File("bad.toml"), {});
  EXPECT_EQ(unknown.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(unknown.status().message().find("server.portt"), std::string::npos);
  Result<Config> env = LoadConfig("", {{"KEFU_SERVER_PORT", "eighty"}});
  EXPECT_NE(env.status().message().find("KEFU_SERVER_PORT"), std::string::npos);
  Result<Config> range = LoadConfig("", {{"KEFU_SERVER_PORT", "70000"}});
  EXPECT_EQ(range.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(LoadConfig(dir.File("missing.toml"), {}).status().code(), StatusCode::kNotFound);
}

TEST(ConfigTest, MaxBatchComesFromFileOrEnvironmentAndMustBePositive) {
  EXPECT_EQ(LoadConfig("", {})->server.max_batch, 32);
  testing::TempDir dir;
  std::ofstream(dir.File("kefu.toml")) << "[server]\nmax_batch = 8\n";
  EXPECT_EQ(LoadConfig(dir.File("kefu.toml"), {})->server.max_batch, 8);
  EXPECT_EQ(LoadConfig(dir.File("kefu.toml"), {{"KEFU_SERVER_MAX_BATCH", "48"}})->server.max_batch,
            48);
  Result<Config> zero = LoadConfig("", {{"KEFU_SERVER_MAX_BATCH", "0"}});
  EXPECT_EQ(zero.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(zero.status().message().find("server.max_batch"), std::string::npos);
}

TEST(ConfigTest, SecretsComeFromFileOrTheirShortEnvironmentNames) {
  testing::TempDir dir;
  std::ofstream(dir.File("kefu.toml")) << "[server]\nagent_key = \"a1\"\n"
                                       << "[auth]\ncustomer_token_secret = \"s1\"\n";
  Result<Config> file = LoadConfig(dir.File("kefu.toml"), {});
  ASSERT_OK_RESULT(file);
  EXPECT_EQ(file->server.agent_key, "a1");
  EXPECT_EQ(file->auth.customer_token_secret, "s1");
  Result<Config> env = LoadConfig(dir.File("kefu.toml"),
                                  {{"KEFU_AGENT_KEY", "a2"}, {"KEFU_CUSTOMER_TOKEN_SECRET", "s2"}});
  ASSERT_OK_RESULT(env);
  EXPECT_EQ(env->server.agent_key, "a2");
  EXPECT_EQ(env->auth.customer_token_secret, "s2");
  Result<Config> defaults = LoadConfig("", {});
  ASSERT_OK_RESULT(defaults);
  EXPECT_EQ(defaults->server.agent_key, "");
  EXPECT_EQ(defaults->auth.customer_token_secret, "");
  EXPECT_TRUE(defaults->http_tools.empty());
}

TEST(ConfigTest, ToolTablesBecomeHttpToolSettings) {
  testing::TempDir dir;
  std::ofstream(dir.File("kefu.toml"))
      << "[tools.get_order]\n"
      << "url = \"http://127.0.0.1:9000/orders/{order_id}\"\n"
      << "headers = { Authorization = \"Bearer ${SHOP_API_KEY}\" }\n"
      << "timeout_ms = 1500\n"
      << "code_field = \"/result\"\n"
      << "body = \"args\"\n"
      << "[tools.get_order.map]\norder = \"/data\"\n"
      << "[tools.cancel_order]\nurl = \"http://shop/cancel\"\nmethod = \"POST\"\n";
  Result<Config> c = LoadConfig(dir.File("kefu.toml"), {});
  ASSERT_OK_RESULT(c);
  ASSERT_EQ(c->http_tools.size(), 2u);
  const HttpToolSettings& cancel = c->http_tools[0];
  EXPECT_EQ(cancel.name, "cancel_order");
  EXPECT_EQ(cancel.method, "POST");
  EXPECT_EQ(cancel.timeout_ms, 3000);
  EXPECT_EQ(cancel.code_field, "/code");
  EXPECT_TRUE(cancel.headers.empty());
  const HttpToolSettings& get = c->http_tools[1];
  EXPECT_EQ(get.name, "get_order");
  EXPECT_EQ(get.url, "http://127.0.0.1:9000/orders/{order_id}");
  EXPECT_EQ(get.method, "GET");
  EXPECT_EQ(get.headers.at("Authorization"), "Bearer ${SHOP_API_KEY}");  // expanded by the tool
  EXPECT_EQ(get.timeout_ms, 1500);
  EXPECT_EQ(get.code_field, "/result");
  EXPECT_EQ(get.map, (std::map<std::string, std::string>{{"order", "/data"}}));
}

TEST(ConfigTest, BadToolTablesNameTheKey) {
  testing::TempDir dir;
  auto load = [&](const std::string& text) {
    std::ofstream(dir.File("t.toml")) << text;
    return LoadConfig(dir.File("t.toml"), {});
  };
  const std::pair<std::string, std::string> cases[] = {
      {"[tools.a]\nurl = \"http://x/\"\nretries = 2\n", "tools.a.retries"},
      {"[tools.a]\nurl = \"http://x/\"\ntimeout_ms = \"fast\"\n", "tools.a.timeout_ms"},
      {"[tools.a]\nurl = \"http://x/\"\ntimeout_ms = 0\n", "tools.a.timeout_ms"},
      {"[tools.a]\nurl = 7\n", "tools.a.url"},
      {"[tools.a]\nurl = \"http://x/\"\nheaders = { X-Key = 1 }\n", "tools.a.headers.X-Key"},
      {"[tools.a]\nurl = \"http://x/\"\nmap = \"/data\"\n", "tools.a.map"},
      {"[tools.a]\nurl = \"http://x/\"\nbody = \"form\"\n", "tools.a.body"},
      {"[tools.a]\nmethod = \"GET\"\n", "tools.a.url"},
      {"tools = 3\n", "'tools'"},
      {"[tools]\na = 3\n", "tools.a"},
  };
  for (const auto& [text, key] : cases) {
    Result<Config> c = load(text);
    EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument) << text;
    EXPECT_NE(c.status().message().find(key), std::string::npos) << c.status().message();
    EXPECT_NE(c.status().message().find("t.toml"), std::string::npos) << c.status().message();
  }
}

TEST(ConfigTest, ExampleFileAndItsCommentedToolTableLoad) {
  const std::string example = KEFU_SOURCE_DIR "/kefu.example.toml";
  ASSERT_OK_RESULT(LoadConfig(example, {}));
  // Uncomment the [tools.get_order] example and load it on its own.
  std::ifstream in(example);
  testing::TempDir dir;
  std::ofstream out(dir.File("tools.toml"));
  bool in_tools = false;
  for (std::string line; std::getline(in, line);) {
    in_tools = in_tools || line.rfind("# [tools.", 0) == 0;
    if (in_tools && line.rfind("# ", 0) == 0) {
      out << line.substr(2) << "\n";
    }
  }
  out.close();
  Result<Config> c = LoadConfig(dir.File("tools.toml"), {});
  ASSERT_OK_RESULT(c);
  ASSERT_EQ(c->http_tools.size(), 1u);
  EXPECT_EQ(c->http_tools[0].name, "get_order");
  EXPECT_EQ(c->http_tools[0].map.at("order"), "/data");
}

TEST(FileUtilTest, Fnv1aMatchesTheReferenceValues) {
  EXPECT_EQ(Fnv1a64(""), kFnv1aOffsetBasis);
  EXPECT_EQ(Fnv1a64("a"), 0xaf63dc4c8601ec8cull);
  EXPECT_EQ(Fnv1a64("foobar"), 0x85944171f73967e8ull);
  EXPECT_NE(Fnv1a64("a", 1), Fnv1a64("a"));
}

TEST(FileUtilTest, WriteFileAtomicallyReplacesTheFileOrFailsClearly) {
  testing::TempDir dir;
  ASSERT_OK(WriteFileAtomically(dir.File("m.bin"), "one"));
  ASSERT_OK(WriteFileAtomically(dir.File("m.bin"), std::string("two\0three", 9)));
  std::ifstream in(dir.File("m.bin"), std::ios::binary);
  const std::string got((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(got, std::string("two\0three", 9));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()),
                          std::filesystem::directory_iterator()),
            1);  // no temporary file left behind
  Status s = WriteFileAtomically(dir.File("missing/m.bin"), "x");
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_NE(s.message().find("missing"), std::string::npos);
}

TEST(ConfigTest, KnowledgeBaseKeysTakeNumbersAndCheckTheirRange) {
  testing::TempDir dir;
  std::ofstream(dir.File("kefu.toml")) << "[kb]\nanswer_threshold = 0.5\nfaq_threshold = 1\n"
                                       << "vector_weight = 0.25\nadmin_key = \"k\"\n";
  Result<Config> c = LoadConfig(dir.File("kefu.toml"), {{"KEFU_KB_RERANK_WEIGHT", "3"}});
  ASSERT_OK_RESULT(c);
  EXPECT_DOUBLE_EQ(c->kb.answer_threshold, 0.5);
  EXPECT_DOUBLE_EQ(c->kb.faq_threshold, 1.0);
  EXPECT_DOUBLE_EQ(c->kb.vector_weight, 0.25);
  EXPECT_DOUBLE_EQ(c->kb.rerank_weight, 3.0);
  EXPECT_EQ(c->kb.admin_key, "k");
  Result<Config> high = LoadConfig("", {{"KEFU_KB_ANSWER_THRESHOLD", "1.5"}});
  EXPECT_NE(high.status().message().find("kb.answer_threshold"), std::string::npos);
  Result<Config> text = LoadConfig("", {{"KEFU_KB_VECTOR_WEIGHT", "lots"}});
  EXPECT_NE(text.status().message().find("KEFU_KB_VECTOR_WEIGHT"), std::string::npos);
  Result<Config> negative = LoadConfig("", {{"KEFU_KB_LEXICAL_WEIGHT", "-1"}});
  EXPECT_EQ(negative.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(LoadConfig("", {})->kb.import_threads, 0);  // one per core
  EXPECT_EQ(LoadConfig("", {{"KEFU_KB_IMPORT_THREADS", "2"}})->kb.import_threads, 2);
  Result<Config> threads = LoadConfig("", {{"KEFU_KB_IMPORT_THREADS", "-1"}});
  EXPECT_NE(threads.status().message().find("kb.import_threads"), std::string::npos);
}

TEST(ThreadNameTest, NamesTheCallingThreadAndCutsLongNames) {
  std::string short_name, long_name;
  std::thread t([&] {
    SetThreadName("kefu-worker");
    short_name = ThreadName();
    SetThreadName("kefu-a-name-well-over-fifteen-bytes");
    long_name = ThreadName();
  });
  t.join();
  EXPECT_EQ(short_name, "kefu-worker");
  EXPECT_EQ(long_name, "kefu-a-name-wel");
  EXPECT_EQ(long_name.size(), kMaxThreadNameBytes);
}

}  // namespace
}  // namespace kefu

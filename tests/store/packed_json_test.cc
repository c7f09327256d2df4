#include "store/sqlite/packed_json.h"

#include <random>
#include <string>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "test_util.h"

namespace kefu::store::sqlite {
namespace {

// An order-status reply's trace as the engine writes it, with values of its own (none of them
// in the dictionary).
const std::string kOrderTrace =
    R"({"trace_id":"t-5b0c1e9d2a7f4410","lang":"zh","normalized_lang":"zh","intent":"order_status",)"
    R"("confidence":0.9981,"entities":[{"type":"order_id","value":"2026113098765432","start":5,)"
    R"("end":21}],"action":"flow:order_status/done","flow":"","awaiting":"","slots":{},)"
    R"("tool_calls":[{"tool":"get_order","args":{"order_id":"2026113098765432"},"code":"ok",)"
    R"("us":11}],"verified":true,"sources":[],"sentiment":{"polarity":"negative","score":-0.41,)"
    R"("emotion":"anxiety","intensity":0.37,"aspects":["logistics"],"threat":false,"matched":)"
    R"(["怎么还没到"],"emotions":{"anger":0.12,"anxiety":0.61,"disappointment":0.08,)"
    R"("satisfaction":0.0,"neutral":0.19}},"mood":{"mood":-0.213,"emotion":"anxiety",)"
    R"("intensity":0.37,"peak_anger":0.12,"negative_turns":1,"threat":false},"llm":{"reason":)"
    R"("no model configured","used":false},"stages":[{"name":"text.normalize","us":9,"ok":true},)"
    R"({"name":"sentiment.analyze","us":27,"ok":true},{"name":"nlu.understand","us":71,"ok":true},)"
    R"({"name":"store.load","us":44,"ok":true},{"name":"nlu.assist","us":0,"ok":true},)"
    R"({"name":"dialog.track","us":1,"ok":true},{"name":"dialog.step","us":52,"ok":true},)"
    R"({"name":"reply.phrase","us":0,"ok":true}]})";

TEST(PackedJsonTest, ATraceIsPackedToAFractionAndUnpackedAsItWas) {
  ASSERT_GE(PackVersion(), 1);
  std::optional<std::string> packed = PackJson(kOrderTrace);
  ASSERT_TRUE(packed.has_value());
  EXPECT_EQ(static_cast<unsigned char>((*packed)[0]), PackVersion());
  // The dictionary is what makes it small: zstd alone halves a trace of this size.
  EXPECT_LT(packed->size(), kOrderTrace.size() / 4) << packed->size();
  Result<std::string> json = UnpackJson(*packed);
  ASSERT_OK_RESULT(json);
  EXPECT_EQ(*json, kOrderTrace);
}

TEST(PackedJsonTest, ShortValuesStayText) {
  EXPECT_FALSE(PackJson("{}").has_value());
  EXPECT_FALSE(PackJson(std::string(kPackMinBytes - 1, 'x')).has_value());
  EXPECT_TRUE(PackJson(std::string(kPackMinBytes, 'x')).has_value());
}

// Whatever the bytes (not only JSON, not only UTF-8), what comes out is what went in.
TEST(PackedJsonTest, AnyBytesRoundTrip) {
  std::mt19937 rng(7);
  for (size_t size : {kPackMinBytes, size_t{257}, size_t{1000}, size_t{4096}, size_t{70'000}}) {
    for (int kind = 0; kind < 3; ++kind) {
      std::string s(size, '\0');
      for (char& c : s) {
        const unsigned r = rng();
        c = kind == 0 ? static_cast<char>(r) : kind == 1 ? "{}\":,ab"[r % 7] : kOrderTrace[r % 97];
      }
      std::optional<std::string> packed = PackJson(s);
      ASSERT_TRUE(packed.has_value()) << size;
      Result<std::string> back = UnpackJson(*packed);
      ASSERT_OK_RESULT(back);
      EXPECT_EQ(*back, s) << size << " " << kind;
    }
  }
}

TEST(PackedJsonTest, DamagedValuesAreErrorsNotCrashes) {
  const std::string packed = *PackJson(kOrderTrace);
  EXPECT_FALSE(UnpackJson("").ok());
  EXPECT_FALSE(UnpackJson(std::string(1, '\x01')).ok());
  // A dictionary this binary does not have (written by a newer kefu).
  std::string other = packed;
  other[0] = static_cast<char>(200);
  EXPECT_NE(UnpackJson(other).status().message().find("no dictionary 200"), std::string::npos);
  // Cut short, or with any one byte changed: an error, or (a changed literal byte) other text of
  // the same length; never a crash or a read past the end.
  for (size_t n = 1; n < packed.size(); ++n) {
    EXPECT_FALSE(UnpackJson(packed.substr(0, n)).ok()) << n;
  }
  for (size_t i = 1; i < packed.size(); ++i) {
    std::string bad = packed;
    bad[i] = static_cast<char>(bad[i] ^ 0x5A);
    Result<std::string> r = UnpackJson(bad);
    if (r.ok()) {
      EXPECT_EQ(r->size(), kOrderTrace.size()) << i;
    }
  }
  // A frame that claims more than the limit is refused before anything is allocated.
  std::string huge = {'\x01', '\x28', '\xB5', '\x2F', '\xFD', '\xE0'};  // magic, 8-byte size
  const uint64_t claimed = uint64_t{kMaxUnpackedBytes} + 1;
  for (int b = 0; b < 8; ++b) {
    huge.push_back(static_cast<char>((claimed >> (8 * b)) & 0xFF));
  }
  huge += std::string(16, '\0');
  EXPECT_NE(UnpackJson(huge).status().message().find("limit"), std::string::npos);
}

// SQL reads stored values through kefu_json() and writes them through kefu_pack().
TEST(PackedJsonTest, SqlFunctionsPackAndReadBack) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(":memory:", &db), SQLITE_OK);
  ASSERT_OK(RegisterPackedJsonFunctions(db));
  auto one = [db](const std::string& sql, const std::string& arg) {
    sqlite3_stmt* s = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr), SQLITE_OK) << sql;
    sqlite3_bind_text(s, 1, arg.data(), static_cast<int>(arg.size()), SQLITE_STATIC);
    EXPECT_EQ(sqlite3_step(s), SQLITE_ROW) << sql;
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
    std::string out = text == nullptr ? "NULL" : std::string(text, sqlite3_column_bytes(s, 0));
    sqlite3_finalize(s);
    return out;
  };
  EXPECT_EQ(one("SELECT typeof(kefu_pack(?1))", kOrderTrace), "blob");
  EXPECT_EQ(one("SELECT typeof(kefu_pack(?1))", "{\"a\":1}"), "text");
  EXPECT_EQ(one("SELECT kefu_json(kefu_pack(?1))", kOrderTrace), kOrderTrace);
  EXPECT_EQ(one("SELECT json_extract(kefu_json(kefu_pack(?1)), '$.stages[2].name')", kOrderTrace),
            "nlu.understand");
  EXPECT_EQ(one("SELECT kefu_json(?1)", "{\"a\":1}"), "{\"a\":1}");
  EXPECT_EQ(one("SELECT kefu_json(NULL) IS NULL AND kefu_pack(NULL) IS NULL", ""), "1");
  EXPECT_EQ(one("SELECT kefu_json(X'01FFFF') IS NULL", ""), "1");
  EXPECT_EQ(one("SELECT kefu_json(CAST(?1 AS BLOB)) IS NULL", "not packed"), "1");
  sqlite3_close(db);
}

}  // namespace
}  // namespace kefu::store::sqlite

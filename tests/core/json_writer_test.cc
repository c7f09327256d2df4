#include "core/json_writer.h"

#include <charconv>
#include <cmath>
#include <limits>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/utf8.h"

namespace kefu {
namespace {

TEST(JsonWriterTest, WritesNestedDocumentsThatParse) {
  JsonWriter w;
  w.BeginObject();
  w.Key("lang").String("zh");
  w.Key("turns").Int(-3);
  w.Key("ok").Bool(true);
  w.Key("none").Null();
  w.Key("orders").StringArray({"2026112500000001", "A-7"});
  w.Key("empty").BeginArray().EndArray();
  w.Key("nested").BeginArray().BeginObject().Key("k").Int(1).EndObject().BeginObject().EndObject();
  w.EndArray();
  w.Key("raw").Raw(R"({"a":[1,2]})");
  w.EndObject();
  const std::string out = std::move(w).Take();
  EXPECT_EQ(out,
            R"({"lang":"zh","turns":-3,"ok":true,"none":null,"orders":["2026112500000001","A-7"],)"
            R"("empty":[],"nested":[{"k":1},{}],"raw":{"a":[1,2]}})");
  const nlohmann::json j = nlohmann::json::parse(out);
  EXPECT_EQ(j["orders"][1], "A-7");
  EXPECT_EQ(j["raw"]["a"][1], 2);
}

TEST(JsonWriterTest, EscapesWhatJsonRequiresAndKeepsUtf8) {
  const std::string text = "他说：\"退款\"\\ 1\n2\t\x01 😡 é";
  JsonWriter w;
  w.BeginArray().String(text).EndArray();
  const std::string out = std::move(w).Take();
  EXPECT_NE(out.find("\\u0001"), std::string::npos);
  EXPECT_NE(out.find("退款"), std::string::npos);  // not \u-escaped
  EXPECT_EQ(nlohmann::json::parse(out)[0], text);
  // The same text as nlohmann writes it, so either side reads the other's output.
  EXPECT_EQ(out, nlohmann::json::array({text}).dump());
}

// Keys spelled in the code take a copying path; those that need escaping, are not ASCII, or are
// buffers rather than literals must come out exactly as through the general one.
TEST(JsonWriterTest, LiteralKeysComeOutAsTheGeneralPathWritesThem) {
  char buffer[16] = "short";                  // NUL-padded: the key is five bytes, not fifteen
  const char full[4] = {'a', 'b', 'c', 'd'};  // no NUL at all
  JsonWriter w;
  w.BeginObject();
  w.Key("plain").Int(1);
  w.Key("quo\"te").Int(2);
  w.Key("back\\slash").Int(3);
  w.Key("名字").Int(4);
  w.Key("tab\there").Int(5);
  w.Key("").Int(6);
  w.Key(buffer).Int(7);
  w.Key(full).Int(8);
  w.EndObject();
  const std::string out = std::move(w).Take();
  const nlohmann::json expected = {{"plain", 1}, {"quo\"te", 2},   {"back\\slash", 3},
                                   {"名字", 4},  {"tab\there", 5}, {"", 6},
                                   {"short", 7}, {"abcd", 8}};
  EXPECT_EQ(nlohmann::json::parse(out), expected);
  EXPECT_NE(out.find(R"("quo\"te":2)"), std::string::npos);
  EXPECT_NE(out.find(R"("名字":4)"), std::string::npos);
  EXPECT_NE(out.find(R"("short":7)"), std::string::npos);
}

TEST(JsonWriterTest, ReplacesInvalidUtf8SoTheOutputAlwaysParses) {
  JsonWriter w;
  w.BeginArray().String("ab\xff\xc3(cd\xe4\xbd").String("\xed\xa0\x80").EndArray();
  const nlohmann::json j = nlohmann::json::parse(std::move(w).Take());
  EXPECT_EQ(j[0], "ab\xEF\xBF\xBD\xEF\xBF\xBD(cd\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(j[1], "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // a surrogate is not UTF-8
}

// Every three-byte sequence led by E0..EF (CJK lives there), with continuation bytes at and
// around their limits: kept exactly when valid UTF-8, replaced (and still parseable) when not.
TEST(JsonWriterTest, ThreeByteSequencesAreKeptExactlyWhenValid) {
  const unsigned char seconds[] = {0x00, 0x41, 0x7F, 0x80, 0x9F, 0xA0, 0xBF, 0xC0, 0xFF};
  int kept = 0;
  for (unsigned lead = 0xE0; lead <= 0xEF; ++lead) {
    for (unsigned char b1 : seconds) {
      for (unsigned char b2 : seconds) {
        std::string seq = {static_cast<char>(lead), static_cast<char>(b1), static_cast<char>(b2)};
        if (b1 == 0 || b2 == 0) {
          seq.resize(b1 == 0 ? 1 : 2);  // truncated at the end of the string
        }
        JsonWriter w;
        w.String(seq);
        const std::string out = std::move(w).Take();
        if (utf8::IsValid(seq)) {
          EXPECT_EQ(out, "\"" + seq + "\"") << lead << " " << int{b1} << " " << int{b2};
          ++kept;
        } else {
          EXPECT_NE(out.find("\xEF\xBF\xBD"), std::string::npos);
          EXPECT_TRUE(nlohmann::json::accept(out)) << lead << " " << int{b1} << " " << int{b2};
        }
      }
    }
  }
  EXPECT_GT(kept, 16);
  // A CJK run beside ASCII, a four-byte emoji and a two-byte letter, written as nlohmann does.
  const std::string mixed = "订单order 2026😡é到哪了";
  JsonWriter w;
  w.String(mixed);
  EXPECT_EQ(std::move(w).Take(), nlohmann::json(mixed).dump());
}

TEST(JsonWriterTest, DoublesRoundTripAndStayFloatingPoint) {
  const double values[] = {
      0.0, 1.0, -2.0, 0.1, 0.9993278288225506, -0.006144333194554218, 1e-05, 1.5e300, 12345678.0};
  for (double v : values) {
    JsonWriter w;
    w.BeginArray().Double(v).EndArray();
    const std::string out = std::move(w).Take();
    const nlohmann::json j = nlohmann::json::parse(out);
    EXPECT_TRUE(j[0].is_number_float()) << out;
    EXPECT_EQ(j[0].get<double>(), v) << out;
  }
  JsonWriter w;
  w.BeginArray()
      .Double(std::numeric_limits<double>::quiet_NaN())
      .Double(std::numeric_limits<double>::infinity())
      .EndArray();
  EXPECT_EQ(std::move(w).Take(), "[null,null]");
}

// Thousandths below 1000 take a shortcut; its text must be to_chars' own (plus ".0" where that
// has neither '.' nor exponent), for every such value and for values just beside them.
TEST(JsonWriterTest, ThousandthsAreWrittenExactlyAsTheGeneralPath) {
  auto reference = [](double v) {
    char buf[64];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    std::string text(buf, end);
    if (text.find_first_of(".e") == std::string::npos) {
      text += ".0";
    }
    return "[" + text + "]";
  };
  auto written = [](double v) {
    JsonWriter w;
    w.BeginArray().Double(v).EndArray();
    return std::move(w).Take();
  };
  int mismatches = 0;
  for (int64_t k = -1'000'001; k <= 1'000'001 && mismatches < 5; ++k) {
    const double v = static_cast<double>(k) / 1000;
    for (double x : {v, std::nextafter(v, 0.0), std::nextafter(v, 2000.0)}) {
      if (written(x) != reference(x)) {
        ADD_FAILURE() << reference(x) << " written as " << written(x);
        ++mismatches;
      }
    }
  }
  EXPECT_EQ(written(0.001), "[0.001]");
  EXPECT_EQ(written(-12.5), "[-12.5]");
  EXPECT_EQ(written(7.0), "[7.0]");
  EXPECT_EQ(written(-0.0), "[-0.0]");
}

// Plain ASCII is scanned eight bytes at a time: a byte that needs escaping must be found at every
// offset of such a block, in strings shorter and longer than one block.
TEST(JsonWriterTest, EscapesAreFoundAtEveryOffsetOfTheEightByteScan) {
  const std::string specials[] = {
      "\"", "\\", "\n", "\x01", "\x1f", "\x7f", "\xc3\xa9", "退", "\xf0\x9f\x98\xa1"};
  for (size_t length : {1u, 2u, 3u, 5u, 6u, 7u, 8u, 9u, 12u, 15u, 16u, 23u}) {
    for (size_t at = 0; at < length; ++at) {
      for (const std::string& special : specials) {
        std::string text(length, 'a');
        text.replace(at, 1, special);
        JsonWriter w;
        w.String(text);
        EXPECT_EQ(std::move(w).Take(), nlohmann::json(text).dump())
            << "length " << length << " at " << at << " special " << int{special[0]};
      }
      std::string invalid(length, 'b');
      invalid[at] = '\x80';  // a continuation byte with no lead
      JsonWriter w;
      w.String(invalid);
      const std::string out = std::move(w).Take();
      EXPECT_EQ(nlohmann::json::parse(out).get<std::string>(),
                invalid.substr(0, at) + "\xEF\xBF\xBD" + invalid.substr(at + 1));
    }
  }
}

// The writer keeps room beyond what it has written: str() and Take() give exactly the document,
// also mid-way, and writing goes on after str().
TEST(JsonWriterTest, DocumentsLargerThanTheFirstBufferAndReadMidWay) {
  JsonWriter w;
  w.BeginObject().Key("a").Int(std::numeric_limits<int64_t>::min());
  EXPECT_EQ(w.str(), R"({"a":-9223372036854775808)");
  w.Key("list").BeginArray();
  nlohmann::json expected = nlohmann::json::array();
  for (int i = 0; i < 2000; ++i) {
    const std::string item = "第" + std::to_string(i) + "条 item";
    w.String(item);
    expected.push_back(item);
  }
  w.EndArray().EndObject();
  const std::string out = w.str();
  EXPECT_EQ(out, std::move(w).Take());
  const nlohmann::json j = nlohmann::json::parse(out);
  EXPECT_EQ(j["list"], expected);
  EXPECT_EQ(j["a"].get<int64_t>(), std::numeric_limits<int64_t>::min());

  JsonWriter empty;  // an empty view (null data) is an empty string, not a crash
  empty.BeginArray().String(std::string_view()).Raw("[]").EndArray();
  EXPECT_EQ(std::move(empty).Take(), R"(["",[]])");
}

// Reserve only sizes the buffer: the document is the same whether the reserve was too small,
// exact or generous, first or mid-way (after a read of it).
TEST(JsonWriterTest, ReserveChangesNothingButTheBuffer) {
  auto write = [](size_t first, size_t later) {
    JsonWriter w;
    w.Reserve(first);
    w.BeginObject().Key("回复").String("您的订单已发货");
    EXPECT_EQ(w.str(), R"({"回复":"您的订单已发货")");
    w.Reserve(later);
    w.Key("items").BeginArray();
    for (int i = 0; i < 300; ++i) {
      w.Int(i).Double(i / 4.0);
    }
    w.EndArray().EndObject();
    return std::move(w).Take();
  };
  const std::string plain = write(0, 0);
  EXPECT_TRUE(nlohmann::json::accept(plain));
  for (auto [first, later] : {std::pair<size_t, size_t>{1, 1}, {16, 4096}, {1 << 16, 0}}) {
    EXPECT_EQ(write(first, later), plain) << first << " / " << later;
  }
}

}  // namespace
}  // namespace kefu

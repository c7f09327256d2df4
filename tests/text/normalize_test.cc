#include "text/normalize.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <thread>

#include <gtest/gtest.h>

#include "core/utf8.h"
#include "test_util.h"
#include "text/text_pipeline.h"

namespace kefu::text {
namespace {

// The original text of [start, end) in code points.
std::string OriginalSlice(const NormalizedText& n, CodePointSpan span) {
  const std::u32string cps = utf8::Decode(n.original);
  return utf8::Encode(std::u32string_view(cps).substr(span.start, span.end - span.start));
}

TEST(NormalizeTest, FullWidthBecomesHalfWidthAndLatinIsLowered) {
  NormalizedText n = Normalize("我的订单２０２６１１０３ＡＢ到哪了？");
  EXPECT_EQ(n.text, "我的订单20261103ab到哪了?");
  EXPECT_EQ(n.lang, Language::kZh);
}

TEST(NormalizeTest, CollapsesWhitespaceIncludingIdeographicSpace) {
  EXPECT_EQ(Normalize("  Where\tis　my   ORDER?\n").text, "where is my order?");
}

TEST(NormalizeTest, NoBreakSpaceAndLineBreaksBecomeOneSpace) {
  EXPECT_EQ(Normalize("退款\u00A0\r\n\u2028进度").text, "退款 进度");
}

TEST(NormalizeTest, DetectsLanguageByScript) {
  EXPECT_EQ(Normalize("where is my order").lang, Language::kEn);
  EXPECT_EQ(Normalize("订单 2026 到哪了").lang, Language::kZh);
  EXPECT_EQ(Normalize("5678").lang, Language::kUnknown);
}

TEST(NormalizeTest, NfkcExpandsLigatures) {
  EXPECT_EQ(Normalize("ﬁnd the ﬂyer").text, "find the flyer");
}

TEST(NormalizeTest, NfkcFoldsCircledDigitsAndEnclosedForms) {
  EXPECT_EQ(Normalize("第①件和第⑫件").text, "第1件和第12件");
  EXPECT_EQ(Normalize("㈱").text, "(株)");
}

TEST(NormalizeTest, NfkcFoldsHalfWidthKatakana) {
  EXPECT_EQ(Normalize("ｱｲｳ").text, "アイウ");
}

TEST(NormalizeTest, FullWidthPunctuationBecomesAscii) {
  EXPECT_EQ(Normalize("好，谢谢！ok？").text, "好,谢谢!ok?");
  EXPECT_EQ(Normalize("好的。").text, "好的。");  // the ideographic full stop has no ASCII form
}

TEST(NormalizeTest, CombiningSequenceIsComposed) {
  NormalizedText n = Normalize("Cafe\u0301");
  EXPECT_EQ(n.text, "caf\u00E9");
  EXPECT_EQ(n.source_index, (std::vector<uint32_t>{0, 1, 2, 3}));
  EXPECT_EQ(ToOriginalSpan(n, 3, 4), (CodePointSpan{3, 5}));
}

TEST(NormalizeTest, NonAsciiLettersAreCaseFolded) {
  EXPECT_EQ(Normalize("ÉCOLE ΑΒΓ").text, "école αβγ");
}

TEST(NormalizeTest, TraditionalBecomesSimplified) {
  NormalizedText n = Normalize("這雙鞋子質量太差了我要退貨退款");
  EXPECT_EQ(n.text, "这双鞋子质量太差了我要退货退款");
  EXPECT_EQ(n.lang, Language::kZh);
}

TEST(NormalizeTest, TraditionalPhrasesConvertInContext) {
  EXPECT_EQ(Normalize("頭髮乾燥").text, "头发干燥");
  EXPECT_EQ(Normalize("乾隆").text, "乾隆");
}

TEST(NormalizeTest, TraditionalWithFullWidthAndEnglish) {
  EXPECT_EQ(Normalize("請問ＯＲＤＥＲ什麼時候發貨？").text, "请问order什么时候发货?");
}

// Our t2s tables must convert exactly as OpenCC's own converter does.
std::string OurT2s(std::string_view utf8_text) {
  std::u32string out;
  std::vector<uint32_t> from;
  internal::T2sAppend(utf8::Decode(utf8_text), out, from);
  EXPECT_EQ(out.size(), from.size());
  return utf8::Encode(out);
}

std::string OpenCcT2s(std::string_view utf8_text) {
  std::string out;
  EXPECT_TRUE(internal::T2sReference(utf8_text, out));
  return out;
}

TEST(NormalizeTest, T2sMatchesOpenCcOnEveryIdeograph) {
  std::u32string all;
  for (char32_t cp = 0x3400; cp <= 0x9FFF; ++cp) {
    all.push_back(cp);
    all.push_back(U'\n');
  }
  const std::string text = utf8::Encode(all);
  EXPECT_EQ(OurT2s(text), OpenCcT2s(text));
}

TEST(NormalizeTest, T2sMatchesOpenCcOnPhrases) {
  for (const char* s : {"乾隆皇帝很乾燥", "頭髮後來瞭解", "著作看著", "台灣臺灣裡面於是",
                        "這雙鞋子質量太差了我要退貨退款，請問訂單什麼時候發貨？",
                        "我們的軟體和滑鼠都沒問題", "一隻隻瞭望塔上的鐘錶", "乾乾淨淨"}) {
    EXPECT_EQ(OurT2s(s), OpenCcT2s(s)) << s;
  }
}

// Normalize skips t2s for text with no MaybeTraditional() character; that must never skip a
// change OpenCC would make. Every message of the project's intent data (zh-Hans and zh-Hant, about
// 17,000) is checked, and random text over every ideograph that is not a trigger, including the
// everyday characters that sit in rewritten phrases (到, 了, 么, ...).
TEST(NormalizeTest, TextWithoutTriggersIsLeftAsItIsByOpenCc) {
  std::ifstream in(testing::SourceDataDir() + "/nlu/intents.tsv");
  ASSERT_TRUE(in.good());
  std::string line;
  size_t plain = 0;
  size_t rows = 0;
  while (std::getline(in, line)) {
    const std::string text = line.substr(0, line.find('\t'));
    const std::u32string cps = utf8::Decode(text);
    ++rows;
    if (std::none_of(cps.begin(), cps.end(), internal::MaybeTraditional)) {
      ++plain;
      ASSERT_EQ(OpenCcT2s(text), text) << "row " << rows;
    }
  }
  EXPECT_GT(plain, rows / 2);  // most rows take the fast path
  std::u32string pool;
  for (char32_t cp = 0x4E00; cp <= 0x9FFF; ++cp) {
    if (!internal::MaybeTraditional(cp)) {
      pool.push_back(cp);
    }
  }
  std::mt19937 rng(11);
  std::uniform_int_distribution<size_t> pick(0, pool.size() - 1);
  for (int iter = 0; iter < 2000; ++iter) {
    std::u32string s;
    for (int k = 0; k < 16; ++k) {
      s.push_back(pool[pick(rng)]);
    }
    const std::string text = utf8::Encode(s);
    ASSERT_EQ(OpenCcT2s(text), text);
  }
}

// A phrase that rewrites one of its characters triggers on that character, not on the rest.
TEST(NormalizeTest, OnlyTheCharactersAPhraseChangesTrigger) {
  EXPECT_FALSE(internal::MaybeTraditional(U'到'));
  EXPECT_FALSE(internal::MaybeTraditional(U'了'));
  EXPECT_TRUE(internal::MaybeTraditional(U'髮'));
  EXPECT_TRUE(internal::MaybeTraditional(U'瞭'));
  EXPECT_EQ(Normalize("我的订单 2026112464518311 到哪了？").text,
            "我的订单 2026112464518311 到哪了?");
  EXPECT_EQ(Normalize("頭髮後來瞭解").text, "头发后来了解");
}

TEST(NormalizeTest, T2sMatchesOpenCcOnRandomTraditionalText) {
  std::u32string pool;
  for (char32_t cp = 0x4E00; cp <= 0x9FFF; ++cp) {
    if (internal::MaybeTraditional(cp)) {
      pool.push_back(cp);
    }
  }
  ASSERT_GT(pool.size(), 1000u);
  std::mt19937 rng(7);
  std::uniform_int_distribution<size_t> pick(0, pool.size() - 1);
  std::uniform_int_distribution<int> coin(0, 3);
  for (int iter = 0; iter < 300; ++iter) {
    std::u32string s;
    for (int k = 0; k < 24; ++k) {
      s.push_back(coin(rng) == 0 ? U'的' : pool[pick(rng)]);
    }
    const std::string text = utf8::Encode(s);
    ASSERT_EQ(OurT2s(text), OpenCcT2s(text)) << text;
  }
}

TEST(NormalizeTest, SimplifiedTextIsUnchanged) {
  const std::string s = "我想查询一下我的订单什么时候发货";
  EXPECT_EQ(Normalize(s).text, s);
}

TEST(NormalizeTest, SourceIndexIsIdentityForPlainText) {
  NormalizedText n = Normalize("退款abc");
  EXPECT_EQ(n.source_index, (std::vector<uint32_t>{0, 1, 2, 3, 4}));
}

TEST(NormalizeTest, SourceIndexSkipsTrimmedAndCollapsedWhitespace) {
  NormalizedText n = Normalize("  a \t b ");
  EXPECT_EQ(n.text, "a b");
  EXPECT_EQ(n.source_index, (std::vector<uint32_t>{2, 3, 6}));
}

TEST(NormalizeTest, SourceIndexSkipsRemovedControls) {
  NormalizedText n = Normalize("a\x01\u200Bb");
  EXPECT_EQ(n.text, "ab");
  EXPECT_EQ(n.source_index, (std::vector<uint32_t>{0, 3}));
}

TEST(NormalizeTest, SourceIndexMapsExpansionsToTheirSource) {
  NormalizedText n = Normalize("xﬁ①");
  EXPECT_EQ(n.text, "xfi1");
  EXPECT_EQ(n.source_index, (std::vector<uint32_t>{0, 1, 1, 2}));
}

TEST(NormalizeTest, SourceIndexSurvivesTraditionalConversion) {
  NormalizedText n = Normalize("Ａ 退貨");
  EXPECT_EQ(n.text, "a 退货");
  EXPECT_EQ(n.source_index, (std::vector<uint32_t>{0, 1, 2, 3}));
}

TEST(NormalizeTest, ToOriginalSpanMapsEntityBackToWhatWasTyped) {
  NormalizedText n = Normalize("我的訂單：  ２０２６１１０３ＡＢ到哪了");
  const std::u32string text = utf8::Decode(n.text);
  const size_t pos = text.find(U"20261103");
  ASSERT_NE(pos, std::u32string::npos);
  const CodePointSpan span =
      ToOriginalSpan(n, static_cast<uint32_t>(pos), static_cast<uint32_t>(pos + 8));
  EXPECT_EQ(OriginalSlice(n, span), "２０２６１１０３");
  EXPECT_EQ(OriginalSlice(n, ToOriginalSpan(n, 2, 4)), "訂單");
}

TEST(NormalizeTest, ToOriginalSpanOfLigatureCoversTheLigature) {
  NormalizedText n = Normalize("aﬁb");
  EXPECT_EQ(ToOriginalSpan(n, 1, 2), (CodePointSpan{1, 2}));  // "f" alone came from "ﬁ"
  EXPECT_EQ(ToOriginalSpan(n, 0, 4), (CodePointSpan{0, 3}));
}

TEST(NormalizeTest, OriginalIsKeptByteForByte) {
  const std::string raw = "  這雙ＡＢ\t👍 ";
  EXPECT_EQ(Normalize(raw).original, raw);
}

TEST(NormalizeTest, EmojiAreKept) {
  EXPECT_EQ(Normalize("好评👍🏻❤️").text, "好评👍🏻❤️");
  EXPECT_EQ(Normalize("👨‍👩‍👧 🇨🇳 1️⃣").text,
            "👨‍👩‍👧 🇨🇳 1️⃣");
}

TEST(NormalizeTest, EmojiWithCompatibilityMappingsAreNotDecomposed) {
  // NFKC would turn 🈚 into 無 (then 无) and ™ into "tm".
  EXPECT_EQ(Normalize("🈚™Ⓜ").text, "🈚™Ⓜ");
}

TEST(NormalizeTest, OnlyEmojiIsUnknownLanguage) {
  NormalizedText n = Normalize("😀😀🎉");
  EXPECT_EQ(n.text, "😀😀🎉");
  EXPECT_EQ(n.lang, Language::kUnknown);
}

TEST(NormalizeTest, EmptyStringGivesEmptyResult) {
  NormalizedText n = Normalize("");
  EXPECT_EQ(n.text, "");
  EXPECT_EQ(n.lang, Language::kUnknown);
  EXPECT_TRUE(n.source_index.empty());
  EXPECT_EQ(ToOriginalSpan(n, 0, 0), (CodePointSpan{0, 0}));
}

TEST(NormalizeTest, WhitespaceOnlyGivesEmptyText) {
  EXPECT_EQ(Normalize(" \t\u3000\n ").text, "");
}

TEST(NormalizeTest, OnlyDigitsIsUnknownLanguage) {
  NormalizedText n = Normalize("２０２６１１２４６４５１８３１１");
  EXPECT_EQ(n.text, "2026112464518311");
  EXPECT_EQ(n.lang, Language::kUnknown);
}

TEST(NormalizeTest, ControlAndInvisibleCharactersAreRemoved) {
  EXPECT_EQ(Normalize("退\x01款\x7F\u200B\uFEFF\u202E进度").text, "退款进度");
}

TEST(NormalizeTest, ChineseWithEnglishWordIsMixed) {
  EXPECT_EQ(Normalize("我的order到哪了").lang, Language::kMixed);
  EXPECT_EQ(Normalize("refund什么时候到账").lang, Language::kMixed);
  EXPECT_EQ(Normalize("iPhone 订单").lang, Language::kMixed);
}

TEST(NormalizeTest, ChineseWithShortCodeStaysChinese) {
  EXPECT_EQ(Normalize("订单号ab123456到哪了").lang, Language::kZh);
}

TEST(NormalizeTest, MixedThresholdIsThirtyPercentOfLetters) {
  EXPECT_EQ(DetectLanguage(U"abc一二三四五六七"), Language::kMixed);  // 3 of 10: 30%
  EXPECT_EQ(DetectLanguage(U"ab一二三四五六七八"), Language::kZh);    // 2 of 10: 20%
  EXPECT_EQ(DetectLanguage(U"abc一二三四五六七八"), Language::kZh);   // 3 of 11: 27%
  EXPECT_EQ(DetectLanguage("é一二"), Language::kMixed);               // Latin beyond ASCII
}

TEST(NormalizeTest, ChineseTypedInPinyinIsChinese) {
  EXPECT_EQ(Normalize("tuihuo yunfei shei chu").lang, Language::kZh);
  EXPECT_EQ(Normalize("Huabei fenqi zenme tuikuan?").lang, Language::kZh);
  EXPECT_EQ(Normalize("where is my order").lang, Language::kEn);
  EXPECT_EQ(Normalize("reissue my fapiao").lang, Language::kEn);  // English with one pinyin word
  EXPECT_EQ(Normalize("china").lang, Language::kEn);
}

TEST(NormalizeTest, PrimaryLanguageMapsMixedToChinese) {
  EXPECT_EQ(PrimaryLanguage(Language::kMixed), Language::kZh);
  EXPECT_EQ(PrimaryLanguage(Language::kZh), Language::kZh);
  EXPECT_EQ(PrimaryLanguage(Language::kEn), Language::kEn);
  EXPECT_EQ(PrimaryLanguage(Language::kUnknown), Language::kUnknown);
  EXPECT_EQ(LanguageCode(PrimaryLanguage(Normalize("我的order到哪了").lang)), "zh");
}

TEST(NormalizeTest, LanguageCodesRoundTrip) {
  for (Language l : {Language::kUnknown, Language::kZh, Language::kEn, Language::kMixed}) {
    EXPECT_EQ(LanguageFromCode(LanguageCode(l)), l);
  }
  EXPECT_EQ(LanguageCode(Language::kMixed), "mixed");
  EXPECT_EQ(LanguageFromCode("fr"), Language::kUnknown);
}

TEST(NormalizeTest, InvalidUtf8BecomesReplacementCharacters) {
  NormalizedText n = Normalize(
      "a\xFF\xFE"
      "b");
  EXPECT_EQ(n.text, "a\uFFFD\uFFFDb");
  EXPECT_EQ(n.source_index.size(), 4u);
}

TEST(NormalizeTest, NormalizerStatusIsOk) {
  EXPECT_TRUE(NormalizerStatus().ok()) << NormalizerStatus().ToString();
}

// Random valid UTF-8 from a mix of scripts, marks, emoji, controls and compatibility forms.
std::string RandomText(std::mt19937& rng, size_t length) {
  static const std::pair<char32_t, char32_t> kRanges[] = {
      {0x00, 0x7F},       {0x80, 0x24F},      {0x300, 0x36F},    {0x370, 0x3FF},   {0x1100, 0x11FF},
      {0x2000, 0x206F},   {0x2460, 0x24FF},   {0x3000, 0x30FF},  {0x3400, 0x4DBF}, {0x4E00, 0x9FFF},
      {0xAC00, 0xD7A3},   {0xF900, 0xFAFF},   {0xFB00, 0xFB4F},  {0xFE00, 0xFE0F}, {0xFF00, 0xFFEF},
      {0x1F000, 0x1FAFF}, {0x20000, 0x2A6DF}, {0xE0000, 0xE007F}};
  std::uniform_int_distribution<size_t> pick(0, std::size(kRanges) - 1);
  std::u32string cps;
  for (size_t i = 0; i < length; ++i) {
    const auto [lo, hi] = kRanges[pick(rng)];
    cps.push_back(std::uniform_int_distribution<char32_t>(lo, hi)(rng));
  }
  return utf8::Encode(cps);
}

TEST(NormalizeTest, ValidUtf8NeverThrowsAndKeepsTheIndexConsistent) {
  std::mt19937 rng(20261124);
  for (int iter = 0; iter < 300; ++iter) {
    const std::string raw = RandomText(rng, 1 + iter % 60);
    ASSERT_TRUE(utf8::IsValid(raw));
    NormalizedText n;
    ASSERT_NO_THROW(n = Normalize(raw));
    ASSERT_TRUE(utf8::IsValid(n.text));
    const size_t text_cps = utf8::Decode(n.text).size();
    const size_t raw_cps = utf8::Decode(raw).size();
    ASSERT_EQ(n.source_index.size(), text_cps);
    for (size_t k = 0; k < n.source_index.size(); ++k) {
      ASSERT_LT(n.source_index[k], raw_cps);
      if (k > 0) {
        ASSERT_LE(n.source_index[k - 1], n.source_index[k]);
      }
    }
    EXPECT_EQ(Normalize(n.text).text, n.text) << "not idempotent for input #" << iter;
  }
}

double SecondsToNormalize(const std::string& raw) {
  const auto t0 = std::chrono::steady_clock::now();
  NormalizedText n = Normalize(raw);
  const auto t1 = std::chrono::steady_clock::now();
  EXPECT_FALSE(n.text.empty());
  return std::chrono::duration<double>(t1 - t0).count();
}

TEST(NormalizeTest, HundredKilobytesStayLinear) {
  std::string unit =
      "這雙鞋子質量太差了我要退貨退款，ＯＲＤＥＲ ２０２６ 👍🏻 "
      "e\u0301 ";
  std::string small;
  while (small.size() < 100'000) {
    small += unit;
  }
  const std::string big = small + small + small + small;
  Normalize(unit);  // warm up the converters
  const double t_small = SecondsToNormalize(small);
  const double t_big = SecondsToNormalize(big);
  EXPECT_LT(t_small, 0.5);
  EXPECT_LT(t_big, 12 * t_small + 0.01) << "4x the input took " << t_big / t_small << "x the time";
}

TEST(NormalizeTest, HundredKilobytesOfCombiningMarksDoNotCrash) {
  std::string marks = "a";
  while (marks.size() < 100'000) {
    marks += "\u0301";
  }
  NormalizedText n = Normalize(marks);
  EXPECT_EQ(n.source_index.front(), 0u);
  EXPECT_EQ(n.source_index.back(), 0u);  // one NFKC run
}

TEST(NormalizeTest, LongTraditionalTextIsConvertedAcrossChunks) {
  std::string raw;
  std::string expected;
  for (int i = 0; i < 400; ++i) {
    raw += "這雙鞋子質量";
    expected += "这双鞋子质量";
  }
  EXPECT_EQ(Normalize(raw).text, expected);
}

TEST(NormalizeTest, ConcurrentCallsAgree) {
  const std::vector<std::string> inputs = {"這雙鞋子質量太差了我要退貨退款",
                                           "ＡＢＣ①ﬁ 👍🏻", "我的order到哪了",
                                           "請問訂單什麼時候發貨？"};
  std::vector<std::string> expected;
  for (const std::string& s : inputs) {
    expected.push_back(Normalize(s).text);
  }
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) {
        const size_t k = static_cast<size_t>(i + t) % inputs.size();
        if (Normalize(inputs[k]).text != expected[k]) {
          ++mismatches;
        }
      }
    });
  }
  for (std::thread& th : threads) {
    th.join();
  }
  EXPECT_EQ(mismatches.load(), 0);
}

TEST(NormalizeTest, ShortMessageIsFast) {
  const std::string msg =
      "您好，我的訂單２０２６１１２４６４５１８３１１什麼時候發貨？👍";  // 30 chars
  const std::string simplified = "您好,我想查询一下我的订单2026112464518311什么时候发货?";
  Normalize(msg);
  constexpr int kIters = 20000;
  auto time_it = [&](const std::string& s) {
    const auto t0 = std::chrono::steady_clock::now();
    size_t sink = 0;
    for (int i = 0; i < kIters; ++i) {
      sink += Normalize(s).text.size();
    }
    const auto t1 = std::chrono::steady_clock::now();
    EXPECT_GT(sink, 0u);
    return std::chrono::duration<double, std::micro>(t1 - t0).count() / kIters;
  };
  const double us_trad = time_it(msg);
  const double us_simp = time_it(simplified);
  std::printf("[ perf     ] Normalize: %.2f us (traditional + full-width), %.2f us (simplified)\n",
              us_trad, us_simp);
  EXPECT_LT(us_simp, 100.0);  // generous: sanitizer and debug builds are much slower
}

}  // namespace
}  // namespace kefu::text

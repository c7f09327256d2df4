#include "text/segmenter.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "core/utf8.h"
#include "test_util.h"
#include "text/normalize.h"

namespace kefu::text {
namespace {

std::vector<std::string> Texts(const std::vector<Token>& tokens) {
  std::vector<std::string> out;
  for (const Token& t : tokens) {
    out.push_back(t.text);
  }
  return out;
}

bool HasToken(const std::vector<Token>& tokens, std::string_view text) {
  for (const Token& t : tokens) {
    if (t.text == text) {
      return true;
    }
  }
  return false;
}

// Loading friso's dictionary takes ~0.2 s, so the suite shares one segmenter.
class SegmenterTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    Result<std::unique_ptr<Segmenter>> r = NewSegmenter({});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    segmenter_ = std::move(r).value();
  }
  static void TearDownTestSuite() { segmenter_.reset(); }
  static std::vector<Token> Seg(std::string_view s) { return segmenter_->Segment(s); }

  inline static std::unique_ptr<Segmenter> segmenter_;
};

TEST_F(SegmenterTest, UsesFriso) {
  EXPECT_EQ(segmenter_->backend(), "friso");
}

TEST_F(SegmenterTest, SegmentsOrderQuestion) {
  EXPECT_EQ(Texts(Seg("我想查询一下我的订单什么时候发货")),
            (std::vector<std::string>{"我想", "查询", "一下", "我的", "订单", "什么时候", "发货"}));
}

TEST_F(SegmenterTest, DomainWordsAreSingleTokens) {
  EXPECT_TRUE(HasToken(Seg("这双鞋子质量太差了我要退货退款"), "退货"));
  EXPECT_TRUE(HasToken(Seg("这双鞋子质量太差了我要退货退款"), "退款"));
  EXPECT_TRUE(HasToken(Seg("请问可以修改收货地址吗"), "收货"));
  EXPECT_TRUE(HasToken(Seg("我要投诉你们的客服"), "客服"));
  EXPECT_TRUE(HasToken(Seg("今天能发货吗"), "发货"));
}

TEST_F(SegmenterTest, LexiconTermsMissingFromFrisoAreSingleTokens) {
  const std::vector<Token> tokens = Seg("价保怎么申请满减优惠券");
  EXPECT_EQ(Texts(tokens), (std::vector<std::string>{"价保", "怎么", "申请", "满减", "优惠券"}));
  EXPECT_TRUE(HasToken(Seg("这款支持七天无理由退货吗"), "七天无理由"));
}

TEST_F(SegmenterTest, WordKindsAndOffsets) {
  const std::vector<Token> tokens = Seg("我的order到哪了");
  ASSERT_EQ(Texts(tokens), (std::vector<std::string>{"我的", "order", "到", "哪", "了"}));
  EXPECT_EQ(tokens[0].kind, TokenKind::kWord);
  EXPECT_EQ(tokens[1].kind, TokenKind::kLatin);
  EXPECT_EQ(tokens[1].start, 2u);
  EXPECT_EQ(tokens[1].end, 7u);
  EXPECT_EQ(tokens[2].start, 7u);
}

TEST_F(SegmenterTest, DigitRunIsOneNumberToken) {
  const std::vector<Token> tokens = Seg("订单2026112464518311到哪了");
  ASSERT_GE(tokens.size(), 2u);
  EXPECT_EQ(tokens[0].text, "订单");
  EXPECT_EQ(tokens[1].text, "2026112464518311");
  EXPECT_EQ(tokens[1].kind, TokenKind::kNumber);
  EXPECT_EQ(tokens[1].start, 2u);
  EXPECT_EQ(tokens[1].end, 18u);
}

TEST_F(SegmenterTest, DecimalsStayTogetherAndUnitsSplit) {
  const std::vector<Token> tokens = Seg("重3.5kg价格1,299元");
  EXPECT_EQ(Texts(tokens), (std::vector<std::string>{"重", "3.5", "kg", "价格", "1,299", "元"}));
  EXPECT_EQ(tokens[1].kind, TokenKind::kNumber);
  EXPECT_EQ(tokens[2].kind, TokenKind::kLatin);
}

TEST_F(SegmenterTest, LettersAndDigitsSplitAndApostrophesStayInWords) {
  EXPECT_EQ(Texts(Seg("iphone15 don't")), (std::vector<std::string>{"iphone", "15", "don't"}));
}

TEST_F(SegmenterTest, PunctuationIsPunctAndSpacesAreNotTokens) {
  const std::vector<Token> tokens = Seg("你好, world!  。");
  EXPECT_EQ(Texts(tokens), (std::vector<std::string>{"你好", ",", "world", "!", "。"}));
  EXPECT_EQ(tokens[1].kind, TokenKind::kPunct);
  EXPECT_EQ(tokens[4].kind, TokenKind::kPunct);
}

TEST_F(SegmenterTest, EmojiClustersAreSingleTokens) {
  const std::vector<Token> tokens = Seg("好评👍🏻👨‍👩‍👧🇨🇳1️⃣❤️");
  EXPECT_EQ(Texts(tokens), (std::vector<std::string>{"好评", "👍🏻", "👨‍👩‍👧", "🇨🇳",
                                                     "1️⃣", "❤️"}));
  for (size_t i = 1; i < tokens.size(); ++i) {
    EXPECT_EQ(tokens[i].kind, TokenKind::kEmoji) << tokens[i].text;
  }
}

TEST_F(SegmenterTest, OtherScriptsFormWords) {
  const std::vector<Token> tokens = Seg("アイウ 한국어");
  EXPECT_EQ(Texts(tokens), (std::vector<std::string>{"アイウ", "한국어"}));
}

TEST_F(SegmenterTest, TokensCoverEveryNonSpaceCodePointInOrder) {
  const std::string s = "请问 iPhone15 的运费是3.5元吗?👍 退换货 ok";
  const std::u32string cps = utf8::Decode(s);
  std::u32string covered;
  uint32_t last_end = 0;
  for (const Token& t : Seg(s)) {
    EXPECT_GE(t.start, last_end);
    EXPECT_EQ(utf8::Encode(std::u32string_view(cps).substr(t.start, t.end - t.start)), t.text);
    covered += utf8::Decode(t.text);
    last_end = t.end;
  }
  std::u32string non_space;
  for (char32_t c : cps) {
    if (c != ' ') {
      non_space.push_back(c);
    }
  }
  EXPECT_EQ(covered, non_space);
}

TEST_F(SegmenterTest, EmptyAndBlankInputGiveNoTokens) {
  EXPECT_TRUE(Seg("").empty());
  EXPECT_TRUE(Seg("   ").empty());
}

TEST_F(SegmenterTest, NormalizedTraditionalInputSegments) {
  const std::vector<Token> tokens = Seg(Normalize("請問退貨運費誰出？").text);
  EXPECT_TRUE(HasToken(tokens, "退货"));
  EXPECT_TRUE(HasToken(tokens, "运费"));
}

TEST_F(SegmenterTest, HundredKilobytesDoNotCrash) {
  std::string s;
  while (s.size() < 100'000) {
    s += "我想查询一下我的订单什么时候发货abc123😀";
  }
  const auto t0 = std::chrono::steady_clock::now();
  const std::vector<Token> tokens = Seg(s);
  const auto t1 = std::chrono::steady_clock::now();
  EXPECT_GT(tokens.size(), 10'000u);
  EXPECT_LT(std::chrono::duration<double>(t1 - t0).count(), 2.0);
}

TEST_F(SegmenterTest, ConcurrentCallsGiveTheSameTokens) {
  const std::vector<std::string> inputs = {"我想查询一下我的订单什么时候发货",
                                           "这双鞋子质量太差了我要退货退款",
                                           "价保怎么申请满减优惠券", "请问可以修改收货地址吗"};
  std::vector<std::vector<std::string>> expected;
  for (const std::string& s : inputs) {
    expected.push_back(Texts(Seg(s)));
  }
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        const size_t k = static_cast<size_t>(i + t) % inputs.size();
        if (Texts(Seg(inputs[k])) != expected[k]) {
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

TEST_F(SegmenterTest, SegmentIsFast) {
  const std::string msg = "您好,我想查询一下我的订单2026112464518311什么时候发货?";
  constexpr int kIters = 5000;
  const auto t0 = std::chrono::steady_clock::now();
  size_t sink = 0;
  for (int i = 0; i < kIters; ++i) {
    sink += Seg(msg).size();
  }
  const auto t1 = std::chrono::steady_clock::now();
  const double us = std::chrono::duration<double, std::micro>(t1 - t0).count() / kIters;
  std::printf("[ perf     ] Segment: %.2f us for a 32-character message\n", us);
  EXPECT_GT(sink, 0u);
  EXPECT_LT(us, 1000.0);
}

TEST(SegmenterOptionsTest, ExtraWordsBecomeSingleTokens) {
  const std::string text = "我买的曜石黑星河手环";
  Result<std::unique_ptr<Segmenter>> plain = NewSegmenter({});
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_FALSE(HasToken((*plain)->Segment(text), "曜石黑"));
  SegmenterOptions options;
  options.extra_words = {"星河 X5 智能手机", "曜石黑", "星河手环 Pro"};
  Result<std::unique_ptr<Segmenter>> seg = NewSegmenter(options);
  ASSERT_TRUE(seg.ok()) << seg.status().ToString();
  const std::vector<Token> tokens = (*seg)->Segment(text);
  EXPECT_TRUE(HasToken(tokens, "曜石黑"));
  EXPECT_TRUE(HasToken(tokens, "星河手环"));
}

// Threads that find friso busy make the segmenter load more friso instances in the background;
// each must carry the extra words, so every thread keeps getting the same tokens meanwhile.
TEST(SegmenterOptionsTest, ExtraWordsHoldInEveryFrisoInstanceUnderConcurrentUse) {
  SegmenterOptions options;
  options.extra_words = {"曜石黑", "星河手环 Pro", "极光蓝"};
  Result<std::unique_ptr<Segmenter>> seg = NewSegmenter(options);
  ASSERT_TRUE(seg.ok()) << seg.status().ToString();
  const std::string text = "我买的曜石黑星河手环和极光蓝的耳机什么时候发货";
  const std::vector<std::string> expected = Texts((*seg)->Segment(text));
  ASSERT_TRUE(HasToken((*seg)->Segment(text), "曜石黑"));
  std::atomic<int> mismatches{0};
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(800);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      while (std::chrono::steady_clock::now() < until) {
        if (Texts((*seg)->Segment(text)) != expected) {
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

TEST(SegmenterOptionsTest, LexiconPathCanBeOverridden) {
  testing::TempDir dir;
  {
    std::ofstream out(dir.File("terms.txt"));
    out << "# test lexicon\n\n  钛金灰 \r\n";
  }
  SegmenterOptions options;
  options.lexicon_path = dir.File("terms.txt");
  Result<std::unique_ptr<Segmenter>> seg = NewSegmenter(options);
  ASSERT_TRUE(seg.ok()) << seg.status().ToString();
  EXPECT_TRUE(HasToken((*seg)->Segment("我要钛金灰的"), "钛金灰"));
}

TEST(SegmenterOptionsTest, MissingLexiconIsNotFound) {
  SegmenterOptions options;
  options.lexicon_path = "/nonexistent/terms.txt";
  Result<std::unique_ptr<Segmenter>> seg = NewSegmenter(options);
  ASSERT_FALSE(seg.ok());
  EXPECT_EQ(seg.status().code(), StatusCode::kNotFound);
}

TEST(SegmenterOptionsTest, MissingFrisoDictionaryIsUnavailable) {
  SegmenterOptions options;
  options.friso_ini_path = "/nonexistent/friso.ini";
  options.friso_dict_dir = "/nonexistent/dict/";
  Result<std::unique_ptr<Segmenter>> seg = NewSegmenter(options);
  ASSERT_FALSE(seg.ok());
  EXPECT_EQ(seg.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(seg.status().message().find("/nonexistent/dict/"), std::string::npos);
}

TEST(SegmenterOptionsTest, IniWithoutDictionaryFallsBackToDictDir) {
  testing::TempDir dir;
  {
    std::ofstream out(dir.File("friso.ini"));
    out << "friso.lex_dir = /nonexistent/dict/\nfriso.max_len = 5\nfriso.mode = 2\n";
  }
  SegmenterOptions options;
  options.friso_ini_path = dir.File("friso.ini");
  Result<std::unique_ptr<Segmenter>> seg = NewSegmenter(options);
  ASSERT_TRUE(seg.ok()) << seg.status().ToString();
  EXPECT_TRUE(HasToken((*seg)->Segment("我要投诉你们的客服"), "客服"));
}

TEST(HanCharSegmenterTest, SplitsEveryHanCharacter) {
  std::unique_ptr<Segmenter> seg = NewHanCharSegmenter();
  EXPECT_EQ(seg->backend(), "han-chars");
  EXPECT_EQ(Texts(seg->Segment("退货abc 12")), (std::vector<std::string>{"退", "货", "abc", "12"}));
}

TEST(DefaultSegmenterTest, FreeFunctionUsesFriso) {
  EXPECT_TRUE(DefaultSegmenterStatus().ok()) << DefaultSegmenterStatus().ToString();
  EXPECT_EQ(DefaultSegmenter().backend(), "friso");
  EXPECT_TRUE(HasToken(Segment("我要退款"), "退款"));
}

TEST(TokenKindTest, NamesAreStable) {
  EXPECT_EQ(TokenKindName(TokenKind::kWord), "word");
  EXPECT_EQ(TokenKindName(TokenKind::kNumber), "number");
  EXPECT_EQ(TokenKindName(TokenKind::kLatin), "latin");
  EXPECT_EQ(TokenKindName(TokenKind::kPunct), "punct");
  EXPECT_EQ(TokenKindName(TokenKind::kEmoji), "emoji");
}

}  // namespace
}  // namespace kefu::text

#include "text/pinyin.h"

#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace kefu::text {
namespace {

std::string Join(const std::vector<std::string_view>& syllables) {
  std::string out;
  for (std::string_view s : syllables) {
    out.append(out.empty() ? "" : " ").append(s);
  }
  return out;
}

std::vector<std::string> Runs(std::string_view text) {
  std::vector<std::string> out;
  for (const auto& run : PinyinRuns(text)) {
    out.push_back(Join(run));
  }
  return out;
}

// The table comes from a Debian package that scripts/install-deps.sh installs; without it kb
// search still works, but these tests say what is missing rather than pass vacuously.
class PinyinTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(PinyinStatus().ok()) << PinyinStatus().ToString(); }
};

TEST_F(PinyinTest, HanCharactersReadWithoutTonesMostCommonReadingFirst) {
  EXPECT_EQ(PinyinOf(U'退'), "tui");
  EXPECT_EQ(PinyinOf(U'款'), "kuan");
  EXPECT_EQ(PinyinOf(U'绿'), "lv");  // ü is typed v
  EXPECT_EQ(PinyinOf(U'綠'), "lv");  // traditional characters have readings too
  EXPECT_EQ(PinyinOf(U'发'), "fa");
  EXPECT_EQ(PinyinOf(U'a'), "");
  EXPECT_EQ(PinyinOf(U'😀'), "");
}

TEST_F(PinyinTest, PolyphonicCharactersListEveryReadingOnce) {
  using V = std::vector<std::string_view>;
  EXPECT_EQ(PinyinReadingsOf(U'谁'), (V{"shui", "shei"}));
  const V hang = PinyinReadingsOf(U'行');
  ASSERT_GE(hang.size(), 2u);
  EXPECT_EQ(hang[0], "xing");
  EXPECT_NE(std::find(hang.begin(), hang.end(), "hang"), hang.end());
  EXPECT_EQ(PinyinReadingsOf(U'货'), V{"huo"});
  EXPECT_EQ(PinyinReadingsOf(U'运'), V{"yun"});  // yùn and yǔn: one toneless reading
  EXPECT_TRUE(PinyinReadingsOf(U'a').empty());
}

TEST_F(PinyinTest, SplitsTypedPinyinIntoTheFewestSyllables) {
  EXPECT_EQ(Join(SplitPinyin("tuikuan")), "tui kuan");
  EXPECT_EQ(Join(SplitPinyin("yanzhengma")), "yan zheng ma");
  EXPECT_EQ(Join(SplitPinyin("xian")), "xian");  // one syllable rather than xi an
  EXPECT_EQ(Join(SplitPinyin("zhuang")), "zhuang");
  EXPECT_EQ(Join(SplitPinyin("lv")), "lv");
  // English words and letters that spell no syllables.
  EXPECT_TRUE(SplitPinyin("refund").empty());
  EXPECT_TRUE(SplitPinyin("order").empty());
  EXPECT_TRUE(SplitPinyin("").empty());
  EXPECT_TRUE(SplitPinyin("n").empty());  // bare consonants of interjections are not typed
  EXPECT_TRUE(SplitPinyin("hm").empty());
  EXPECT_TRUE(SplitPinyin("TUI").empty());  // the caller folds case
}

TEST_F(PinyinTest, RunsJoinHanAndTypedPinyinAndBreakAtEverythingElse) {
  EXPECT_EQ(Runs("退宽了吗"), (std::vector<std::string>{"tui kuan le ma"}));
  EXPECT_EQ(Runs("退款了吗"), Runs("退宽了吗"));  // a homophone slip reads the same
  EXPECT_EQ(Runs("Huabei fenqi TUIKUAN"), (std::vector<std::string>{"hua bei fen qi tui kuan"}));
  EXPECT_EQ(Runs("花呗 fenqi"), (std::vector<std::string>{"hua bei fen qi"}));
  EXPECT_EQ(Runs("xi'an zenme qu"), (std::vector<std::string>{"xi an zen me qu"}));
  EXPECT_EQ(Runs("7天无理由，退货"), (std::vector<std::string>{"tian wu li you", "tui huo"}));
  // In English, one-syllable words are English; longer pinyin words still count.
  EXPECT_TRUE(Runs("can you ban him").empty());
  EXPECT_EQ(Runs("can you reissue my fapiao"), (std::vector<std::string>{"fa piao"}));
  EXPECT_TRUE(Runs("refund please").empty());
  EXPECT_TRUE(Runs("").empty());
  EXPECT_TRUE(Runs("12345 !!").empty());
  EXPECT_EQ(Runs(std::string("tuikuan\xff"
                             "huabei")),
            (std::vector<std::string>{"tui kuan", "hua bei"}));
}

TEST_F(PinyinTest, ChineseTypedInPinyinIsToldFromEnglish) {
  EXPECT_TRUE(LooksLikePinyin("huabei fenqi tuikuan"));
  EXPECT_TRUE(LooksLikePinyin("Jifen zenme suan?"));
  EXPECT_TRUE(LooksLikePinyin("yanzhengma shou bu dao"));
  EXPECT_TRUE(LooksLikePinyin("dingdan 2026112464518311 zai na"));  // numbers do not count
  EXPECT_FALSE(LooksLikePinyin("reissue my fapiao?"));              // English with one pinyin word
  EXPECT_FALSE(LooksLikePinyin("china"));                           // one word
  EXPECT_FALSE(LooksLikePinyin("can he"));                          // two syllables
  EXPECT_FALSE(LooksLikePinyin("where is my order"));
  EXPECT_FALSE(LooksLikePinyin("退款 tuikuan zenme ban"));  // written with Han: Chinese already
  EXPECT_FALSE(LooksLikePinyin("café zai na li"));
  EXPECT_FALSE(LooksLikePinyin("кафе zai na li"));
  EXPECT_TRUE(LooksLikePinyin("tuihuo yunfei · shei chu"));  // punctuation beyond ASCII
  EXPECT_FALSE(LooksLikePinyin(""));
}

}  // namespace
}  // namespace kefu::text

// The lexical side of the knowledge base: index terms (kb/tokenizer.h) and BM25 (kb/bm25.h).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "kb/bm25.h"
#include "kb/tokenizer.h"
#include "text/segmenter.h"

namespace kefu::kb {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::UnorderedElementsAre;

using Terms = std::vector<std::string>;

std::vector<uint32_t> Keys(const std::vector<Bm25Hit>& hits) {
  std::vector<uint32_t> keys;
  for (const Bm25Hit& h : hits) {
    keys.push_back(h.key);
  }
  return keys;
}

// ---------------------------------------------------------------------------------------------
// Tokenizer

TEST(KbTokenizerTest, PinyinTermsAreSyllableBigramsOfHanAndTypedPinyin) {
  std::vector<std::string> han;
  AppendPinyinTerms("退款到账", han);
  EXPECT_EQ(han, (std::vector<std::string>{"tui'kuan", "kuan'dao", "dao'zhang"}));
  std::vector<std::string> typed;
  AppendPinyinTerms("TuiKuan dao zhang?", typed);
  EXPECT_EQ(typed, han);
  std::vector<std::string> stopped;
  AppendPinyinTerms("退款了吗", stopped);  // stopwords break the run, as in KbTerms
  EXPECT_EQ(stopped, (std::vector<std::string>{"tui'kuan"}));
  std::vector<std::string> trad;
  AppendPinyinTerms("退貨", trad);  // normalized first
  EXPECT_EQ(trad, (std::vector<std::string>{"tui'huo"}));
  std::vector<std::string> none;
  AppendPinyinTerms("refund please", none);
  AppendPinyinTerms("退", none);  // one syllable makes no bigram
  EXPECT_TRUE(none.empty());
  // KbTerms never hold an apostrophe, so the two kinds of term cannot meet by accident.
  for (const std::string& t : KbTerms("tui'kuan xi'an it's")) {
    EXPECT_EQ(t.find('\''), std::string::npos) << t;
  }
}

TEST(KbTermsTest, ChineseWordsYieldTheBigramsOfTheirRun) {
  const Terms terms = KbTerms("申请退款流程");
  EXPECT_THAT(terms, Contains("申请"));
  EXPECT_THAT(terms, Contains("请退"));
  EXPECT_THAT(terms, Contains("退款"));
  EXPECT_THAT(terms, Contains("款流"));
  EXPECT_THAT(terms, Contains("流程"));
  // The same bigram comes from either word order.
  EXPECT_THAT(KbTerms("退款申请"), Contains("退款"));
}

TEST(KbTermsTest, ALoneHanCharacterIsAUnigram) {
  EXPECT_THAT(KbTerms("退"), ElementsAre("退"));
  EXPECT_THAT(KbTerms("鞋 size 42"), ElementsAre("鞋", "size", "42"));
}

TEST(KbTermsTest, WordsOfThreeOrMoreCharactersAreKeptBesideTheirBigrams) {
  // friso segments 七天无理由 into words; the run's bigrams are kept beside any long word.
  const Terms terms = KbTerms("七天无理由退货运费");
  EXPECT_THAT(terms, Contains("七天无理由"));  // the lexicon holds it as one word
  EXPECT_THAT(terms, Contains("理由"));
  EXPECT_THAT(terms, Contains("退货"));
  // A two-character word is its own bigram, counted once.
  EXPECT_EQ(std::count(terms.begin(), terms.end(), "退货"), 1);
}

TEST(KbTermsTest, InterrogativesAreStopwordsThatSplitTheRun) {
  // 什么时候 tells the question's form, not its topic: only 订单 and 发货 remain, and no bigram
  // spans the dropped word.
  EXPECT_THAT(KbTerms("订单什么时候发货"), ElementsAre("订单", "发货"));
  EXPECT_THAT(KbTerms("退款多久到账"), ElementsAre("退款", "到账"));
}

TEST(KbTermsTest, TraditionalAndFullWidthTextIsNormalized) {
  EXPECT_EQ(KbTerms("退貨"), KbTerms("退货"));
  EXPECT_EQ(KbTerms("ＲＥＦＵＮＤ"), Terms{"refund"});
}

TEST(KbTermsTest, EnglishWordsAreLowerCasedAndStemmed) {
  EXPECT_THAT(KbTerms("Refunds for RETURNED items, shipping quickly"),
              ElementsAre("refund", "return", "item", "ship", "quick"));
}

TEST(KbTermsTest, StemmerMapsInflectionsTogetherWithoutMangling) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"refunds", "refund"},    {"shipping", "ship"},   {"returned", "return"},
      {"batteries", "battery"}, {"battery", "battery"}, {"boxes", "box"},
      {"watches", "watch"},     {"glasses", "glass"},   {"cases", "case"},
      {"case", "case"},         {"sizes", "size"},      {"pricing", "price"},
      {"priced", "price"},      {"charged", "charg"},   {"charge", "charg"},
      {"charging", "charg"},    {"missing", "miss"},    {"billing", "bill"},
      {"status", "status"},     {"need", "need"},       {"reply", "reply"},
      {"replies", "reply"},     {"supply", "supply"},   {"family", "family"},
      {"usually", "usual"},     {"damaged", "damag"},   {"damage", "damag"},
      {"thing", "thing"},       {"go", "go"},           {"café", "café"},
      {"iphone15", "iphone15"}};
  for (const auto& [word, stem] : cases) {
    EXPECT_EQ(StemEnglish(word), stem) << word;
  }
}

TEST(KbTermsTest, StopwordsOfBothLanguagesAreDropped) {
  EXPECT_THAT(KbTerms("What is the return policy of this shop?"),
              ElementsAre("return", "policy", "shop"));
  // A stopword word also splits the Han run, so no 款了 or 了吗 bigrams.
  EXPECT_THAT(KbTerms("退款了吗"), ElementsAre("退款"));
  EXPECT_TRUE(IsKbStopword("the"));
  EXPECT_TRUE(IsKbStopword("的"));
  EXPECT_FALSE(IsKbStopword("refund"));
  EXPECT_FALSE(IsKbStopword("退款"));
}

TEST(KbTermsTest, PunctuationAndEmojiAreDropped) {
  EXPECT_THAT(KbTerms("退款!!! 😀👍🏽 ... ¥"), ElementsAre("退款"));
  EXPECT_THAT(KbTerms("?!… 😀 ——"), IsEmpty());
  EXPECT_THAT(KbTerms(""), IsEmpty());
}

TEST(KbTermsTest, NumbersAreKeptWithoutThousandsSeparators) {
  EXPECT_THAT(KbTerms("1,000 yuan, 3.5 kg, order 20261103"),
              ElementsAre("1000", "yuan", "3.5", "kg", "order", "20261103"));
}

TEST(KbTermsTest, PossessivesAndContractionsAreHandled) {
  EXPECT_THAT(KbTerms("the customer's order, don't worry"),
              ElementsAre("customer", "order", "worry"));
  EXPECT_THAT(KbTerms("customer\u2019s"), ElementsAre("customer"));
}

TEST(KbTermsTest, MixedLatinAndHanSplitAtTheScriptBoundary) {
  const Terms terms = KbTerms("iPhone15手机壳");
  EXPECT_THAT(terms, Contains(StemEnglish("iphone")));
  EXPECT_THAT(terms, Contains("15"));
  EXPECT_THAT(terms, Contains("手机"));
  EXPECT_THAT(terms, Contains("机壳"));
}

TEST(KbTermsTest, OverlongTermsAreDropped) {
  EXPECT_THAT(KbTerms(std::string(kMaxTermBytes + 1, 'x') + " refund"), ElementsAre("refund"));
  EXPECT_THAT(KbTerms(std::string(kMaxTermBytes, 'x')),
              ElementsAre(std::string(kMaxTermBytes, 'x')));
}

TEST(KbTermsTest, PositionsPointIntoTheRawText) {
  // 請問 is a stopword; 退貨 starts at code point 2 of the raw (traditional) text.
  const std::vector<KbTerm> terms = KbTermsWithPositions("請問退貨 Refunds");
  ASSERT_EQ(terms.size(), 2u);
  EXPECT_EQ(terms[0].text, "退货");
  EXPECT_EQ(terms[0].start, 2u);
  EXPECT_EQ(terms[0].end, 4u);
  EXPECT_EQ(terms[1].text, "refund");
  EXPECT_EQ(terms[1].start, 5u);
  EXPECT_EQ(terms[1].end, 12u);
}

TEST(KbTermsTest, HanCharSegmenterGivesTheSameBigrams) {
  std::unique_ptr<text::Segmenter> chars = text::NewHanCharSegmenter();
  EXPECT_THAT(KbTerms("退款申请", *chars), ElementsAre("退款", "款申", "申请"));
}

// ---------------------------------------------------------------------------------------------
// BM25

class Bm25Test : public ::testing::Test {
 protected:
  void AddText(uint32_t key, std::string_view text) { index_.Add(key, KbTerms(text)); }
  std::vector<uint32_t> Find(std::string_view query, size_t k = 10) {
    return Keys(index_.Search(KbTerms(query), k));
  }

  Bm25Index index_;
};

TEST_F(Bm25Test, ChineseQueryWordFindsItInsideLongerWords) {
  AddText(1, "申请退款流程说明");
  AddText(2, "物流配送时间");
  AddText(3, "如何修改收货地址");
  EXPECT_THAT(Find("退款"), ElementsAre(1));
  EXPECT_THAT(Find("怎么申请退款?"), ElementsAre(1));
}

TEST_F(Bm25Test, TraditionalQueryFindsSimplifiedDocument) {
  AddText(1, "退货政策: 7天无理由退货");
  AddText(2, "发票开具说明");
  EXPECT_THAT(Find("退貨"), ElementsAre(1));
}

TEST_F(Bm25Test, EnglishInflectionsMatch) {
  AddText(1, "Returned items are refunded within 7 days");
  AddText(2, "Shipping times for international orders");
  EXPECT_THAT(Find("how do I return and get a refund"), ElementsAre(1));
  EXPECT_THAT(Find("international shipment order"), ElementsAre(2));
}

TEST_F(Bm25Test, RarerTermRanksHigher) {
  index_.Add(1, Terms{"common", "rare"});
  index_.Add(2, Terms{"common", "other"});
  index_.Add(3, Terms{"common", "other"});
  index_.Add(4, Terms{"unrelated", "other"});
  EXPECT_GT(index_.idf("rare"), index_.idf("common"));
  // Doc 1 holds both; a doc with only the rare term beats docs with only the common one.
  index_.Add(5, Terms{"rare", "filler"});
  const std::vector<Bm25Hit> hits = index_.Search(Terms{"common", "rare"}, 10);
  ASSERT_EQ(hits.size(), 4u);
  EXPECT_EQ(hits[0].key, 1u);
  EXPECT_EQ(hits[1].key, 5u);
  EXPECT_GT(hits[1].score, hits[2].score);
}

TEST_F(Bm25Test, TermFrequencySaturates) {
  // Same length for all, so only tf differs.
  index_.Add(1, Terms{"x", "a", "b", "c", "d", "e", "f", "g"});
  index_.Add(2, Terms{"x", "x", "b", "c", "d", "e", "f", "g"});
  index_.Add(3, Terms{"x", "x", "x", "x", "e", "f", "g", "h"});
  index_.Add(4, Terms{"x", "x", "x", "x", "x", "x", "x", "x"});
  index_.Add(5, Terms{"y", "a", "b", "c", "d", "e", "f", "g"});
  const Terms q{"x"};
  const float s1 = index_.Score(q, 1);
  const float s2 = index_.Score(q, 2);
  const float s4 = index_.Score(q, 3);
  const float s8 = index_.Score(q, 4);
  EXPECT_LT(s1, s2);
  EXPECT_LT(s2, s4);
  EXPECT_LT(s4, s8);
  EXPECT_GT(s2 - s1, s4 - s2);
  EXPECT_GT(s4 - s2, s8 - s4);
  // Bounded by idf * (k1 + 1).
  EXPECT_LT(s8, index_.idf("x") * (index_.options().k1 + 1));
  EXPECT_THAT(Keys(index_.Search(q, 10)), ElementsAre(4, 3, 2, 1));
}

TEST_F(Bm25Test, LongerDocumentsScoreLowerForTheSameTf) {
  index_.Add(1, Terms{"refund", "a"});
  index_.Add(2, Terms{"refund", "a", "b", "c", "d", "e", "f", "g", "h", "i"});
  index_.Add(3, Terms{"other"});
  EXPECT_THAT(Keys(index_.Search(Terms{"refund"}, 10)), ElementsAre(1, 2));

  Bm25Index flat(Bm25Options{.b = 0.0f});
  flat.Add(1, Terms{"refund", "a"});
  flat.Add(2, Terms{"refund", "a", "b", "c", "d", "e", "f", "g", "h", "i"});
  EXPECT_FLOAT_EQ(flat.Score(Terms{"refund"}, 1), flat.Score(Terms{"refund"}, 2));
}

TEST_F(Bm25Test, TitleFieldWeighsMore) {
  const Terms title{"退款"};
  const Terms body{"订单", "发货", "物流", "退款"};
  const Terms other_title{"物流"};
  const Terms other_body{"订单", "发货", "退款", "时间"};
  const Bm25Field titled[] = {{title, 3.0f}, {body, 1.0f}};
  const Bm25Field untitled[] = {{other_title, 3.0f}, {other_body, 1.0f}};
  index_.Add(10, untitled);
  index_.Add(20, titled);
  EXPECT_THAT(Keys(index_.Search(Terms{"退款"}, 10)), ElementsAre(20, 10));
  EXPECT_THAT(Keys(index_.Search(Terms{"物流"}, 10)), ElementsAre(10, 20));
}

TEST_F(Bm25Test, RemoveTakesTheDocumentOutAndUpdatesStatistics) {
  index_.Add(1, Terms{"refund", "policy"});
  index_.Add(2, Terms{"refund", "shipping"});
  index_.Add(3, Terms{"warranty"});
  const float idf_before = index_.idf("refund");
  EXPECT_EQ(index_.df("refund"), 2u);
  EXPECT_EQ(index_.term_count(), 4u);

  EXPECT_TRUE(index_.Remove(2));
  EXPECT_FALSE(index_.Remove(2));
  EXPECT_FALSE(index_.Contains(2));
  EXPECT_EQ(index_.size(), 2u);
  EXPECT_EQ(index_.df("refund"), 1u);
  EXPECT_EQ(index_.df("shipping"), 0u);
  EXPECT_EQ(index_.term_count(), 3u);
  EXPECT_NE(index_.idf("refund"), idf_before);
  EXPECT_DOUBLE_EQ(index_.average_length(), 1.5);
  EXPECT_THAT(Keys(index_.Search(Terms{"refund", "shipping"}, 10)), ElementsAre(1));
  EXPECT_THAT(index_.Search(Terms{"shipping"}, 10), IsEmpty());
  EXPECT_EQ(index_.Score(Terms{"refund"}, 2), 0.0f);
}

TEST_F(Bm25Test, AddingAnExistingKeyReplacesIt) {
  index_.Add(7, Terms{"old", "text"});
  index_.Add(7, Terms{"new", "words", "here"});
  EXPECT_EQ(index_.size(), 1u);
  EXPECT_THAT(index_.Search(Terms{"old"}, 10), IsEmpty());
  EXPECT_THAT(Keys(index_.Search(Terms{"new"}, 10)), ElementsAre(7));
  EXPECT_EQ(index_.df("text"), 0u);
  EXPECT_DOUBLE_EQ(index_.average_length(), 3.0);
}

TEST_F(Bm25Test, FilterExcludesKeysAndIsCalledOncePerMatch) {
  for (uint32_t key = 1; key <= 6; ++key) {
    index_.Add(key, Terms{"refund", key % 2 == 0 ? "even" : "odd"});
  }
  int calls = 0;
  const std::function<bool(uint32_t)> even = [&calls](uint32_t key) {
    ++calls;
    return key % 2 == 0;
  };
  EXPECT_THAT(Keys(index_.Search(Terms{"refund", "odd"}, 10, &even)), ElementsAre(2, 4, 6));
  EXPECT_EQ(calls, 6);
}

TEST_F(Bm25Test, FilterMaySearchAnotherIndex) {
  Bm25Index allowed;
  allowed.Add(2, Terms{"ok"});
  allowed.Add(3, Terms{"ok"});
  for (uint32_t key = 1; key <= 4; ++key) {
    index_.Add(key, Terms{"refund"});
  }
  const std::function<bool(uint32_t)> in_allowed = [&allowed](uint32_t key) {
    for (const Bm25Hit& h : allowed.Search(Terms{"ok"}, 10)) {
      if (h.key == key) {
        return true;
      }
    }
    return false;
  };
  EXPECT_THAT(Keys(index_.Search(Terms{"refund"}, 10, &in_allowed)), ElementsAre(2, 3));
  EXPECT_THAT(Keys(index_.Search(Terms{"refund"}, 10)), ElementsAre(1, 2, 3, 4));
}

TEST_F(Bm25Test, KLimitsResultsAndTiesGoToTheSmallerKey) {
  for (uint32_t key : {9u, 3u, 5u, 1u, 7u}) {
    index_.Add(key, Terms{"same", "text"});
  }
  const std::vector<Bm25Hit> hits = index_.Search(Terms{"same"}, 3);
  EXPECT_THAT(Keys(hits), ElementsAre(1, 3, 5));
  EXPECT_EQ(hits[0].score, hits[2].score);
  EXPECT_THAT(index_.Search(Terms{"same"}, 0), IsEmpty());
}

TEST_F(Bm25Test, EmptyAndStopwordOnlyQueriesFindNothing) {
  AddText(1, "The return policy of the shop 的 退货");
  EXPECT_THAT(index_.Search(Terms{}, 10), IsEmpty());
  const Terms noise = KbTerms("the of is 的 了 吗 ?!… 😀👍");
  EXPECT_THAT(noise, IsEmpty());
  EXPECT_THAT(index_.Search(noise, 10), IsEmpty());
  EXPECT_THAT(index_.Search(Terms{"never-seen"}, 10), IsEmpty());
  Bm25Index empty;
  EXPECT_THAT(empty.Search(Terms{"refund"}, 10), IsEmpty());
  EXPECT_EQ(empty.idf("refund"), 0.0f);
}

TEST_F(Bm25Test, HundredKilobyteQueryIsBoundedAndFast) {
  AddText(1, "申请退款流程说明 refund policy");
  AddText(2, "物流配送时间 shipping times");
  std::string query;
  const std::string piece = "我想申请退款但是物流一直没有更新 where is my refund 😀 12345 ";
  while (query.size() < 100 * 1024) {
    query += piece;
  }
  const auto start = std::chrono::steady_clock::now();
  const Terms terms = KbTerms(query);
  const std::vector<Bm25Hit> hits = index_.Search(terms, 10);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_GT(terms.size(), 10'000u);
  EXPECT_THAT(Keys(hits), UnorderedElementsAre(1, 2));
  EXPECT_LT(elapsed, std::chrono::seconds(2));
}

TEST_F(Bm25Test, QueryTermsBeyondTheCapKeepTheRarest) {
  Bm25Index capped(Bm25Options{.max_query_terms = 1});
  capped.Add(1, Terms{"common", "rare"});
  capped.Add(2, Terms{"common"});
  capped.Add(3, Terms{"common"});
  EXPECT_THAT(Keys(capped.Search(Terms{"common", "rare"}, 10)), ElementsAre(1));
}

TEST_F(Bm25Test, QueryCoverageIsTheShareOfIdfMassPresent) {
  index_.Add(1, Terms{"refund", "policy"});
  index_.Add(2, Terms{"refund", "shipping"});
  index_.Add(3, Terms{"warranty"});
  EXPECT_FLOAT_EQ(index_.QueryCoverage(Terms{"refund", "policy"}, 1), 1.0f);
  EXPECT_FLOAT_EQ(index_.QueryCoverage(Terms{"refund", "refund", "policy"}, 1), 1.0f);
  const float partial = index_.QueryCoverage(Terms{"refund", "shipping"}, 1);
  EXPECT_FLOAT_EQ(partial, index_.idf("refund") / (index_.idf("refund") + index_.idf("shipping")));
  // A word the index has never seen weighs as the rarest possible term.
  EXPECT_LT(index_.QueryCoverage(Terms{"refund", "policy", "bitcoin"}, 1), 0.6f);
  EXPECT_EQ(index_.QueryCoverage(Terms{"refund"}, 3), 0.0f);
  EXPECT_EQ(index_.QueryCoverage(Terms{}, 1), 0.0f);
  EXPECT_EQ(index_.QueryCoverage(Terms{"refund"}, 99), 0.0f);
}

// "w<n>". (Not "w" + std::to_string(n): g++ 12 gives a false -Wrestrict there.)
std::string Word(int n) {
  std::string w = std::to_string(n);
  w.insert(w.begin(), 'w');
  return w;
}

// A seeded corpus with a skewed vocabulary, so some terms are in most documents.
std::vector<Terms> SkewedCorpus(size_t docs, uint32_t seed) {
  std::mt19937 rng(seed);
  std::geometric_distribution<int> word(0.08);
  std::uniform_int_distribution<int> length(1, 40);
  std::vector<Terms> corpus(docs);
  for (Terms& d : corpus) {
    const int n = length(rng);
    for (int i = 0; i < n; ++i) {
      d.push_back(Word(word(rng)));
    }
  }
  return corpus;
}

// Every live document scored one by one, sorted as Search promises.
std::vector<Bm25Hit> Exhaustive(const Bm25Index& index, const Terms& q, size_t k, size_t max_key,
                                const std::function<bool(uint32_t)>* filter = nullptr) {
  std::vector<Bm25Hit> all;
  for (uint32_t key = 0; key < max_key; ++key) {
    const float s = index.Score(q, key);
    if (s > 0 && (filter == nullptr || (*filter)(key))) {
      all.push_back(Bm25Hit{key, s});
    }
  }
  std::sort(all.begin(), all.end(), [](const Bm25Hit& a, const Bm25Hit& b) {
    return a.score != b.score ? a.score > b.score : a.key < b.key;
  });
  if (all.size() > k) {
    all.resize(k);
  }
  return all;
}

TEST_F(Bm25Test, PrunedSearchEqualsExhaustiveScoring) {
  constexpr size_t kDocs = 2000;
  const std::vector<Terms> corpus = SkewedCorpus(kDocs, 42);
  for (size_t i = 0; i < kDocs; ++i) {
    index_.Add(static_cast<uint32_t>(i), corpus[i]);
  }
  for (size_t i = 0; i < kDocs; i += 3) {
    index_.Remove(static_cast<uint32_t>(i));  // leave dead postings behind
  }
  std::mt19937 rng(7);
  std::geometric_distribution<int> word(0.1);
  const std::function<bool(uint32_t)> not_five = [](uint32_t key) { return key % 5 != 0; };
  for (int round = 0; round < 40; ++round) {
    Terms q;
    for (int i = 0; i < 1 + round % 8; ++i) {
      q.push_back(Word(word(rng)));
    }
    const size_t k = 1 + round % 12;
    EXPECT_EQ(index_.Search(q, k), Exhaustive(index_, q, k, kDocs)) << "round " << round;
    EXPECT_EQ(index_.Search(q, k, &not_five), Exhaustive(index_, q, k, kDocs, &not_five))
        << "round " << round;
  }
}

TEST_F(Bm25Test, CompactionKeepsResultsAndFreesMemory) {
  constexpr size_t kDocs = 4000;
  Bm25Index manual(Bm25Options{.auto_compact_dead_fraction = 0.0f});
  const std::vector<Terms> corpus = SkewedCorpus(kDocs, 3);
  for (size_t i = 0; i < kDocs; ++i) {
    manual.Add(static_cast<uint32_t>(i), corpus[i]);
  }
  for (size_t i = 0; i < kDocs; i += 2) {
    manual.Remove(static_cast<uint32_t>(i));
  }
  const Terms q{"w1", "w4", "w17"};
  const std::vector<Bm25Hit> before = manual.Search(q, 20);
  const size_t bytes_before = manual.memory_bytes();
  manual.Compact();
  EXPECT_EQ(manual.Search(q, 20), before);
  EXPECT_LT(manual.memory_bytes(), bytes_before);
  EXPECT_EQ(manual.size(), kDocs / 2);
  // New documents after compaction still index and remove cleanly.
  manual.Add(1, Terms{"w1", "fresh"});
  EXPECT_THAT(Keys(manual.Search(Terms{"fresh"}, 5)), ElementsAre(1));
  EXPECT_TRUE(manual.Remove(3));
  EXPECT_EQ(manual.Score(q, 3), 0.0f);
}

TEST_F(Bm25Test, AutomaticCompactionIsInvisibleToSearch) {
  constexpr size_t kDocs = 6000;
  const std::vector<Terms> corpus = SkewedCorpus(kDocs, 5);
  for (size_t i = 0; i < kDocs; ++i) {
    index_.Add(static_cast<uint32_t>(i), corpus[i]);
  }
  const Terms q{"w2", "w9"};
  for (size_t i = 0; i < kDocs; ++i) {
    if (i % 4 != 0) {
      index_.Remove(static_cast<uint32_t>(i));  // crosses the 25% threshold several times
    }
  }
  EXPECT_EQ(index_.size(), kDocs / 4);
  EXPECT_EQ(index_.Search(q, 10), Exhaustive(index_, q, 10, kDocs));
}

TEST_F(Bm25Test, ConcurrentSearchesAgreeWithSerialOnes) {
  const std::vector<Terms> corpus = SkewedCorpus(2000, 11);
  for (size_t i = 0; i < corpus.size(); ++i) {
    index_.Add(static_cast<uint32_t>(i), corpus[i]);
  }
  std::vector<Terms> queries;
  for (int i = 0; i < 16; ++i) {
    queries.push_back(Terms{Word(i), Word(i + 3), Word(2 * i + 1)});
  }
  std::vector<std::vector<Bm25Hit>> serial;
  for (const Terms& q : queries) {
    serial.push_back(index_.Search(q, 10));
  }
  std::vector<std::vector<std::vector<Bm25Hit>>> parallel(4);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < parallel.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 5; ++round) {
        for (const Terms& q : queries) {
          parallel[t].push_back(index_.Search(q, 10));
        }
      }
    });
  }
  for (std::thread& th : threads) {
    th.join();
  }
  for (const auto& results : parallel) {
    ASSERT_EQ(results.size(), 5 * queries.size());
    for (size_t i = 0; i < results.size(); ++i) {
      EXPECT_EQ(results[i], serial[i % queries.size()]);
    }
  }
}

TEST_F(Bm25Test, IdfOfAnUnseenTermIsTheLargest) {
  index_.Add(1, Terms{"a"});
  index_.Add(2, Terms{"a", "b"});
  EXPECT_GT(index_.idf("zzz"), index_.idf("b"));
  EXPECT_GT(index_.idf("b"), index_.idf("a"));
  EXPECT_GT(index_.idf("a"), 0.0f);
  EXPECT_FLOAT_EQ(index_.idf("zzz"), std::log(1.0f + 2.5f / 0.5f));
}

}  // namespace
}  // namespace kefu::kb

// Tests for the dense side of kb/: the own fastText embedding, the OpenAI-compatible embedder
// (against an in-process server on 127.0.0.1:0) and the HNSW vector index.

// kb_vector_test links libcpp-httplib but does not get its pkg-config flags, and those flags
// change httplib's class layouts, so they are repeated here for the in-test server.
#ifndef CPPHTTPLIB_OPENSSL_SUPPORT
#define CPPHTTPLIB_OPENSSL_SUPPORT
#endif
#ifndef CPPHTTPLIB_ZLIB_SUPPORT
#define CPPHTTPLIB_ZLIB_SUPPORT
#endif
#ifndef CPPHTTPLIB_BROTLI_SUPPORT
#define CPPHTTPLIB_BROTLI_SUPPORT
#endif

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "kb/embedder.h"
#include "kb/vector_index.h"
#include "test_util.h"
#include "text/normalize.h"
#include "text/segmenter.h"

namespace kefu::kb {
namespace {

using ::kefu::testing::TempDir;

bool IsZero(const std::vector<float>& v) {
  return std::all_of(v.begin(), v.end(), [](float x) { return x == 0.0f; });
}

double Norm(const std::vector<float>& v) {
  double s = 0;
  for (float x : v) {
    s += double(x) * x;
  }
  return std::sqrt(s);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

// A small shop corpus where refund words (退款, 退钱, 退货) share their contexts, and shipping
// words (发货, 物流, 快递) share others.
std::vector<std::string> ShopCorpus() {
  const std::vector<std::string> refund_words = {"退款", "退钱", "退货"};
  const std::vector<std::string> refund_contexts = {
      "我要申请{}",   "{}多久能到账", "{}的钱退回哪里",     "怎么{}呀",
      "{}到账了吗",   "帮我{}好吗",   "{}原路退回银行卡吗", "商品不合适想{}",
      "{}审核要几天", "{}被拒绝了",   "质量问题可以{}吗",   "{}申请提交了",
      "七天无理由{}", "{}金额不对",   "取消订单后{}",       "{}退到余额还是银行卡"};
  const std::vector<std::string> ship_words = {"发货", "物流", "快递"};
  const std::vector<std::string> ship_contexts = {
      "{}怎么还没到",   "{}到哪里了",       "查一下{}信息",   "{}太慢了",
      "{}单号是多少",   "{}显示已签收",     "{}几天能送到",   "催一下{}",
      "{}一直没有更新", "今天能{}吗",       "{}配送到小区吗", "{}停在中转站了",
      "{}什么时候派送", "{}可以送到公司吗", "{}信息不动了",   "换个{}公司"};
  auto fill = [](const std::string& pattern, const std::string& word) {
    std::string s = pattern;
    s.replace(s.find("{}"), 2, word);
    return s;
  };
  std::vector<std::string> corpus;
  for (int round = 0; round < 3; ++round) {
    for (const std::string& c : refund_contexts) {
      for (const std::string& w : refund_words) {
        corpus.push_back(fill(c, w));
      }
    }
    for (const std::string& c : ship_contexts) {
      for (const std::string& w : ship_words) {
        corpus.push_back(fill(c, w));
      }
    }
  }
  corpus.push_back("how do I get a refund for my order");
  corpus.push_back("the refund has not arrived yet");
  corpus.push_back("where is my package");
  return corpus;
}

// A corpus this small needs more epochs and less subsampling than the defaults, and has no
// common component worth removing.
EmbeddingTrainOptions SmallOptions() {
  EmbeddingTrainOptions o;
  o.dim = 32;
  o.epoch = 50;
  o.subsample = 1e-2;
  o.buckets = 20'000;
  o.common_components = 0;
  return o;
}

// One model trained for the whole suite: training takes a fraction of a second.
class EmbeddingTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    path_ = dir_->File("shop.emb");
    ASSERT_OK(TrainEmbedding(ShopCorpus(), SmallOptions(), path_));
    Result<std::unique_ptr<Embedder>> e = LoadEmbedding(path_);
    ASSERT_OK_RESULT(e);
    embedder_ = std::move(*e).release();
  }
  static void TearDownTestSuite() {
    delete embedder_;
    embedder_ = nullptr;
    delete dir_;
    dir_ = nullptr;
  }

  static std::vector<float> Vec(std::string_view text) {
    Result<std::vector<float>> v = embedder_->Embed(text);
    EXPECT_TRUE(v.ok()) << v.status();
    return v.ok() ? *v : std::vector<float>();
  }

  static TempDir* dir_;
  static std::string path_;
  static Embedder* embedder_;
};

TempDir* EmbeddingTest::dir_ = nullptr;
std::string EmbeddingTest::path_;
Embedder* EmbeddingTest::embedder_ = nullptr;

TEST_F(EmbeddingTest, ReportsDimAndName) {
  EXPECT_EQ(embedder_->dim(), 32);
  EXPECT_EQ(embedder_->name(), "fasttext-skipgram-d32");
}

TEST_F(EmbeddingTest, VectorsHaveUnitLength) {
  for (const char* text : {"退款多久能到账", "物流到哪里了", "refund", "七天无理由退货怎么申请"}) {
    const std::vector<float> v = Vec(text);
    ASSERT_EQ(v.size(), 32u);
    EXPECT_NEAR(Norm(v), 1.0, 1e-5) << text;
  }
}

// Options for tests that only need some model: a few epochs are enough.
EmbeddingTrainOptions QuickOptions() {
  EmbeddingTrainOptions o = SmallOptions();
  o.epoch = 3;
  return o;
}

TEST(EmbeddingTrainTest, TrainingIsReproducible) {
  TempDir dir;
  ASSERT_OK(TrainEmbedding(ShopCorpus(), QuickOptions(), dir.File("a.emb")));
  ASSERT_OK(TrainEmbedding(ShopCorpus(), QuickOptions(), dir.File("b.emb")));
  EXPECT_EQ(ReadFile(dir.File("a.emb")), ReadFile(dir.File("b.emb")));
  Result<std::unique_ptr<Embedder>> a = LoadEmbedding(dir.File("a.emb"));
  Result<std::unique_ptr<Embedder>> b = LoadEmbedding(dir.File("b.emb"));
  ASSERT_OK_RESULT(a);
  ASSERT_OK_RESULT(b);
  EXPECT_EQ(*(*a)->Embed("退款多久能到账"), *(*b)->Embed("退款多久能到账"));

  EmbeddingTrainOptions other_seed = QuickOptions();
  other_seed.seed = 7;
  ASSERT_OK(TrainEmbedding(ShopCorpus(), other_seed, dir.File("c.emb")));
  Result<std::unique_ptr<Embedder>> c = LoadEmbedding(dir.File("c.emb"));
  ASSERT_OK_RESULT(c);
  EXPECT_NE(*(*c)->Embed("退款多久能到账"), *(*a)->Embed("退款多久能到账"));
}

TEST_F(EmbeddingTest, RefundWordsAreCloserToEachOtherThanToShippingWords) {
  const double refund_refund = Cosine(Vec("退款"), Vec("退钱"));
  EXPECT_GT(refund_refund, Cosine(Vec("退款"), Vec("物流")));
  EXPECT_GT(refund_refund, Cosine(Vec("退钱"), Vec("快递")));
  EXPECT_GT(Cosine(Vec("物流"), Vec("快递")), Cosine(Vec("物流"), Vec("退钱")));
}

TEST_F(EmbeddingTest, QuestionsDifferingInARelatedWordAreCloserThanInAnUnrelatedOne) {
  const std::vector<float> q = Vec("我的退款多久能到账");
  EXPECT_GT(Cosine(q, Vec("我的退钱多久能到账")), Cosine(q, Vec("我的快递多久能到账")));
  const std::vector<float> s = Vec("物流信息一直没有更新");
  EXPECT_GT(Cosine(s, Vec("快递信息一直没有更新")), Cosine(s, Vec("退款信息一直没有更新")));
}

TEST_F(EmbeddingTest, TraditionalFullWidthAndUpperCaseEmbedLikeTheirNormalForm) {
  EXPECT_GT(Cosine(Vec("退款多久能到賬？"), Vec("退款多久能到账?")), 0.9999);
  EXPECT_GT(Cosine(Vec("快遞單號是多少"), Vec("快递单号是多少")), 0.9999);
  EXPECT_GT(Cosine(Vec("ＲＥＦＵＮＤ"), Vec("refund")), 0.9999);
}

TEST_F(EmbeddingTest, EmptyPunctuationAndEmojiOnlyTextGiveZeroVectors) {
  for (const char* text : {"", "   ", "？！。，", "😀😀👍", "🙂 !!"}) {
    const std::vector<float> v = Vec(text);
    ASSERT_EQ(v.size(), 32u) << text;
    EXPECT_TRUE(IsZero(v)) << text;
  }
}

TEST_F(EmbeddingTest, EmojiDoesNotChangeTheVector) {
  EXPECT_EQ(Vec("退款多久能到账😡"), Vec("退款多久能到账"));
}

TEST_F(EmbeddingTest, UnseenWordWithoutKnownNgramsGivesZeroVector) {
  EXPECT_TRUE(IsZero(Vec("qqxjv")));
}

TEST_F(EmbeddingTest, UnseenWordGetsAVectorFromItsNgrams) {
  const std::vector<float> v = Vec("refunds");  // only "refund" was seen
  ASSERT_FALSE(IsZero(v));
  EXPECT_GT(Cosine(v, Vec("refund")), Cosine(v, Vec("package")));
}

TEST_F(EmbeddingTest, EmbedBatchMatchesEmbed) {
  const std::vector<std::string> texts = {"退款多久能到账", "", "物流到哪里了"};
  Result<std::vector<std::vector<float>>> batch = embedder_->EmbedBatch(texts);
  ASSERT_OK_RESULT(batch);
  ASSERT_EQ(batch->size(), 3u);
  for (size_t i = 0; i < texts.size(); ++i) {
    EXPECT_EQ((*batch)[i], Vec(texts[i]));
  }
}

// The knowledge base embeds a chunk from the tokens it has already made for its index terms:
// title and body segmented apart must give the vector of the joined text.
TEST_F(EmbeddingTest, EmbedTokensOfPiecesMatchesEmbedOfTheJoinedText) {
  ASSERT_TRUE(embedder_->takes_tokens());
  const std::vector<std::pair<std::string, std::string>> pieces = {
      {"退货政策 七天无理由", "签收后7天内可申请退货，商品需保持完好。"},
      {"Returns Policy",
       "Items can be RETURNED within 7 days of delivery; order 2026112464518311."},
      {"退貨運費", "質量問題由我們承擔 shipping fee"},
  };
  for (const auto& [title, body] : pieces) {
    std::vector<text::Token> tokens = text::Segment(text::Normalize(title).text);
    for (text::Token& t : text::Segment(text::Normalize(body).text)) {
      tokens.push_back(std::move(t));
    }
    Result<std::vector<float>> from_tokens = embedder_->EmbedTokens(tokens);
    Result<std::vector<float>> from_text = embedder_->Embed(title + "\n" + body);
    ASSERT_OK_RESULT(from_tokens);
    ASSERT_OK_RESULT(from_text);
    EXPECT_EQ(*from_tokens, *from_text) << title;
  }
}

TEST_F(EmbeddingTest, ConcurrentEmbedsAgree) {
  const std::vector<float> expected = Vec("质量问题可以退货吗");
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        Result<std::vector<float>> v = embedder_->Embed("质量问题可以退货吗");
        mismatches[size_t(t)] += (v.ok() && *v == expected) ? 0 : 1;
      }
    });
  }
  for (std::thread& t : threads) {
    t.join();
  }
  EXPECT_EQ(mismatches, std::vector<int>(4, 0));
}

TEST(EmbeddingLoadTest, MissingFileIsNotFound) {
  TempDir dir;
  Result<std::unique_ptr<Embedder>> e = LoadEmbedding(dir.File("nope.emb"));
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), StatusCode::kNotFound);
}

TEST_F(EmbeddingTest, CorruptTruncatedAndForeignFilesAreInvalidArgument) {
  TempDir dir;
  const std::string good = ReadFile(path_);
  std::string flipped = good;
  flipped[flipped.size() / 2] ^= 0x5a;
  WriteFile(dir.File("flipped.emb"), flipped);
  WriteFile(dir.File("short.emb"), good.substr(0, good.size() / 3));
  WriteFile(dir.File("foreign.emb"), "this is not a model at all, just some text\n");
  WriteFile(dir.File("empty.emb"), "");
  for (const char* name : {"flipped.emb", "short.emb", "foreign.emb", "empty.emb"}) {
    Result<std::unique_ptr<Embedder>> e = LoadEmbedding(dir.File(name));
    ASSERT_FALSE(e.ok()) << name;
    EXPECT_EQ(e.status().code(), StatusCode::kInvalidArgument) << name;
    EXPECT_NE(e.status().message().find(name), std::string::npos) << e.status();
  }
}

TEST(EmbeddingTrainTest, CorpusWithoutWordsIsInvalidArgument) {
  TempDir dir;
  EXPECT_EQ(TrainEmbedding({}, SmallOptions(), dir.File("m.emb")).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(TrainEmbedding({"😀", "？？", ""}, SmallOptions(), dir.File("m.emb")).code(),
            StatusCode::kInvalidArgument);
  EXPECT_FALSE(std::filesystem::exists(dir.File("m.emb")));
}

TEST(EmbeddingTrainTest, BadOptionsAreInvalidArgument) {
  TempDir dir;
  EmbeddingTrainOptions o = SmallOptions();
  o.dim = 0;
  EXPECT_EQ(TrainEmbedding(ShopCorpus(), o, dir.File("m.emb")).code(),
            StatusCode::kInvalidArgument);
  o = SmallOptions();
  o.minn = 5;
  o.maxn = 3;
  EXPECT_EQ(TrainEmbedding(ShopCorpus(), o, dir.File("m.emb")).code(),
            StatusCode::kInvalidArgument);
  o = SmallOptions();
  o.common_components = 32;
  EXPECT_EQ(TrainEmbedding(ShopCorpus(), o, dir.File("m.emb")).code(),
            StatusCode::kInvalidArgument);
}

TEST(EmbeddingTrainTest, UnwritableOutputIsUnavailable) {
  TempDir dir;
  EXPECT_EQ(TrainEmbedding(ShopCorpus(), SmallOptions(), dir.File("no/such/dir/m.emb")).code(),
            StatusCode::kUnavailable);
}

TEST(EmbeddingTrainTest, WorksWithoutSubwordsAndWithoutHanCharacters) {
  TempDir dir;
  EmbeddingTrainOptions o = SmallOptions();
  o.minn = 0;
  o.maxn = 0;
  o.han_chars = false;
  o.epoch = 3;
  ASSERT_OK(TrainEmbedding(ShopCorpus(), o, dir.File("plain.emb")));
  Result<std::unique_ptr<Embedder>> e = LoadEmbedding(dir.File("plain.emb"));
  ASSERT_OK_RESULT(e);
  EXPECT_NEAR(Norm(*(*e)->Embed("退款多久能到账")), 1.0, 1e-5);
  EXPECT_TRUE(IsZero(*(*e)->Embed("refunds")));  // no n-grams: unseen words have no vector
}

TEST(CosineTest, BasicValues) {
  const std::vector<float> a = {1, 0, 0};
  const std::vector<float> b = {2, 0, 0};
  const std::vector<float> c = {-1, 0, 0};
  const std::vector<float> d = {0, 3, 0};
  const std::vector<float> zero = {0, 0, 0};
  EXPECT_NEAR(Cosine(a, b), 1.0, 1e-12);
  EXPECT_NEAR(Cosine(a, c), -1.0, 1e-12);
  EXPECT_NEAR(Cosine(a, d), 0.0, 1e-12);
  EXPECT_EQ(Cosine(a, zero), 0.0);
  std::vector<float> n = {3, 4};
  L2Normalize(n);
  EXPECT_FLOAT_EQ(n[0], 0.6f);
  EXPECT_FLOAT_EQ(n[1], 0.8f);
}

// ---- VectorIndex -------------------------------------------------------------------------

std::vector<float> RandomUnit(std::mt19937& rng, int dim) {
  std::normal_distribution<float> g;
  std::vector<float> v(static_cast<size_t>(dim));
  for (float& x : v) {
    x = g(rng);
  }
  L2Normalize(v);
  return v;
}

std::vector<uint32_t> Keys(const std::vector<VectorHit>& hits) {
  std::vector<uint32_t> keys;
  for (const VectorHit& h : hits) {
    keys.push_back(h.key);
  }
  return keys;
}

// Exact top-k by inner product over the given live vectors.
std::vector<uint32_t> BruteForce(const std::vector<std::vector<float>>& vs,
                                 const std::vector<float>& q, size_t k) {
  std::vector<std::pair<double, uint32_t>> scored;
  for (size_t i = 0; i < vs.size(); ++i) {
    double dot = 0;
    for (size_t d = 0; d < q.size(); ++d) {
      dot += double(vs[i][d]) * q[d];
    }
    scored.push_back({-dot, uint32_t(i)});
  }
  std::sort(scored.begin(), scored.end());
  std::vector<uint32_t> out;
  for (size_t i = 0; i < std::min(k, scored.size()); ++i) {
    out.push_back(scored[i].second);
  }
  return out;
}

class VectorIndexTest : public ::testing::Test {
 protected:
  static constexpr int kDim = 16;

  void Fill(VectorIndex& index, size_t n) {
    for (size_t i = 0; i < n; ++i) {
      vectors_.push_back(RandomUnit(rng_, kDim));
      ASSERT_OK(index.Add(uint32_t(i), vectors_.back()));
    }
  }

  std::vector<uint32_t> SearchKeys(const VectorIndex& index, const std::vector<float>& q, size_t k,
                                   const std::function<bool(uint32_t)>& filter = {}) {
    Result<std::vector<VectorHit>> hits = index.Search(q, k, filter);
    EXPECT_TRUE(hits.ok()) << hits.status();
    return hits.ok() ? Keys(*hits) : std::vector<uint32_t>();
  }

  std::mt19937 rng_{42};
  std::vector<std::vector<float>> vectors_;
};

TEST_F(VectorIndexTest, FindsTheExactNeighboursOfASmallSet) {
  VectorIndex index(kDim);
  Fill(index, 200);
  EXPECT_EQ(index.size(), 200u);
  for (int i = 0; i < 20; ++i) {
    const std::vector<float> q = RandomUnit(rng_, kDim);
    EXPECT_EQ(SearchKeys(index, q, 5), BruteForce(vectors_, q, 5));
  }
}

TEST_F(VectorIndexTest, HitsAreBestFirstWithCosineSimilarity) {
  VectorIndex index(kDim);
  Fill(index, 50);
  Result<std::vector<VectorHit>> hits = index.Search(vectors_[7], 10);
  ASSERT_OK_RESULT(hits);
  ASSERT_EQ(hits->size(), 10u);
  EXPECT_EQ((*hits)[0].key, 7u);
  EXPECT_NEAR((*hits)[0].similarity, 1.0, 1e-5);
  for (size_t i = 1; i < hits->size(); ++i) {
    EXPECT_GE((*hits)[i - 1].similarity, (*hits)[i].similarity);
    EXPECT_NEAR((*hits)[i].similarity, Cosine(vectors_[(*hits)[i].key], vectors_[7]), 1e-5);
  }
}

TEST_F(VectorIndexTest, RecallIsHighOnClusteredData) {
  VectorIndex index(kDim);
  std::vector<std::vector<float>> centres;
  for (int c = 0; c < 40; ++c) {
    centres.push_back(RandomUnit(rng_, kDim));
  }
  std::normal_distribution<float> noise(0.0f, 0.15f);
  for (uint32_t i = 0; i < 3000; ++i) {
    std::vector<float> v = centres[i % centres.size()];
    for (float& x : v) {
      x += noise(rng_);
    }
    L2Normalize(v);
    vectors_.push_back(v);
    ASSERT_OK(index.Add(i, v));
  }
  size_t found = 0;
  for (int t = 0; t < 50; ++t) {
    const std::vector<float> q = vectors_[size_t(t) * 37];
    const std::vector<uint32_t> got = SearchKeys(index, q, 10);
    const std::vector<uint32_t> want = BruteForce(vectors_, q, 10);
    const std::set<uint32_t> g(got.begin(), got.end());
    found +=
        size_t(std::count_if(want.begin(), want.end(), [&](uint32_t k) { return g.count(k); }));
  }
  EXPECT_GE(double(found) / 500.0, 0.95);
}

// Rows of `vs` as one flat array, for AddBatch.
std::vector<float> Flat(const std::vector<std::vector<float>>& vs) {
  std::vector<float> out;
  for (const std::vector<float>& v : vs) {
    out.insert(out.end(), v.begin(), v.end());
  }
  return out;
}

TEST_F(VectorIndexTest, AddBatchInParallelFindsEveryVectorAndKeepsRecall) {
  // Past kParallelMinSize, so the batch is inserted from several threads.
  const size_t n = VectorIndex::kParallelMinSize + 2000;
  std::vector<uint32_t> keys;
  for (size_t i = 0; i < n; ++i) {
    vectors_.push_back(RandomUnit(rng_, kDim));
    keys.push_back(uint32_t(i));
  }
  VectorIndex index(kDim);
  ASSERT_OK(index.AddBatch(keys, Flat(vectors_), 4));
  EXPECT_EQ(index.size(), n);
  EXPECT_GE(index.capacity(), n);
  size_t self = 0;
  size_t found = 0;
  for (size_t t = 0; t < 100; ++t) {
    const std::vector<float>& q = vectors_[t * 211];
    const std::vector<uint32_t> got = SearchKeys(index, q, 10);
    self += !got.empty() && got[0] == uint32_t(t * 211) ? 1 : 0;
    const std::vector<uint32_t> want = BruteForce(vectors_, q, 10);
    const std::set<uint32_t> g(got.begin(), got.end());
    found +=
        size_t(std::count_if(want.begin(), want.end(), [&](uint32_t k) { return g.count(k); }));
  }
  EXPECT_GE(self, 99u);
  EXPECT_GE(double(found) / 1000.0, 0.9);  // uniform random vectors are the hard case for HNSW
}

TEST_F(VectorIndexTest, SmallAddBatchBuildsTheSameIndexAsAddOneByOne) {
  std::vector<uint32_t> keys;
  VectorIndex one_by_one(kDim);
  for (uint32_t i = 0; i < 500; ++i) {
    vectors_.push_back(RandomUnit(rng_, kDim));
    keys.push_back(i);
    ASSERT_OK(one_by_one.Add(i, vectors_.back()));
  }
  VectorIndex batched(kDim);
  ASSERT_OK(batched.AddBatch(keys, Flat(vectors_), 4));
  EXPECT_EQ(batched.Serialize(), one_by_one.Serialize());
}

TEST_F(VectorIndexTest, AddBatchChecksEveryVectorFirstAndAppliesRepeatsInOrder) {
  VectorIndex index(kDim);
  std::vector<std::vector<float>> vs = {RandomUnit(rng_, kDim), RandomUnit(rng_, kDim),
                                        RandomUnit(rng_, kDim)};
  std::vector<float> bad = Flat(vs);
  bad[kDim + 3] = std::nanf("");
  EXPECT_EQ(index.AddBatch(std::vector<uint32_t>{1, 2, 3}, bad, 2).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(index.size(), 0u);
  EXPECT_EQ(index.AddBatch(std::vector<uint32_t>{1, 2}, Flat(vs), 2).code(),
            StatusCode::kInvalidArgument);  // three vectors for two keys
  // Key 5 twice: the second vector wins.
  ASSERT_OK(index.AddBatch(std::vector<uint32_t>{5, 6, 5}, Flat(vs), 2));
  EXPECT_EQ(index.size(), 2u);
  EXPECT_EQ(SearchKeys(index, vs[2], 1), std::vector<uint32_t>{5});
  EXPECT_EQ(SearchKeys(index, vs[1], 1), std::vector<uint32_t>{6});
}

TEST_F(VectorIndexTest, RemoveHidesAKeyAndIgnoresUnknownKeys) {
  VectorIndex index(kDim);
  Fill(index, 30);
  index.Remove(7);
  index.Remove(7);
  index.Remove(12345);
  EXPECT_EQ(index.size(), 29u);
  EXPECT_FALSE(index.Contains(7));
  EXPECT_TRUE(index.Contains(8));
  const std::vector<uint32_t> keys = SearchKeys(index, vectors_[7], 30);
  EXPECT_EQ(keys.size(), 29u);
  EXPECT_EQ(std::count(keys.begin(), keys.end(), 7u), 0);
}

TEST_F(VectorIndexTest, AddingAnExistingKeyReplacesItsVector) {
  VectorIndex index(kDim);
  Fill(index, 100);
  const std::vector<float> fresh = RandomUnit(rng_, kDim);
  ASSERT_OK(index.Add(3, fresh));
  EXPECT_EQ(index.size(), 100u);
  Result<std::vector<VectorHit>> hits = index.Search(fresh, 1);
  ASSERT_OK_RESULT(hits);
  ASSERT_EQ(hits->size(), 1u);
  EXPECT_EQ((*hits)[0].key, 3u);
  EXPECT_NEAR((*hits)[0].similarity, 1.0, 1e-5);
  const std::vector<uint32_t> near_old = SearchKeys(index, vectors_[3], 1);
  EXPECT_NE(near_old, std::vector<uint32_t>{3});
}

TEST_F(VectorIndexTest, AddingARemovedKeyBringsItBack) {
  VectorIndex index(kDim);
  Fill(index, 20);
  index.Remove(5);
  ASSERT_OK(index.Add(5, vectors_[5]));
  EXPECT_EQ(index.size(), 20u);
  EXPECT_EQ(SearchKeys(index, vectors_[5], 1), std::vector<uint32_t>{5});
}

TEST_F(VectorIndexTest, GrowsPastItsInitialCapacity) {
  VectorIndex index(kDim, {.initial_capacity = 4});
  EXPECT_EQ(index.capacity(), 4u);
  Fill(index, 300);
  EXPECT_EQ(index.size(), 300u);
  EXPECT_GE(index.capacity(), 300u);
  for (uint32_t i = 0; i < 300; i += 29) {
    EXPECT_EQ(SearchKeys(index, vectors_[i], 1), std::vector<uint32_t>{i});
  }
}

TEST_F(VectorIndexTest, FilterRestrictsHits) {
  VectorIndex index(kDim);
  Fill(index, 300);
  auto even = [](uint32_t key) { return key % 2 == 0; };
  const std::vector<uint32_t> keys = SearchKeys(index, vectors_[11], 8, even);
  ASSERT_EQ(keys.size(), 8u);
  EXPECT_TRUE(std::all_of(keys.begin(), keys.end(), even));
  std::vector<std::vector<float>> evens;
  for (size_t i = 0; i < vectors_.size(); i += 2) {
    evens.push_back(vectors_[i]);
  }
  std::vector<uint32_t> want = BruteForce(evens, vectors_[11], 8);
  for (uint32_t& k : want) {
    k *= 2;
  }
  EXPECT_EQ(keys, want);
}

TEST_F(VectorIndexTest, SelectiveFilterStillFindsItsFewKeys) {
  VectorIndex index(kDim);
  Fill(index, 1000);
  auto rare = [](uint32_t key) { return key == 999 || key == 3; };
  const std::vector<uint32_t> keys = SearchKeys(index, vectors_[500], 5, rare);
  EXPECT_EQ(std::set<uint32_t>(keys.begin(), keys.end()), (std::set<uint32_t>{3, 999}));
  EXPECT_TRUE(SearchKeys(index, vectors_[500], 5, [](uint32_t) { return false; }).empty());
}

TEST_F(VectorIndexTest, WrongDimensionOrNonFiniteValuesAreInvalidArgument) {
  VectorIndex index(kDim);
  EXPECT_EQ(index.Add(1, std::vector<float>(kDim + 1, 0.1f)).code(), StatusCode::kInvalidArgument);
  std::vector<float> nan = RandomUnit(rng_, kDim);
  nan[3] = std::nanf("");
  EXPECT_EQ(index.Add(1, nan).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(index.size(), 0u);
  Result<std::vector<VectorHit>> hits = index.Search(std::vector<float>(3, 0.5f), 1);
  ASSERT_FALSE(hits.ok());
  EXPECT_EQ(hits.status().code(), StatusCode::kInvalidArgument);
}

TEST_F(VectorIndexTest, EmptyIndexAndZeroKGiveNoHits) {
  VectorIndex index(kDim);
  EXPECT_TRUE(SearchKeys(index, RandomUnit(rng_, kDim), 5).empty());
  Fill(index, 3);
  EXPECT_TRUE(SearchKeys(index, vectors_[0], 0).empty());
  EXPECT_EQ(SearchKeys(index, vectors_[0], 10).size(), 3u);
  for (uint32_t k = 0; k < 3; ++k) {
    index.Remove(k);
  }
  EXPECT_TRUE(SearchKeys(index, vectors_[0], 10).empty());
}

TEST_F(VectorIndexTest, SerializeRoundTripKeepsHitsRemovalsAndOptions) {
  VectorIndex index(kDim, {.M = 8, .ef_construction = 50, .ef_search = 40});
  Fill(index, 500);
  index.Remove(10);
  index.Remove(20);
  Result<std::unique_ptr<VectorIndex>> copy = VectorIndex::Deserialize(index.Serialize());
  ASSERT_OK_RESULT(copy);
  VectorIndex& again = **copy;
  EXPECT_EQ(again.dim(), kDim);
  EXPECT_EQ(again.size(), 498u);
  EXPECT_EQ(again.ef_search(), 40);
  EXPECT_FALSE(again.Contains(10));
  for (int t = 0; t < 20; ++t) {
    const std::vector<float> q = RandomUnit(rng_, kDim);
    EXPECT_EQ(SearchKeys(again, q, 10), SearchKeys(index, q, 10));
  }
  EXPECT_EQ(again.Serialize(), index.Serialize());
  // Still a working index: it can grow and take changes.
  ASSERT_OK(again.Add(10, vectors_[10]));
  const std::vector<float> extra = RandomUnit(rng_, kDim);
  ASSERT_OK(again.Add(9999, extra));
  EXPECT_EQ(SearchKeys(again, extra, 1), std::vector<uint32_t>{9999});
  EXPECT_EQ(again.size(), 500u);
}

TEST_F(VectorIndexTest, EmptyIndexRoundTrips) {
  VectorIndex index(kDim);
  Result<std::unique_ptr<VectorIndex>> copy = VectorIndex::Deserialize(index.Serialize());
  ASSERT_OK_RESULT(copy);
  EXPECT_EQ((*copy)->size(), 0u);
  const std::vector<float> v = RandomUnit(rng_, kDim);
  ASSERT_OK((*copy)->Add(1, v));
  EXPECT_EQ(SearchKeys(**copy, v, 1), std::vector<uint32_t>{1});
}

TEST_F(VectorIndexTest, SaveAndLoadFile) {
  TempDir dir;
  VectorIndex index(kDim);
  Fill(index, 100);
  ASSERT_OK(index.Save(dir.File("kb.vix")));
  Result<std::unique_ptr<VectorIndex>> loaded = VectorIndex::Load(dir.File("kb.vix"));
  ASSERT_OK_RESULT(loaded);
  EXPECT_EQ((*loaded)->size(), 100u);
  EXPECT_EQ(SearchKeys(**loaded, vectors_[42], 3), SearchKeys(index, vectors_[42], 3));
  EXPECT_EQ(index.Save(dir.File("missing/dir/kb.vix")).code(), StatusCode::kUnavailable);
}

TEST_F(VectorIndexTest, LoadRejectsMissingCorruptAndTruncatedFiles) {
  TempDir dir;
  Result<std::unique_ptr<VectorIndex>> missing = VectorIndex::Load(dir.File("none.vix"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);

  VectorIndex index(kDim);
  Fill(index, 50);
  const std::string good = index.Serialize();
  std::string flipped = good;
  flipped[good.size() / 2] ^= 0x01;
  for (const std::string& bytes :
       {flipped, good.substr(0, good.size() - 9), std::string("KEFUVIX1"), std::string("junk")}) {
    Result<std::unique_ptr<VectorIndex>> bad = VectorIndex::Deserialize(bytes);
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument) << bad.status();
  }
  WriteFile(dir.File("bad.vix"), flipped);
  Result<std::unique_ptr<VectorIndex>> bad_file = VectorIndex::Load(dir.File("bad.vix"));
  ASSERT_FALSE(bad_file.ok());
  EXPECT_EQ(bad_file.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad_file.status().message().find("bad.vix"), std::string::npos);
}

TEST_F(VectorIndexTest, ConcurrentSearchesAgree) {
  VectorIndex index(kDim);
  Fill(index, 500);
  const std::vector<uint32_t> expected = SearchKeys(index, vectors_[1], 10);
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        Result<std::vector<VectorHit>> hits = index.Search(vectors_[1], 10);
        mismatches[size_t(t)] += (hits.ok() && Keys(*hits) == expected) ? 0 : 1;
      }
    });
  }
  for (std::thread& t : threads) {
    t.join();
  }
  EXPECT_EQ(mismatches, std::vector<int>(4, 0));
}

TEST_F(EmbeddingTest, IndexFindsTheQuestionAboutTheSameTopic) {
  const std::vector<std::string> docs = {"退款多久能到账", "物流信息不动了", "七天无理由退货"};
  VectorIndex index(embedder_->dim());
  for (uint32_t i = 0; i < docs.size(); ++i) {
    ASSERT_OK(index.Add(i, Vec(docs[i])));
  }
  Result<std::vector<VectorHit>> hits = index.Search(Vec("快递信息一直没有更新"), 1);
  ASSERT_OK_RESULT(hits);
  ASSERT_EQ(hits->size(), 1u);
  EXPECT_EQ((*hits)[0].key, 1u);
}

// ---- OpenAI-compatible embedder -------------------------------------------------------------

// An OpenAI-compatible server on 127.0.0.1:<any port>. By default it answers each input with
// the vector {length in bytes, 1, 0, 2}; a test may swap the handler.
class OpenAiEmbedderTest : public ::testing::Test {
 protected:
  using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;

  void SetUp() override {
    server_.Post("/v1/embeddings", [this](const httplib::Request& req, httplib::Response& res) {
      Handler h;
      {
        std::scoped_lock lock(mutex_);
        requests_.push_back(req.body);
        auth_.push_back(req.get_header_value("Authorization"));
        client_ports_.push_back(req.remote_port);
        h = handler_;
      }
      h ? h(req, res) : Canned(req, res);
    });
    server_.set_tcp_nodelay(true);
    port_ = server_.bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) {
      std::this_thread::yield();
    }
  }

  void TearDown() override {
    Release();
    server_.stop();
    thread_.join();
  }

  static void Canned(const httplib::Request& req, httplib::Response& res) {
    const nlohmann::json in = nlohmann::json::parse(req.body);
    nlohmann::json data = nlohmann::json::array();
    for (size_t i = 0; i < in["input"].size(); ++i) {
      const double len = double(in["input"][i].get<std::string>().size());
      data.push_back({{"object", "embedding"}, {"index", i}, {"embedding", {len, 1, 0, 2}}});
    }
    res.set_content(nlohmann::json{{"object", "list"}, {"data", data}}.dump(), "application/json");
  }

  void SetHandler(Handler h) {
    std::scoped_lock lock(mutex_);
    handler_ = std::move(h);
  }

  // Makes a handler wait until Release() (or TearDown) is called.
  void Block() {
    SetHandler([this](const httplib::Request&, httplib::Response& res) {
      std::unique_lock lock(mutex_);
      released_cv_.wait(lock, [this] { return released_; });
      res.set_content("{}", "application/json");
    });
  }
  void Release() {
    {
      std::scoped_lock lock(mutex_);
      released_ = true;
    }
    released_cv_.notify_all();
  }

  OpenAiEmbedderOptions Options() const {
    OpenAiEmbedderOptions o;
    o.base_url = "http://127.0.0.1:" + std::to_string(port_) + "/v1";
    o.model = "test-model";
    o.timeout = std::chrono::milliseconds(2'000);
    return o;
  }

  std::unique_ptr<Embedder> Make(const OpenAiEmbedderOptions& o) {
    Result<std::unique_ptr<Embedder>> e = NewOpenAiEmbedder(o);
    EXPECT_TRUE(e.ok()) << e.status();
    return e.ok() ? std::move(*e) : nullptr;
  }

  Status ErrorFor(Handler h) {
    SetHandler(std::move(h));
    return Make(Options())->Embed("退款多久到账").status();
  }

  std::vector<std::string> Requests() {
    std::scoped_lock lock(mutex_);
    return requests_;
  }

  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mutex_;
  Handler handler_;
  std::vector<std::string> requests_;
  std::vector<std::string> auth_;
  std::vector<int> client_ports_;
  std::condition_variable released_cv_;
  bool released_ = false;
};

TEST_F(OpenAiEmbedderTest, EmbedsAndNormalizes) {
  OpenAiEmbedderOptions o = Options();
  o.api_key = "sk-test";
  std::unique_ptr<Embedder> e = Make(o);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->name(), "openai:test-model");
  EXPECT_EQ(e->dim(), 0);
  Result<std::vector<float>> v = e->Embed("abcd");  // -> {4, 1, 0, 2}, norm sqrt(21)
  ASSERT_OK_RESULT(v);
  ASSERT_EQ(v->size(), 4u);
  EXPECT_NEAR((*v)[0], 4 / std::sqrt(21.0), 1e-6);
  EXPECT_NEAR((*v)[3], 2 / std::sqrt(21.0), 1e-6);
  EXPECT_EQ(e->dim(), 4);
  ASSERT_EQ(Requests().size(), 1u);
  const nlohmann::json sent = nlohmann::json::parse(Requests()[0]);
  EXPECT_EQ(sent["model"], "test-model");
  EXPECT_EQ(sent["input"], nlohmann::json::array({"abcd"}));
  EXPECT_EQ(auth_[0], "Bearer sk-test");
}

TEST_F(OpenAiEmbedderTest, BatchesByMaxBatchAndKeepsOrder) {
  // Answers in reverse order; "index" says where each belongs.
  SetHandler([](const httplib::Request& req, httplib::Response& res) {
    const nlohmann::json in = nlohmann::json::parse(req.body);
    nlohmann::json data = nlohmann::json::array();
    for (size_t i = in["input"].size(); i > 0; --i) {
      const double len = double(in["input"][i - 1].get<std::string>().size());
      data.push_back({{"index", i - 1}, {"embedding", {len, 1}}});
    }
    res.set_content(nlohmann::json{{"data", data}}.dump(), "application/json");
  });
  OpenAiEmbedderOptions o = Options();
  o.max_batch = 2;
  const std::vector<std::string> texts = {"a", "bb", "ccc", "dddd", "eeeee"};
  Result<std::vector<std::vector<float>>> vs = Make(o)->EmbedBatch(texts);
  ASSERT_OK_RESULT(vs);
  ASSERT_EQ(vs->size(), 5u);
  for (size_t i = 0; i < texts.size(); ++i) {
    const double len = double(texts[i].size());
    EXPECT_NEAR((*vs)[i][0], len / std::sqrt(len * len + 1), 1e-6) << i;
  }
  EXPECT_EQ(Requests().size(), 3u);
}

TEST_F(OpenAiEmbedderTest, BlankTextsAreNotSentAndGetZeroVectors) {
  std::unique_ptr<Embedder> e = Make(Options());
  const std::vector<std::string> texts = {"退款", "", "  \n"};
  Result<std::vector<std::vector<float>>> vs = e->EmbedBatch(texts);
  ASSERT_OK_RESULT(vs);
  EXPECT_FALSE(IsZero((*vs)[0]));
  EXPECT_EQ((*vs)[1], std::vector<float>(4, 0.0f));
  EXPECT_EQ((*vs)[2], std::vector<float>(4, 0.0f));
  ASSERT_EQ(Requests().size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(Requests()[0])["input"].size(), 1u);
}

TEST_F(OpenAiEmbedderTest, HttpErrorsCarryStatusAndServerMessage) {
  Status s = ErrorFor([](const httplib::Request&, httplib::Response& res) {
    res.status = 401;
    res.set_content(R"({"error":{"message":"Incorrect API key provided","type":"auth"}})",
                    "application/json");
  });
  EXPECT_EQ(s.code(), StatusCode::kUnauthenticated);
  EXPECT_NE(s.message().find("HTTP 401"), std::string::npos) << s;
  EXPECT_NE(s.message().find("Incorrect API key provided"), std::string::npos) << s;
  EXPECT_NE(s.message().find("/v1/embeddings"), std::string::npos) << s;

  s = ErrorFor([](const httplib::Request&, httplib::Response& res) {
    res.status = 429;
    res.set_content(R"({"error":"rate limited"})", "application/json");
  });
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted);
  EXPECT_NE(s.message().find("rate limited"), std::string::npos) << s;

  s = ErrorFor([](const httplib::Request&, httplib::Response& res) {
    res.status = 503;
    res.set_content("model is loading\n", "text/plain");
  });
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_NE(s.message().find("HTTP 503: model is loading"), std::string::npos) << s;

  s = ErrorFor([](const httplib::Request&, httplib::Response& res) {
    res.status = 400;
    res.set_content(R"({"detail":"input too long"})", "application/json");
  });
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("input too long"), std::string::npos) << s;
}

TEST_F(OpenAiEmbedderTest, MalformedResponsesAreInternal) {
  const std::vector<std::string> bodies = {"not json",
                                           "[1,2]",
                                           R"({"data":"x"})",
                                           R"({"data":[]})",
                                           R"({"data":[{"index":0}]})",
                                           R"({"data":[{"embedding":["a"]}]})",
                                           R"({"data":[{"index":5,"embedding":[1]}]})"};
  for (const std::string& body : bodies) {
    Status s = ErrorFor([body](const httplib::Request&, httplib::Response& res) {
      res.set_content(body, "application/json");
    });
    EXPECT_EQ(s.code(), StatusCode::kInternal) << body << " -> " << s;
    EXPECT_NE(s.message().find("malformed response"), std::string::npos) << s;
  }
}

TEST_F(OpenAiEmbedderTest, VectorsOfTheWrongLengthAreFailedPrecondition) {
  OpenAiEmbedderOptions o = Options();
  o.dim = 8;
  std::unique_ptr<Embedder> e = Make(o);
  EXPECT_EQ(e->dim(), 8);
  Result<std::vector<float>> v = e->Embed("abc");
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(v.status().message().find("4-d"), std::string::npos) << v.status();
}

TEST_F(OpenAiEmbedderTest, SlowServerIsDeadlineExceeded) {
  Block();
  OpenAiEmbedderOptions o = Options();
  o.timeout = std::chrono::milliseconds(100);
  Result<std::vector<float>> v = Make(o)->Embed("abc");
  Release();
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), StatusCode::kDeadlineExceeded) << v.status();
}

TEST_F(OpenAiEmbedderTest, NoServerIsUnavailable) {
  httplib::Server other;
  const int port = other.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  std::thread t([&] { other.listen_after_bind(); });
  while (!other.is_running()) {
    std::this_thread::yield();
  }
  other.stop();  // closes the listening socket: nothing listens on `port` now
  t.join();
  OpenAiEmbedderOptions o = Options();
  o.base_url = "http://127.0.0.1:" + std::to_string(port) + "/v1";
  Result<std::vector<float>> v = Make(o)->Embed("abc");
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), StatusCode::kUnavailable) << v.status();
}

TEST_F(OpenAiEmbedderTest, BadOptionsAreInvalidArgument) {
  OpenAiEmbedderOptions o = Options();
  o.model = "";
  EXPECT_EQ(NewOpenAiEmbedder(o).status().code(), StatusCode::kInvalidArgument);
  for (const char* url : {"127.0.0.1:8000/v1", "ftp://host/v1", "http://", ""}) {
    o = Options();
    o.base_url = url;
    EXPECT_EQ(NewOpenAiEmbedder(o).status().code(), StatusCode::kInvalidArgument) << url;
  }
  o = Options();
  o.max_batch = 0;
  EXPECT_EQ(NewOpenAiEmbedder(o).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(OpenAiEmbedderTest, ReusesItsConnectionAcrossCalls) {
  std::unique_ptr<Embedder> e = Make(Options());
  for (int i = 0; i < 5; ++i) {
    ASSERT_OK_RESULT(e->Embed("abc"));
  }
  std::scoped_lock lock(mutex_);
  ASSERT_EQ(client_ports_.size(), 5u);
  EXPECT_EQ(std::set<int>(client_ports_.begin(), client_ports_.end()).size(), 1u);
}

}  // namespace
}  // namespace kefu::kb

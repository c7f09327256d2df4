// The hybrid retriever and the store-backed knowledge base: ranking, FAQ matching, filters,
// updates without a rebuild, persistence, and answers with a confidence threshold.
#include "kb/retriever.h"

#include <fstream>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/clock.h"
#include "kb/embedder.h"
#include "kb/ingest.h"
#include "kb/knowledge_base.h"
#include "store/store.h"
#include "test_util.h"

namespace kefu::kb {
namespace {

KbDocument Faq(const std::string& id, const std::string& lang, const std::string& q,
               const std::string& a, std::vector<std::string> paraphrases = {},
               const std::string& category = "faq") {
  KbDocument d;
  d.id = id;
  d.lang = lang;
  d.title = q;
  d.category = category;
  d.format = DocFormat::kFaq;
  d.body = a;
  d.faq = FaqPair{q, a, std::move(paraphrases)};
  d.content_hash = ComputeContentHash(d);
  return d;
}

KbDocument Markdown(const std::string& id, const std::string& lang, const std::string& body,
                    std::vector<std::string> tags = {}) {
  KbDocument d;
  d.id = id;
  d.lang = lang;
  d.category = "policy";
  d.format = DocFormat::kMarkdown;
  d.body = body;
  d.tags = std::move(tags);
  d.title = body.substr(2, body.find('\n') - 2);
  d.content_hash = ComputeContentHash(d);
  return d;
}

// A small shop knowledge base in both languages.
std::vector<KbDocument> ShopDocs() {
  return {
      Faq("faq-return-fee", "zh", "退货运费谁承担？",
          "七天无理由退货的运费由买家承担；商品质量问题的退货运费由我们承担。",
          {"退货邮费谁出", "退回去的快递费要我自己付吗", "質量問題退貨運費誰出"}),
      Faq("faq-refund-time", "zh", "退款多久到账？",
          "仓库签收退货后 1-3 个工作日内原路退款，银行卡到账可能需要 3-5 个工作日。",
          {"退款什么时候到", "钱多久能退回来", "退款一般几天到账"}),
      Faq("faq-invoice", "zh", "怎么开发票？",
          "在订单详情页点击“申请开票”，填写抬头和税号，电子发票会发送到您的邮箱。",
          {"能开电子发票吗", "发票在哪里申请"}),
      Faq("faq-en-shipping", "en", "How long does shipping take?",
          "Orders ship within 48 hours; delivery takes 2-5 days in mainland China.",
          {"when will my package arrive", "delivery time"}),
      Markdown("policies/zh/warranty.md", "zh",
               "# 保修政策\n\n## 保修期限\n\n手机、电脑等数码产品自签收之日起享受一年保修。"
               "\n\n## 不在保修范围\n\n人为损坏、进水和私自拆机不在保修范围内。",
               {"warranty"}),
      Markdown("policies/en/warranty.md", "en",
               "# Warranty\n\n## Period\n\nPhones and laptops have a one-year warranty from "
               "delivery.\n\n## Not covered\n\nAccidental damage, water damage and unauthorized "
               "repairs are not covered.",
               {"warranty"}),
  };
}

class RetrieverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const KbDocument& d : ShopDocs()) {
      ASSERT_OK(r_.Upsert(d, ChunkDocument(d, {})));
    }
  }
  Retriever r_{RetrieverOptions{}};
};

TEST_F(RetrieverTest, CountsDocumentsAndChunks) {
  EXPECT_EQ(r_.document_count(), 6u);
  EXPECT_EQ(r_.chunk_count(), 8u);  // two sections in each warranty policy
}

TEST_F(RetrieverTest, ParaphraseFindsItsFaqWithHighSimilarity) {
  std::vector<Hit> hits = r_.Search("退货的邮费是谁出", {});
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0].doc_id, "faq-return-fee");
  EXPECT_GT(hits[0].faq_similarity, 0.5);
  EXPECT_THAT(hits[0].matched_question,
              ::testing::AnyOf("退货运费谁承担？", "退货邮费谁出", "質量問題退貨運費誰出"));
  EXPECT_NE(hits[0].faq_answer.find("买家承担"), std::string::npos);
}

TEST_F(RetrieverTest, TraditionalChineseQueryFindsSimplifiedDocument) {
  std::vector<Hit> hits = r_.Search("退款多久到帳", {});
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0].doc_id, "faq-refund-time");
}

TEST_F(RetrieverTest, PinyinAndHomophoneSlipsFindTheChineseFaq) {
  // Typed with the input method off, and a homophone slip (宽 for 款, 道 for 到).
  for (const char* query :
       {"tuikuan duojiu daozhang", "退宽多久道账", "Tuikuan shenme shihou dao"}) {
    std::vector<Hit> hits = r_.Search(query, {});
    ASSERT_FALSE(hits.empty()) << query;
    EXPECT_EQ(hits[0].doc_id, "faq-refund-time") << query;
    EXPECT_EQ(hits[0].lang, "zh") << query;
  }
  std::vector<Hit> invoice = r_.Search("zenme kai fapiao", {});
  ASSERT_FALSE(invoice.empty());
  EXPECT_EQ(invoice[0].doc_id, "faq-invoice");
  // Pinyin is read back into the questions' own words, so it is answered as surely as the
  // Chinese it stands for, whether the syllables are typed apart, together or in capitals.
  const std::vector<Hit> chinese = r_.Search("退货邮费谁出", {});
  ASSERT_FALSE(chinese.empty());
  for (const char* query :
       {"tuihuo youfei shei chu", "tui huo you fei shei chu", "TUIHUO YOUFEI SHEICHU"}) {
    std::vector<Hit> hits = r_.Search(query, {});
    ASSERT_FALSE(hits.empty()) << query;
    EXPECT_EQ(hits[0].doc_id, "faq-return-fee") << query;
    EXPECT_NEAR(hits[0].confidence, chinese[0].confidence, 1e-9) << query;
  }
  // Syllables the questions do not hold stay pinyin and are matched by their sounds.
  std::vector<Hit> mostly_unknown = r_.Search("wo xiang mai yi tai diannao", {});
  for (const Hit& h : mostly_unknown) {
    EXPECT_EQ(h.lang, "zh");
    EXPECT_LT(h.confidence, 0.6);
  }
  // The pinyin does not pull English questions toward Chinese answers.
  std::vector<Hit> en = r_.Search("how long does shipping take", {});
  ASSERT_FALSE(en.empty());
  EXPECT_EQ(en[0].doc_id, "faq-en-shipping");
  // A caller's language filter stands: pinyin searched among English documents finds no FAQ
  // of the Chinese ones.
  SearchOptions only_en;
  only_en.filter.lang = "en";
  for (const Hit& h : r_.Search("tuikuan duojiu daozhang", only_en)) {
    EXPECT_EQ(h.lang, "en");
  }
  EXPECT_GT(r_.QuestionSimilarity("退宽多久道账", "退款多久到账"),
            r_.QuestionSimilarity("退宽多久道账", "怎么开发票"));
}

TEST_F(RetrieverTest, PolicySectionIsCitedWithItsHeadingPath) {
  std::vector<Hit> hits = r_.Search("手机进水了还能保修吗", {.k = 3});
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0].doc_id, "policies/zh/warranty.md");
  EXPECT_EQ(hits[0].heading_path, "保修政策 > 不在保修范围");
  EXPECT_EQ(hits[0].title, "保修政策");
}

TEST_F(RetrieverTest, EnglishQueryWithInflectionsMatches) {
  std::vector<Hit> hits = r_.Search("is water damage covered by the warranty?", {});
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0].doc_id, "policies/en/warranty.md");
  EXPECT_EQ(hits[0].heading_path, "Warranty > Not covered");
}

TEST_F(RetrieverTest, FiltersByLanguageCategoryAndTag) {
  SearchOptions en;
  en.filter.lang = "en";
  for (const Hit& h : r_.Search("warranty 保修", en)) {
    EXPECT_EQ(h.lang, "en");
  }
  SearchOptions faq_only;
  faq_only.filter.category = "faq";
  for (const Hit& h : r_.Search("保修 退货", faq_only)) {
    EXPECT_EQ(h.category, "faq");
  }
  SearchOptions tagged;
  tagged.filter.tags = {"warranty"};
  std::vector<Hit> hits = r_.Search("退货运费", tagged);
  for (const Hit& h : hits) {
    EXPECT_NE(h.doc_id.find("warranty"), std::string::npos);
  }
}

TEST_F(RetrieverTest, KLimitsTheHits) {
  EXPECT_LE(r_.Search("退货 退款 发票 保修", {.k = 2}).size(), 2u);
  EXPECT_TRUE(r_.Search("退款", {.k = 0}).empty());
}

TEST_F(RetrieverTest, QueriesWithoutTermsReturnNothing) {
  EXPECT_TRUE(r_.Search("", {}).empty());
  EXPECT_TRUE(r_.Search("😀😀！？", {}).empty());
  EXPECT_TRUE(r_.Search("的了吗", {}).empty());
}

TEST_F(RetrieverTest, UnrelatedQuestionHasLowConfidence) {
  std::vector<Hit> hits = r_.Search("火星探测器什么时候发射", {});
  for (const Hit& h : hits) {
    EXPECT_LT(h.confidence, 0.35) << h.doc_id;
  }
  std::vector<Hit> good = r_.Search("退款多久到账", {});
  ASSERT_FALSE(good.empty());
  EXPECT_GT(good[0].confidence, 0.8);
}

TEST_F(RetrieverTest, UpsertReplacesTheOldVersion) {
  KbDocument d = Faq("faq-invoice", "zh", "怎么开发票？", "请联系客服开具纸质专用发票。");
  ASSERT_OK(r_.Upsert(d, ChunkDocument(d, {})));
  EXPECT_EQ(r_.document_count(), 6u);
  std::vector<Hit> hits = r_.Search("开发票", {});
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0].doc_id, "faq-invoice");
  EXPECT_NE(hits[0].text.find("纸质专用发票"), std::string::npos);
  // The old paraphrases went with the old version.
  for (const Hit& h : r_.Search("能开电子发票吗", {})) {
    EXPECT_NE(h.matched_question, "能开电子发票吗");
  }
}

TEST_F(RetrieverTest, RemoveTakesEveryChunkAndQuestionOut) {
  EXPECT_TRUE(r_.Remove("policies/zh/warranty.md"));
  EXPECT_FALSE(r_.Remove("policies/zh/warranty.md"));
  EXPECT_EQ(r_.chunk_count(), 6u);
  for (const Hit& h : r_.Search("保修 进水", {.k = 10})) {
    EXPECT_NE(h.doc_id, "policies/zh/warranty.md");
  }
  EXPECT_TRUE(r_.Remove("faq-refund-time"));
  for (const Hit& h : r_.Search("钱多久能退回来", {.k = 10})) {
    EXPECT_NE(h.doc_id, "faq-refund-time");
  }
}

// The question model learns which words tell one FAQ from another: "邮费" and "退回去" only ever
// appear in the return-fee FAQ's ways of asking, so a new message with them finds it.
TEST_F(RetrieverTest, QuestionModelIsTrainedOnceAndRanksTheFaqItsWordsBelongTo) {
  EXPECT_FALSE(r_.has_question_model());
  Result<QuestionModelRefresh> first = r_.RefreshQuestionModel();
  ASSERT_OK_RESULT(first);
  EXPECT_EQ(*first, QuestionModelRefresh::kTrained);
  EXPECT_TRUE(r_.has_question_model());
  EXPECT_EQ(*r_.RefreshQuestionModel(), QuestionModelRefresh::kUnchanged);

  std::vector<Hit> hits = r_.Search("寄回去的邮费我来出吗", {.k = 3});
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0].doc_id, "faq-return-fee");
  EXPECT_GT(hits[0].asked, 0.3);
  // BM25 alone has no such model, and hybrid without it does not report one.
  for (const Hit& h : r_.Search("寄回去的邮费我来出吗", {.k = 3, .mode = SearchMode::kBm25})) {
    EXPECT_EQ(h.asked, 0);
  }

  // A changed FAQ set makes a new model; a removed FAQ is never suggested by the old one.
  ASSERT_TRUE(r_.Remove("faq-return-fee"));
  for (const Hit& h : r_.Search("寄回去的邮费我来出吗", {.k = 5})) {
    EXPECT_NE(h.doc_id, "faq-return-fee");
  }
  EXPECT_EQ(*r_.RefreshQuestionModel(), QuestionModelRefresh::kTrained);
}

TEST_F(RetrieverTest, QuestionModelFileIsUsedOnlyForTheQuestionsItWasMadeFrom) {
  testing::TempDir dir;
  EXPECT_EQ(r_.SaveQuestionModel(dir.File("q.bin")).code(), StatusCode::kFailedPrecondition);
  ASSERT_OK_RESULT(r_.RefreshQuestionModel());
  ASSERT_OK(r_.SaveQuestionModel(dir.File("q.bin")));

  Retriever same(RetrieverOptions{.question_model_path = dir.File("q.bin")});
  for (const KbDocument& d : ShopDocs()) {
    ASSERT_OK(same.Upsert(d, ChunkDocument(d, {})));
  }
  EXPECT_EQ(*same.RefreshQuestionModel(), QuestionModelRefresh::kLoaded);
  EXPECT_EQ(same.Search("寄回去的邮费我来出吗", {.k = 1})[0].asked,
            r_.Search("寄回去的邮费我来出吗", {.k = 1})[0].asked);

  Retriever other(RetrieverOptions{.question_model_path = dir.File("q.bin")});
  for (const KbDocument& d : ShopDocs()) {
    if (d.id != "faq-invoice") {
      ASSERT_OK(other.Upsert(d, ChunkDocument(d, {})));
    }
  }
  EXPECT_EQ(*other.RefreshQuestionModel(), QuestionModelRefresh::kTrained);

  // A damaged file is not used: the model is trained instead.
  std::ofstream(dir.File("bad.bin")) << "KEFUQMD1 not a model";
  Retriever damaged(RetrieverOptions{.question_model_path = dir.File("bad.bin")});
  for (const KbDocument& d : ShopDocs()) {
    ASSERT_OK(damaged.Upsert(d, ChunkDocument(d, {})));
  }
  EXPECT_EQ(*damaged.RefreshQuestionModel(), QuestionModelRefresh::kTrained);
}

TEST_F(RetrieverTest, NoQuestionModelWithFewerThanTwoFaqs) {
  Retriever r(RetrieverOptions{});
  KbDocument d = ShopDocs()[0];
  ASSERT_OK(r.Upsert(d, ChunkDocument(d, {})));
  EXPECT_EQ(*r.RefreshQuestionModel(), QuestionModelRefresh::kNone);
  EXPECT_FALSE(r.has_question_model());
  EXPECT_EQ(r.Search("退货运费", {.k = 1})[0].asked, 0);
}

// A large FAQ would need a linear layer of features x FAQs weights (and 16 bytes a cell to
// train): over kMaxQuestionModelCells there is no model, found out before any training.
TEST_F(RetrieverTest, NoQuestionModelWhenItWouldBeTooBig) {
  Retriever r(RetrieverOptions{});
  for (int i = 0; i < 2000; ++i) {
    const std::string n = std::to_string(i);
    KbDocument d = Faq("faq-" + n, "en", "question about item" + n + " and thing" + n,
                       "answer " + n, {"how does item" + n + " work", "tell me about thing" + n});
    ASSERT_OK(r.Upsert(d, ChunkDocument(d, {})));
  }
  Result<QuestionModelRefresh> refresh = r.RefreshQuestionModel();
  ASSERT_OK_RESULT(refresh);
  EXPECT_EQ(*refresh, QuestionModelRefresh::kNone);
  EXPECT_FALSE(r.has_question_model());
  std::vector<Hit> hits = r.Search("how does item42 work", {.k = 1});
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0].doc_id, "faq-42");
}

TEST_F(RetrieverTest, VectorModeWithoutEmbedderFindsNothing) {
  EXPECT_TRUE(r_.Search("退款", {.mode = SearchMode::kVector}).empty());
  EXPECT_FALSE(r_.Search("退款", {.mode = SearchMode::kBm25}).empty());
}

TEST_F(RetrieverTest, QuestionSimilarityRanksParaphrasesAboveUnrelatedQuestions) {
  const double same = r_.QuestionSimilarity("退款多久到账", "退款多久到账");
  const double close = r_.QuestionSimilarity("退款多久到账", "退款一般几天能到账");
  const double far = r_.QuestionSimilarity("退款多久到账", "怎么开发票");
  EXPECT_NEAR(same, 1.0, 1e-6);
  EXPECT_GT(close, far);
  EXPECT_LT(far, 0.2);
}

TEST_F(RetrieverTest, SearchesRunWhileDocumentsChange) {
  std::atomic<bool> stop{false};
  std::thread reader([&] {
    while (!stop.load()) {
      std::vector<Hit> hits = r_.Search("退货运费谁出", {});
      ASSERT_FALSE(hits.empty());
    }
  });
  for (int i = 0; i < 50; ++i) {
    KbDocument d = Faq("faq-extra-" + std::to_string(i % 5), "zh", "会员积分怎么用？",
                       "积分可抵扣现金，100 积分抵 1 元。版本 " + std::to_string(i));
    ASSERT_OK(r_.Upsert(d, ChunkDocument(d, {})));
  }
  stop = true;
  reader.join();
  EXPECT_EQ(r_.document_count(), 11u);
}

// With the project's own embedding, trained here on a small corpus.
class HybridRetrieverTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    std::vector<std::string> corpus;
    for (const KbDocument& d : ShopDocs()) {
      corpus.push_back(d.title);
      corpus.push_back(d.body);
      if (d.faq) {
        for (const std::string& p : d.faq->paraphrases) {
          corpus.push_back(p);
        }
      }
    }
    for (int i = 0; i < 20; ++i) {
      corpus.push_back("退款 到账 退钱 退回 银行卡 原路退回");
      corpus.push_back("发货 快递 物流 配送 几天 到货");
    }
    EmbeddingTrainOptions options;
    options.epoch = 20;
    ASSERT_OK(TrainEmbedding(corpus, options, dir_->File("emb.bin")));
  }
  static void TearDownTestSuite() { delete dir_; }

  void SetUp() override {
    Result<std::unique_ptr<Embedder>> e = LoadEmbedding(dir_->File("emb.bin"));
    ASSERT_OK_RESULT(e);
    r_ = std::make_unique<Retriever>(RetrieverOptions{.embedder = std::move(*e)});
    for (const KbDocument& d : ShopDocs()) {
      ASSERT_OK(r_->Upsert(d, ChunkDocument(d, {})));
    }
  }

  static testing::TempDir* dir_;
  std::unique_ptr<Retriever> r_;
};
testing::TempDir* HybridRetrieverTest::dir_ = nullptr;

TEST_F(HybridRetrieverTest, EveryModeFindsTheFaq) {
  for (SearchMode mode : {SearchMode::kHybrid, SearchMode::kBm25, SearchMode::kVector}) {
    std::vector<Hit> hits = r_->Search("退款多久到账", {.k = 3, .mode = mode});
    ASSERT_FALSE(hits.empty()) << SearchModeName(mode);
    EXPECT_EQ(hits[0].doc_id, "faq-refund-time") << SearchModeName(mode);
  }
}

TEST_F(HybridRetrieverTest, HybridHitsCarryBothSignals) {
  std::vector<Hit> hits = r_->Search("退款什么时候到账", {});
  ASSERT_FALSE(hits.empty());
  EXPECT_GT(hits[0].bm25, 0);
  EXPECT_GT(hits[0].cosine, 0);
  EXPECT_GE(hits[0].confidence, hits[0].faq_similarity);
}

// UpsertBatch is Upsert of each document in order: the same hits, whatever the thread count; a
// document repeated in the batch ends as its last version, with no trace of the earlier one.
TEST_F(HybridRetrieverTest, UpsertBatchIndexesLikeUpsertOneByOne) {
  std::vector<KbDocument> docs = ShopDocs();
  docs.push_back(Faq("faq-invoice", "zh", "怎么开发票？", "请联系客服开具纸质专用发票。"));
  std::vector<std::vector<Chunk>> chunks;
  for (const KbDocument& d : docs) {
    chunks.push_back(ChunkDocument(d, {}));
  }
  std::vector<DocChunks> batch;
  for (size_t i = 0; i < docs.size(); ++i) {
    batch.push_back({&docs[i], chunks[i]});
  }
  Retriever batched(RetrieverOptions{.embedder = r_->options().embedder, .import_threads = 3});
  ASSERT_OK(batched.UpsertBatch(batch));
  ASSERT_OK(r_->Upsert(docs.back(), chunks.back()));  // r_ already holds ShopDocs()
  EXPECT_EQ(batched.document_count(), r_->document_count());
  EXPECT_EQ(batched.chunk_count(), r_->chunk_count());
  for (const char* q : {"退款多久到账", "开发票", "能开电子发票吗", "shipping time", "保修 进水"}) {
    for (SearchMode mode : {SearchMode::kHybrid, SearchMode::kBm25, SearchMode::kVector}) {
      const std::vector<Hit> want = r_->Search(q, {.k = 5, .mode = mode});
      const std::vector<Hit> got = batched.Search(q, {.k = 5, .mode = mode});
      ASSERT_EQ(got.size(), want.size()) << q << " " << SearchModeName(mode);
      for (size_t i = 0; i < got.size(); ++i) {
        EXPECT_EQ(got[i].doc_id, want[i].doc_id) << q << " " << SearchModeName(mode);
        EXPECT_EQ(got[i].text, want[i].text) << q << " " << SearchModeName(mode);
        EXPECT_NEAR(got[i].score, want[i].score, 1e-9) << q << " " << SearchModeName(mode);
      }
    }
  }
  for (const Hit& h : batched.Search("能开电子发票吗", {.k = 10})) {
    EXPECT_NE(h.matched_question, "能开电子发票吗");
  }
  EXPECT_OK(batched.UpsertBatch({}));
}

// The store-backed facade.
class KnowledgeBaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<std::unique_ptr<store::Store>> s = store::NewSqliteStore({.path = dir_.File("kb.db")});
    ASSERT_OK_RESULT(s);
    store_ = std::move(*s);
    Reopen();
  }
  void Reopen() {
    kb_.reset();
    Result<std::unique_ptr<KnowledgeBase>> kb = KnowledgeBase::Open(*store_, clock_, {});
    ASSERT_OK_RESULT(kb);
    kb_ = std::move(*kb);
  }

  testing::TempDir dir_;
  ManualClock clock_{1'700'000'000'000};
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<KnowledgeBase> kb_;
};

TEST_F(KnowledgeBaseTest, ImportedDocumentsSurviveAReopen) {
  Result<ImportReport> r = kb_->Import(ShopDocs());
  ASSERT_OK_RESULT(r);
  EXPECT_EQ(r->added, 6u);
  EXPECT_EQ(r->chunks, 8u);
  Reopen();
  EXPECT_EQ(kb_->document_count(), 6u);
  std::vector<Hit> hits = kb_->Search("退货运费谁出", {});
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0].doc_id, "faq-return-fee");
  EXPECT_EQ(hits[0].matched_question, "退货运费谁承担？");
}

TEST_F(KnowledgeBaseTest, ImportingTheSameContentTwiceChangesNothing) {
  ASSERT_OK_RESULT(kb_->Import(ShopDocs()));
  Result<ImportReport> again = kb_->Import(ShopDocs());
  ASSERT_OK_RESULT(again);
  EXPECT_EQ(again->added, 0u);
  EXPECT_EQ(again->updated, 0u);
  EXPECT_EQ(again->unchanged, 6u);
  Reopen();  // the hashes come back from the store too
  Result<ImportReport> third = kb_->Import(ShopDocs());
  ASSERT_OK_RESULT(third);
  EXPECT_EQ(third->unchanged, 6u);
}

TEST_F(KnowledgeBaseTest, ChangedDocumentIsUpdatedAlone) {
  ASSERT_OK_RESULT(kb_->Import(ShopDocs()));
  std::vector<KbDocument> docs = ShopDocs();
  docs[2] = Faq("faq-invoice", "zh", "怎么开发票？", "发票由客服在 24 小时内开具并发送到邮箱。");
  Result<ImportReport> r = kb_->Import(docs);
  ASSERT_OK_RESULT(r);
  EXPECT_EQ(r->updated, 1u);
  EXPECT_EQ(r->unchanged, 5u);
  Reopen();
  std::vector<Hit> hits = kb_->Search("怎么开发票", {});
  ASSERT_FALSE(hits.empty());
  EXPECT_NE(hits[0].faq_answer.find("24 小时"), std::string::npos);
}

TEST_F(KnowledgeBaseTest, RemoveDeletesFromStoreAndIndex) {
  ASSERT_OK_RESULT(kb_->Import(ShopDocs()));
  ASSERT_OK(kb_->Remove("faq-invoice"));
  EXPECT_EQ(kb_->Remove("faq-invoice").code(), StatusCode::kNotFound);
  EXPECT_EQ(kb_->List()->size(), 5u);
  Reopen();
  EXPECT_EQ(kb_->document_count(), 5u);
  for (const Hit& h : kb_->Search("发票在哪里申请", {.k = 10})) {
    EXPECT_NE(h.doc_id, "faq-invoice");
  }
}

TEST_F(KnowledgeBaseTest, ImportPathsReportsBadFilesAndKeepsTheGoodOnes) {
  std::filesystem::create_directories(dir_.path() / "docs");
  std::ofstream(dir_.path() / "docs" / "returns.md")
      << "# 退货政策\n\n签收后七天内可无理由退货。\n";
  std::ofstream(dir_.path() / "docs" / "empty.txt") << "";
  std::ofstream(dir_.path() / "docs" / "bad.jsonl") << "{\"question\": \"缺少答案\"}\n";
  Result<ImportReport> r = kb_->ImportPaths({(dir_.path() / "docs").string()}, {});
  ASSERT_OK_RESULT(r);
  EXPECT_EQ(r->added, 1u);
  EXPECT_EQ(r->failed, 2u);
  ASSERT_EQ(r->errors.size(), 2u);
  EXPECT_EQ(kb_->List()->front().id, "returns.md");
  EXPECT_EQ(kb_->ImportPaths({(dir_.path() / "missing").string()}, {}).status().code(),
            StatusCode::kNotFound);
}

TEST_F(KnowledgeBaseTest, AnswerGivesTheFaqAnswerOrAdmitsItDoesNotKnow) {
  ASSERT_OK_RESULT(kb_->Import(ShopDocs()));
  KbAnswer a = kb_->Answer("退回去的快递费要我自己付吗", "zh");
  ASSERT_TRUE(a.found);
  EXPECT_TRUE(a.from_faq);
  EXPECT_EQ(a.doc_id, "faq-return-fee");
  EXPECT_NE(a.text.find("买家承担"), std::string::npos);

  KbAnswer unknown = kb_->Answer("你们支持火星配送吗", "zh");
  EXPECT_FALSE(unknown.found);
  EXPECT_TRUE(unknown.text.empty());
}

TEST_F(KnowledgeBaseTest, AnswerUsesThePassageOfAPolicy) {
  ASSERT_OK_RESULT(kb_->Import(ShopDocs()));
  KbAnswer a = kb_->Answer("Is water damage covered by the warranty?", "en");
  ASSERT_TRUE(a.found);
  EXPECT_FALSE(a.from_faq);
  EXPECT_EQ(a.title, "Warranty");
  EXPECT_NE(a.text.find("Accidental damage"), std::string::npos);
}

}  // namespace
}  // namespace kefu::kb

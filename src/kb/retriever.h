// Hybrid retrieval over knowledge-base chunks: BM25 over CJK-aware terms and dense vectors,
// fused by reciprocal rank, then reranked with question-to-question similarity for FAQ pairs,
// title and heading matches, and query coverage.
//
//   Retriever r({.embedder = embedder});          // embedder may be null: BM25 only
//   r.Upsert(doc, ChunkDocument(doc, {}));
//   for (const Hit& h : r.Search("退货运费谁出", {.k = 5})) {
//     // h.doc_id, h.title, h.heading_path, h.text, h.score, h.confidence
//   }
//
// FAQ documents are indexed twice: their chunk (question and answer) like any other chunk, and
// each stored question and paraphrase as a question entry, so that a shopper's question is
// matched against the ways the question was already asked. Stored questions also carry their
// pinyin (kb/tokenizer.h AppendPinyinTerms), so homophone slips and pinyin typed with the input
// method off still meet them. A query that is all pinyin is read back into the stored
// questions' words ("tuihuo yunfei" -> 退货运费) and searched as that Chinese among Chinese
// documents, or by its syllables alone when too little of it reads back.
//
// Thread-safety: Search and QuestionSimilarity may run concurrently with each other; Upsert,
// UpsertBatch and Remove take an exclusive lock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/status.h"
#include "kb/document.h"

namespace kefu::kb {

class Embedder;

struct SearchFilter {
  std::string lang;               // "" = any
  std::string category;           // "" = any
  std::vector<std::string> tags;  // a chunk must carry every tag listed
};

enum class SearchMode { kHybrid, kBm25, kVector };

// "hybrid", "bm25", "vector".
std::string_view SearchModeName(SearchMode mode);

struct SearchOptions {
  size_t k = 5;
  SearchFilter filter{};
  SearchMode mode = SearchMode::kHybrid;
};

struct Hit {
  std::string doc_id;
  int ordinal = 0;
  std::string title;
  std::string heading_path;
  std::string text;
  std::string lang;
  std::string category;
  DocFormat format = DocFormat::kText;
  double score = 0;       // the ranking score (fused and reranked in hybrid mode)
  double confidence = 0;  // 0..1: how surely this chunk answers the query
  double bm25 = 0;        // raw component scores, 0 when that retriever did not return it
  double cosine = 0;
  // FAQ chunks: the similarity (0..1) of the query to the closest stored question or
  // paraphrase, that question, and the answer to give.
  double faq_similarity = 0;
  double asked = 0;  // the question model's probability that the query asks this FAQ
  std::string matched_question;
  std::string faq_answer;
};

struct RetrieverOptions {
  std::shared_ptr<const Embedder> embedder{};  // null: lexical retrieval only
  size_t candidates = 50;                      // per retriever, before fusion
  double rrf_k = 60;
  double title_weight = 2.0;  // BM25 field weight of the title and heading path
  // Hybrid ranking: the weighted reciprocal-rank fusion of the lexical lists (chunks and stored
  // questions by BM25) and the vector lists, normalized to [0, 1], plus rerank_weight times the
  // hit's confidence (question similarity, query coverage and cosine).
  // Defaults chosen on a held-out paraphrase of each demo FAQ and on half of StackFAQ (see
  // bench/results/retrieval.md), never on the evaluation queries.
  double lexical_weight = 1.0;
  double vector_weight = 0.5;
  double rerank_weight = 2.0;
  // The question model (RefreshQuestionModel): in hybrid mode an FAQ's score gains this times
  // the model's probability that the query asks that FAQ, and the model's top FAQs are always
  // among the candidates. 0 turns it off. Chosen on a held-out paraphrase of each demo FAQ
  // (0.25-4 tried; 0.5-1 best, recall@1 0.657 -> 0.711 at 0.5), never on the evaluation queries.
  double question_model_weight = 0.5;
  // A model file written by SaveQuestionModel (e.g. trained at build time for the demo shop's
  // FAQ), used instead of training when its question set is the indexed one. Empty: none.
  std::string question_model_path{};
  // Threads for UpsertBatch: a large batch's terms and vectors are computed, and its vectors
  // inserted into HNSW, on this many threads. 0: one per core (at most 8).
  int import_threads = 0;
};

// One document and its chunks, for Retriever::UpsertBatch.
struct DocChunks {
  const KbDocument* doc = nullptr;
  std::span<const Chunk> chunks;
};

// What RefreshQuestionModel did.
enum class QuestionModelRefresh { kUnchanged, kLoaded, kTrained, kNone };

class Retriever {
 public:
  explicit Retriever(RetrieverOptions options);
  ~Retriever();
  Retriever(const Retriever&) = delete;
  Retriever& operator=(const Retriever&) = delete;

  // Indexes the document's chunks, replacing whatever was indexed under doc.id. An embedder
  // error is returned and leaves the previous version indexed.
  Status Upsert(const KbDocument& doc, std::span<const Chunk> chunks);
  // Upsert of each document, in order (a document repeated in the batch ends as its last
  // version), under one exclusive lock. Terms and vectors are computed before the lock on up to
  // options.import_threads threads, and the batch's vectors go into HNSW together
  // (VectorIndex::AddBatch: in parallel for a large index). An embedder error is returned before
  // anything of the batch is indexed. Importers should pass a few hundred documents at a time.
  Status UpsertBatch(std::span<const DocChunks> docs);
  // Removes every chunk of the document; false when nothing was indexed under that id.
  bool Remove(std::string_view doc_id);

  // Chinese typed in pinyin, read back into the wording of the stored questions: "tuihuo yunfei
  // shei chu" -> "退货运费谁出". Syllables are matched longest first, across the typed spaces
  // ("tui kuan" reads like "tuikuan"), against every stretch of up to four characters of the
  // stored questions; a reading several stretches share goes to the one most questions hold.
  // Digits and punctuation stay where they were; syllables nothing covers stay as typed. Empty
  // when `text` does not look like pinyin (text::LooksLikePinyin) or less than two thirds of its
  // syllables read back: then it is not about what the questions say, and characters forced
  // onto it would match by accident.
  std::string ReadPinyin(std::string_view text) const;

  // At most options.k hits, best first. Empty for a query with no searchable terms.
  std::vector<Hit> Search(std::string_view query, const SearchOptions& options) const;

  // How alike two questions are, 0..1: cosine of their embeddings combined with IDF-weighted
  // term overlap (IDF from the indexed question entries and chunks).
  double QuestionSimilarity(std::string_view a, std::string_view b) const;

  // The question model: a classifier from a shopper's question to the FAQ it asks (the intent
  // classifier of nlu/, linear plus hidden layer), trained on every stored question and
  // paraphrase with the FAQ's id as its label. It learns which words tell one FAQ from its
  // neighbours, where BM25 and the vectors only measure closeness. Call after a batch of
  // Upserts: it does nothing when the set of questions is the one the model was made from,
  // loads options.question_model_path when that file was made from this set, and otherwise
  // trains (seeded; about a second per thousand questions on one core). No model with fewer
  // than 2 or more than kMaxQuestionModelFaqs FAQs, more than kMaxQuestionModelQuestions
  // questions, or more than kMaxQuestionModelCells distinct features x FAQs: the linear part
  // holds one weight per cell, and training about 16 bytes per cell (the demo: 21k features x
  // 204 FAQs, 4.4M cells, a 17 MB model). Searches go on meanwhile; removed FAQs are skipped
  // until the next refresh.
  static constexpr size_t kMaxQuestionModelFaqs = 5000;
  static constexpr size_t kMaxQuestionModelQuestions = 100000;
  static constexpr size_t kMaxQuestionModelCells = 16'000'000;
  Result<QuestionModelRefresh> RefreshQuestionModel();
  // Writes the current question model with the fingerprint of its question set;
  // kFailedPrecondition when there is none.
  Status SaveQuestionModel(const std::string& path) const;
  bool has_question_model() const;

  size_t document_count() const;
  size_t chunk_count() const;
  const RetrieverOptions& options() const { return options_; }

 private:
  struct Index;
  bool RemoveLocked(std::string_view doc_id);  // REQUIRES: mutex_ held exclusively

  struct QuestionModel;
  // The indexed questions as (FAQ id, normalized text), in a stable order, and their fingerprint.
  std::vector<std::pair<std::string, std::string>> QuestionSet(std::string* fingerprint) const;

  RetrieverOptions options_;
  mutable std::shared_mutex mutex_;
  std::unique_ptr<Index> index_;
  std::shared_ptr<const QuestionModel> question_model_;  // guarded by mutex_
};

}  // namespace kefu::kb

// An in-memory BM25 inverted index over chunks, keyed by the caller's uint32 chunk key. Terms
// come from kb/tokenizer.h; the index itself does no text processing.
//
//   Bm25Index index;
//   std::vector<std::string> title = KbTerms(chunk.heading_path);
//   std::vector<std::string> body = KbTerms(chunk.text);
//   const Bm25Field fields[] = {{title, 2.0f}, {body, 1.0f}};
//   index.Add(chunk_key, fields);                  // re-adding a key replaces it
//   std::vector<Bm25Hit> hits = index.Search(KbTerms(question), 10);
//   float confidence = index.QueryCoverage(KbTerms(question), hits[0].key);
//   index.Remove(chunk_key);
//
// Scoring is Okapi BM25 with Lucene's idf, ln(1 + (N - df + 0.5) / (df + 0.5)), over one
// pseudo-document per key in which each field's terms count `weight` times (a light BM25F):
// tf is the weighted term count and the document length the weighted term total. A query term
// counts once however often it is repeated. Removal is immediate for scores and statistics;
// the postings it leaves behind are skipped and purged by compaction (automatic once a
// quarter of the slots are dead, or Compact()).
//
// Search is exact (the same top k as scoring every document): it scores term at a time, rarest
// first, and once the terms left cannot lift an unseen document into the top k it only updates
// the documents that still can (Turtle and Flood's max-score idea, with per-term score bounds).
// Cost at 1M synthetic chunks of about 60 terms (bench/results/retrieval_scale.md): a top 10
// in about 0.6 ms at p50 and 4 ms of CPU at p99; about 550 bytes of memory per chunk.
//
// Thread-safety: not internally synchronized. Const methods (Search, QueryCoverage, idf, ...)
// may run concurrently with each other; Add, Remove and Compact need exclusive access (the
// caller holds a std::shared_mutex: shared for search, unique for writes). Search keeps a
// per-thread scratch array of one float per slot (4 MB per searching thread at 1M chunks).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace kefu::kb {

struct Bm25Options {
  float k1 = 1.2f;  // tf saturation: larger lets repeated terms keep adding
  float b = 0.75f;  // length normalization: 0 none, 1 full
  // Compact automatically when dead slots exceed this fraction of all slots (and number at
  // least kMinDeadToCompact); 0 turns automatic compaction off.
  float auto_compact_dead_fraction = 0.25f;
  // Distinct query terms beyond this are ignored, keeping the rarest (highest idf); bounds the
  // cost of a pasted document as a query.
  size_t max_query_terms = 1024;
};

// One field of a document: its terms (duplicates count) and how much each occurrence weighs.
struct Bm25Field {
  std::span<const std::string> terms;
  float weight = 1.0f;  // REQUIRES: > 0
};

struct Bm25Hit {
  uint32_t key = 0;
  float score = 0;
  bool operator==(const Bm25Hit&) const = default;
};

class Bm25Index {
 public:
  static constexpr size_t kMinDeadToCompact = 1024;

  Bm25Index() = default;
  explicit Bm25Index(const Bm25Options& options) : options_(options) {}
  Bm25Index(const Bm25Index&) = delete;
  Bm25Index& operator=(const Bm25Index&) = delete;
  Bm25Index(Bm25Index&&) = default;
  Bm25Index& operator=(Bm25Index&&) = default;

  // Indexes `doc_key` with the given fields, replacing what it held. A document with no terms
  // is counted in size() but never matches.
  void Add(uint32_t doc_key, std::span<const Bm25Field> fields);
  // One field.
  void Add(uint32_t doc_key, std::span<const std::string> terms, float field_boost = 1.0f);

  // Removes `doc_key`; returns false when it was not indexed. Its terms' document frequencies,
  // the document count and the average length are updated at once. May run Compact (see
  // Bm25Options::auto_compact_dead_fraction).
  bool Remove(uint32_t doc_key);

  // The best `k` documents for the query, by score descending and then key ascending. Only
  // documents holding at least one query term are returned; `filter`, when given, is called
  // at most once per matching document and excludes those it returns false for.
  std::vector<Bm25Hit> Search(std::span<const std::string> query_terms, size_t k,
                              const std::function<bool(uint32_t)>* filter = nullptr) const;

  // The BM25 score of one document for the query (0 when it holds none of the terms or is not
  // indexed); equals its score in Search.
  float Score(std::span<const std::string> query_terms, uint32_t doc_key) const;

  // The share of the query's idf mass that `doc_key` contains, in [0, 1]: the sum of idf over
  // the distinct query terms it holds, divided by the sum over all distinct query terms (terms
  // the index has never seen count with the largest idf, so a question about something the
  // knowledge base does not mention scores low). 0 for an empty query or an unknown key.
  float QueryCoverage(std::span<const std::string> query_terms, uint32_t doc_key) const;

  // Lucene's BM25 idf of `term` over the live documents; a term no live document holds gets
  // the largest value, ln(1 + (N + 0.5) / 0.5). 0 when the index is empty.
  float idf(std::string_view term) const;
  // Number of live documents holding `term`.
  uint32_t df(std::string_view term) const;

  bool Contains(uint32_t doc_key) const { return key_to_slot_.contains(doc_key); }
  // Live documents.
  size_t size() const { return key_to_slot_.size(); }
  // Distinct terms held by at least one live document.
  size_t term_count() const { return live_terms_; }
  // Average weighted document length over live documents.
  double average_length() const { return size() == 0 ? 0.0 : total_length_ / size(); }
  // Approximate heap bytes held (postings, per-document term lists, dictionary).
  size_t memory_bytes() const;

  // Purges postings of removed documents, renumbers slots densely, tightens the score bounds
  // and returns spare capacity. O(total postings): about 1.5 s at 1M chunks. Search results
  // do not change.
  void Compact();

  const Bm25Options& options() const { return options_; }

 private:
  struct Posting {
    uint32_t slot;
    float tf;  // weighted term frequency
  };
  struct TermEntry {
    std::vector<Posting> postings;  // by slot ascending; may hold dead slots until Compact
    uint32_t df = 0;                // live documents holding the term
    // Over its postings, for Search's score bound; removal leaves them (still bounds).
    float max_tf = 0.0f;
    float min_length = std::numeric_limits<float>::infinity();
  };
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  // A query term resolved against the dictionary.
  struct QueryTerm {
    uint32_t id;
    float idf;
  };

  float IdfForDf(uint32_t df) const;
  // {k1 * (1 - b), k1 * b / avgdl}: BM25's tf denominator is tf + first + second * length.
  std::pair<float, float> LengthNorm() const;
  const TermEntry* FindTerm(std::string_view term) const;
  uint32_t InternTerm(const std::string& term);
  // Distinct query terms the index holds (df > 0), rarest first, at most max_query_terms.
  std::vector<QueryTerm> ResolveQuery(std::span<const std::string> query_terms) const;
  std::span<const uint32_t> SlotTerms(uint32_t slot) const;

  Bm25Options options_;

  std::unordered_map<std::string, uint32_t, StringHash, std::equal_to<>> term_ids_;
  std::vector<TermEntry> terms_;  // by term id
  size_t live_terms_ = 0;

  // Per slot. A slot is given to each Add and never reused before Compact, so postings are
  // always sorted by slot.
  std::vector<uint32_t> slot_key_;
  std::vector<float> slot_length_;    // weighted length
  std::vector<uint8_t> slot_live_;    // 0 once removed
  std::vector<uint64_t> slot_terms_;  // offset of its sorted distinct term ids in term_arena_
  std::vector<uint32_t> slot_term_count_;
  std::vector<uint32_t> term_arena_;
  std::unordered_map<uint32_t, uint32_t> key_to_slot_;  // live keys only
  size_t dead_slots_ = 0;
  double total_length_ = 0;  // over live documents

  // Add's scratch: weighted tf by term id, and the ids touched.
  std::vector<float> add_tf_;
  std::vector<uint32_t> add_ids_;
};

}  // namespace kefu::kb

#include "kb/retriever.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "core/file_util.h"
#include "core/logging.h"
#include "core/sha256.h"
#include "kb/bm25.h"
#include "kb/embedder.h"
#include "kb/tokenizer.h"
#include "kb/vector_index.h"
#include "nlu/intent_classifier.h"
#include "text/normalize.h"
#include "text/pinyin.h"
#include "text/segmenter.h"

namespace kefu::kb {

std::string_view SearchModeName(SearchMode mode) {
  switch (mode) {
    case SearchMode::kHybrid:
      return "hybrid";
    case SearchMode::kBm25:
      return "bm25";
    case SearchMode::kVector:
      return "vector";
  }
  return "hybrid";
}

namespace {

// UpsertBatch starts another preparing thread for each this many chunks of a batch.
constexpr size_t kChunksPerImportThread = 32;

// RetrieverOptions::import_threads, with 0 read as one per core (at most 8).
int ImportThreads(int configured) {
  if (configured > 0) {
    return configured;
  }
  return int(std::clamp(std::thread::hardware_concurrency(), 1u, 8u));
}

// How many fused candidates the reranker looks at.
constexpr size_t kRerankDepth = 40;
// The question model's FAQs considered per query.
constexpr int kQuestionModelTop = 10;
// Bumped when the question model's recipe changes, so that an old file is not taken for the
// model of the same questions.
constexpr char kQuestionModelRecipe[] = "kefu-question-model-1";
constexpr char kQuestionModelMagic[8] = {'K', 'E', 'F', 'U', 'Q', 'M', 'D', '1'};

struct ChunkEntry {
  bool live = false;
  std::string doc_id;
  int ordinal = 0;
  std::string title;
  std::string heading_path;
  std::string text;
  std::string lang;
  std::string category;
  std::vector<std::string> tags;
  DocFormat format = DocFormat::kText;
  std::string faq_answer;
  std::vector<uint32_t> questions;  // question keys of an FAQ chunk
};

struct QuestionEntry {
  bool live = false;
  uint32_t chunk = 0;
  std::string text;
  std::vector<std::string> terms;   // distinct KbTerms and pinyin terms
  std::vector<std::string> pinyin;  // distinct pinyin terms alone, to compare with a pinyin query
  std::vector<PinyinWord> words;    // its Chinese words with their readings (Index::pinyin_words)
  // `terms` and `pinyin` as ids of Index::term_ids, ascending: the rerank compares a query with
  // every stored way of asking each candidate FAQ, so it looks terms up by number, not by text.
  std::vector<uint32_t> term_ids;
  std::vector<uint32_t> pinyin_ids;
};

struct DocEntry {
  std::vector<uint32_t> chunks;
  std::vector<uint32_t> questions;
};

// Distinct terms of a term list, sorted (for set overlap).
std::vector<std::string> Distinct(std::vector<std::string> terms) {
  std::sort(terms.begin(), terms.end());
  terms.erase(std::unique(terms.begin(), terms.end()), terms.end());
  return terms;
}

std::string EmbeddingText(const Chunk& chunk, const KbDocument& doc) {
  std::string out = doc.title;
  if (!chunk.heading_path.empty() && chunk.heading_path != doc.title) {
    out += "\n" + chunk.heading_path;
  }
  out += "\n" + chunk.text;
  return out;
}

}  // namespace

struct Retriever::Index {
  explicit Index(const RetrieverOptions& options) {
    if (options.embedder != nullptr && options.embedder->dim() > 0) {
      dim = options.embedder->dim();
      chunk_vectors = std::make_unique<VectorIndex>(dim, VectorIndexOptions{});
      question_vectors = std::make_unique<VectorIndex>(dim, VectorIndexOptions{});
    }
  }

  int dim = 0;
  std::vector<ChunkEntry> chunks;  // by chunk key
  std::vector<QuestionEntry> questions;
  std::vector<std::vector<float>> question_vecs;  // by question key (empty without embedder)
  std::vector<float> chunk_vecs;                  // chunk key * dim
  std::unordered_map<std::string, DocEntry> docs;
  size_t live_chunks = 0;
  Bm25Index chunk_bm25;
  Bm25Index question_bm25;
  // Every term of a stored question, numbered in order of first sight (ids stay when questions
  // go), and the text of each id.
  std::unordered_map<std::string, uint32_t> term_ids;
  std::vector<std::string> term_texts;

  std::vector<uint32_t> TermIds(const std::vector<std::string>& terms) {
    std::vector<uint32_t> ids;
    ids.reserve(terms.size());
    for (const std::string& t : terms) {
      auto [it, inserted] = term_ids.try_emplace(t, static_cast<uint32_t>(term_texts.size()));
      if (inserted) {
        term_texts.push_back(t);
      }
      ids.push_back(it->second);
    }
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    return ids;
  }
  // The stored questions' Chinese words by reading: reading -> word -> how many questions hold
  // it. ReadPinyin turns pinyin typed by a shopper back into these words.
  std::unordered_map<std::string, std::map<std::string, uint32_t>> pinyin_words;

  void CountWords(const std::vector<PinyinWord>& words, int delta) {
    for (const PinyinWord& w : words) {
      auto& by_word = pinyin_words[w.reading];
      uint32_t& n = by_word[w.word];
      n = uint32_t(int64_t(n) + delta);
      if (n == 0) {
        by_word.erase(w.word);
        if (by_word.empty()) {
          pinyin_words.erase(w.reading);
        }
      }
    }
  }

  // See Retriever::ReadPinyin.
  std::string ReadPinyin(std::string_view query) const {
    std::string out;
    size_t covered = 0;
    size_t total = 0;
    std::vector<std::string> syllables;  // of the letters since the last non-letter
    std::string word;
    auto split_word = [&] {
      for (std::string_view sy : text::SplitPinyin(word)) {
        syllables.emplace_back(sy);
      }
      word.clear();
    };
    auto read_syllables = [&] {
      split_word();
      total += syllables.size();
      for (size_t i = 0; i < syllables.size();) {
        size_t len = std::min<size_t>(kMaxPinyinWordChars, syllables.size() - i);
        for (; len > 0; --len) {
          std::string key;
          for (size_t k = i; k < i + len; ++k) {
            key += syllables[k];
          }
          auto it = pinyin_words.find(key);
          if (it != pinyin_words.end()) {
            const auto best =
                std::max_element(it->second.begin(), it->second.end(),
                                 [](const auto& x, const auto& y) { return x.second < y.second; });
            out += best->first;
            break;
          }
        }
        if (len == 0) {
          out += " " + syllables[i] + " ";
          ++i;
        } else {
          covered += len;
          i += len;
        }
      }
      syllables.clear();
    };
    for (const char ch : query) {
      if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')) {
        word.push_back(char(ch | 0x20));
      } else if (ch == ' ' || ch == '\'') {
        split_word();  // syllables run on across spaces: "tui kuan" is read like "tuikuan"
      } else {
        read_syllables();
        out.push_back(ch);  // digits, punctuation and the rest stay where they were
      }
    }
    read_syllables();
    return covered > 0 && covered * 3 >= total * 2 ? out : std::string();
  }
  std::unique_ptr<VectorIndex> chunk_vectors;
  std::unique_ptr<VectorIndex> question_vectors;

  std::span<const float> ChunkVec(uint32_t key) const {
    if (dim == 0 || (static_cast<size_t>(key) + 1) * dim > chunk_vecs.size()) {
      return {};
    }
    return {chunk_vecs.data() + static_cast<size_t>(key) * dim, static_cast<size_t>(dim)};
  }

  bool Matches(uint32_t key, const SearchFilter& f) const {
    if (key >= chunks.size()) {
      return false;
    }
    const ChunkEntry& c = chunks[key];
    if (!c.live || (!f.lang.empty() && c.lang != f.lang) ||
        (!f.category.empty() && c.category != f.category)) {
      return false;
    }
    for (const std::string& tag : f.tags) {
      if (std::find(c.tags.begin(), c.tags.end(), tag) == c.tags.end()) {
        return false;
      }
    }
    return true;
  }

  // IDF for question-to-question overlap, over chunks and stored questions together (a question
  // word such as 什么时候 is rare among passages but common among questions).
  double Idf(const std::string& term) const {
    const double n = static_cast<double>(chunk_bm25.size() + question_bm25.size());
    if (n == 0) {
      return 1.0;
    }
    const double df = chunk_bm25.df(term) + question_bm25.df(term);
    return std::log(1.0 + (n - df + 0.5) / (df + 0.5));
  }
};

struct Retriever::QuestionModel {
  std::string fingerprint;
  std::unique_ptr<nlu::IntentClassifier> classifier;
};

Retriever::Retriever(RetrieverOptions options)
    : options_(std::move(options)), index_(std::make_unique<Index>(options_)) {}

Retriever::~Retriever() = default;

size_t Retriever::document_count() const {
  std::shared_lock lock(mutex_);
  return index_->docs.size();
}

size_t Retriever::chunk_count() const {
  std::shared_lock lock(mutex_);
  return index_->live_chunks;
}

Status Retriever::Upsert(const KbDocument& doc, std::span<const Chunk> chunks) {
  const DocChunks one{&doc, chunks};
  return UpsertBatch(std::span<const DocChunks>(&one, 1));
}

namespace {

// What a document brings to the index, computed before the lock is taken.
struct PreparedDoc {
  std::vector<std::vector<std::string>> title_terms;  // per chunk
  std::vector<std::vector<std::string>> body_terms;   // per chunk
  std::vector<std::vector<float>> chunk_vecs;         // per chunk; empty without an embedder
  std::vector<std::string> question_texts;            // an FAQ's question and paraphrases
  std::vector<std::vector<std::string>> question_terms;
  std::vector<std::vector<std::string>> question_pinyin;
  std::vector<std::vector<PinyinWord>> question_words;
  std::vector<std::vector<float>> question_vecs;
};

// Terms of docs[begin, end), and their vectors in two EmbedBatch calls (chunks, questions), so
// that a remote embedder gets whole batches.
Status Prepare(std::span<const DocChunks> docs, size_t begin, size_t end, const Embedder* embedder,
               std::vector<PreparedDoc>& out) {
  std::vector<std::string> chunk_texts;
  std::vector<std::string> question_texts;
  for (size_t d = begin; d < end; ++d) {
    const KbDocument& doc = *docs[d].doc;
    PreparedDoc& p = out[d];
    for (const Chunk& chunk : docs[d].chunks) {
      std::string title = doc.title;
      if (!chunk.heading_path.empty() && chunk.heading_path != doc.title) {
        title += " " + chunk.heading_path;
      }
      if (embedder != nullptr && embedder->takes_tokens()) {
        // The own embedding reads the title, heading and body as KbTerms does: normalized and
        // segmented once for both (EmbeddingText's pieces, in its order).
        std::vector<text::Token> tokens = text::Segment(text::Normalize(title).text);
        p.title_terms.emplace_back();
        AppendKbTerms(tokens, p.title_terms.back());
        std::vector<text::Token> body = text::Segment(text::Normalize(chunk.text).text);
        p.body_terms.emplace_back();
        AppendKbTerms(body, p.body_terms.back());
        tokens.insert(tokens.end(), std::make_move_iterator(body.begin()),
                      std::make_move_iterator(body.end()));
        KEFU_ASSIGN_OR_RETURN(std::vector<float> vec, embedder->EmbedTokens(tokens));
        p.chunk_vecs.push_back(std::move(vec));
        continue;
      }
      p.title_terms.push_back(KbTerms(title));
      p.body_terms.push_back(KbTerms(chunk.text));
      if (embedder != nullptr) {
        chunk_texts.push_back(EmbeddingText(chunk, doc));
      }
    }
    if (doc.faq) {
      p.question_texts.push_back(doc.faq->question);
      for (const std::string& q : doc.faq->paraphrases) {
        if (!q.empty()) {
          p.question_texts.push_back(q);
        }
      }
    }
    for (const std::string& q : p.question_texts) {
      p.question_terms.emplace_back();
      p.question_pinyin.emplace_back();
      p.question_words.emplace_back();
      KbTermsAndPinyin(q, p.question_terms.back(), p.question_pinyin.back(),
                       &p.question_words.back());
      p.question_terms.back().insert(p.question_terms.back().end(),
                                     p.question_pinyin.back().begin(),
                                     p.question_pinyin.back().end());
      if (embedder != nullptr) {
        question_texts.push_back(q);
      }
    }
  }
  if (embedder == nullptr) {
    return OkStatus();
  }
  KEFU_ASSIGN_OR_RETURN(std::vector<std::vector<float>> chunk_vecs,
                        embedder->EmbedBatch(chunk_texts));
  KEFU_ASSIGN_OR_RETURN(std::vector<std::vector<float>> question_vecs,
                        embedder->EmbedBatch(question_texts));
  size_t c = 0;
  size_t q = 0;
  for (size_t d = begin; d < end; ++d) {
    PreparedDoc& p = out[d];
    for (size_t i = p.chunk_vecs.size(); i < docs[d].chunks.size(); ++i) {
      p.chunk_vecs.push_back(std::move(chunk_vecs.at(c++)));
    }
    for (size_t i = 0; i < p.question_texts.size(); ++i) {
      p.question_vecs.push_back(std::move(question_vecs.at(q++)));
    }
  }
  return OkStatus();
}

}  // namespace

Status Retriever::UpsertBatch(std::span<const DocChunks> docs) {
  if (docs.empty()) {
    return OkStatus();
  }
  // Terms and vectors are computed before taking the lock (searches go on meanwhile), by
  // several threads for a large batch, each on a contiguous run of documents.
  const Embedder* embedder = index_->dim > 0 ? options_.embedder.get() : nullptr;
  size_t chunk_total = 0;
  for (const DocChunks& d : docs) {
    chunk_total += d.chunks.size();
  }
  const size_t threads = std::clamp<size_t>(chunk_total / kChunksPerImportThread, 1,
                                            size_t(ImportThreads(options_.import_threads)));
  std::vector<PreparedDoc> prepared(docs.size());
  {
    std::vector<Status> statuses(threads);
    std::vector<std::thread> pool;
    for (size_t t = 0; t < threads; ++t) {
      const size_t begin = docs.size() * t / threads;
      const size_t end = docs.size() * (t + 1) / threads;
      auto run = [&, t, begin, end] {
        statuses[t] = Prepare(docs, begin, end, embedder, prepared);
      };
      if (t + 1 == threads) {
        run();
      } else {
        pool.emplace_back(run);
      }
    }
    for (std::thread& th : pool) {
      th.join();
    }
    for (const Status& st : statuses) {
      KEFU_RETURN_IF_ERROR(st);
    }
  }

  std::unique_lock lock(mutex_);
  Index& ix = *index_;
  // Vectors go into HNSW together at the end (VectorIndex::AddBatch, in parallel when large).
  std::vector<uint32_t> chunk_keys;
  std::vector<float> chunk_flat;
  std::vector<uint32_t> question_keys;
  std::vector<float> question_flat;
  for (size_t d = 0; d < docs.size(); ++d) {
    const KbDocument& doc = *docs[d].doc;
    const std::span<const Chunk> chunks = docs[d].chunks;
    PreparedDoc& p = prepared[d];
    RemoveLocked(doc.id);
    DocEntry entry;
    for (size_t i = 0; i < chunks.size(); ++i) {
      const auto key = static_cast<uint32_t>(ix.chunks.size());
      ChunkEntry c;
      c.live = true;
      c.doc_id = doc.id;
      c.ordinal = chunks[i].ordinal;
      c.title = doc.title;
      c.heading_path = chunks[i].heading_path;
      c.text = chunks[i].text;
      c.lang = doc.lang;
      c.category = doc.category;
      c.tags = doc.tags;
      c.format = doc.format;
      if (doc.faq) {
        c.faq_answer = doc.faq->answer;
      }
      const Bm25Field fields[] = {{p.title_terms[i], static_cast<float>(options_.title_weight)},
                                  {p.body_terms[i], 1.0f}};
      ix.chunk_bm25.Add(key, fields);
      if (ix.dim > 0) {
        ix.chunk_vecs.insert(ix.chunk_vecs.end(), p.chunk_vecs[i].begin(), p.chunk_vecs[i].end());
        chunk_keys.push_back(key);
        chunk_flat.insert(chunk_flat.end(), p.chunk_vecs[i].begin(), p.chunk_vecs[i].end());
      }
      ix.chunks.push_back(std::move(c));
      entry.chunks.push_back(key);
      ++ix.live_chunks;
    }
    // Question entries point at the FAQ's first chunk (the one holding its question).
    if (!entry.chunks.empty()) {
      const uint32_t chunk = entry.chunks.front();
      for (size_t i = 0; i < p.question_texts.size(); ++i) {
        const auto qkey = static_cast<uint32_t>(ix.questions.size());
        ix.question_bm25.Add(qkey, p.question_terms[i]);
        ix.CountWords(p.question_words[i], +1);
        QuestionEntry q{true,
                        chunk,
                        p.question_texts[i],
                        Distinct(p.question_terms[i]),
                        Distinct(p.question_pinyin[i]),
                        std::move(p.question_words[i]),
                        {},
                        {}};
        q.term_ids = ix.TermIds(q.terms);
        q.pinyin_ids = ix.TermIds(q.pinyin);
        ix.questions.push_back(std::move(q));
        if (ix.dim > 0) {
          question_keys.push_back(qkey);
          question_flat.insert(question_flat.end(), p.question_vecs[i].begin(),
                               p.question_vecs[i].end());
          ix.question_vecs.push_back(std::move(p.question_vecs[i]));
        } else {
          ix.question_vecs.emplace_back();
        }
        ix.chunks[chunk].questions.push_back(qkey);
        entry.questions.push_back(qkey);
      }
    }
    ix.docs[doc.id] = std::move(entry);
  }
  if (ix.dim > 0) {
    // A document repeated in the batch removed its earlier version's entries above; their
    // vectors are left out rather than indexed for dead keys.
    auto drop_dead = [&](std::vector<uint32_t>& keys, std::vector<float>& flat, auto live) {
      const auto dim = size_t(ix.dim);
      size_t kept = 0;
      for (size_t i = 0; i < keys.size(); ++i) {
        if (live(keys[i])) {
          keys[kept] = keys[i];
          std::copy_n(flat.begin() + long(i * dim), dim, flat.begin() + long(kept * dim));
          ++kept;
        }
      }
      keys.resize(kept);
      flat.resize(kept * dim);
    };
    drop_dead(chunk_keys, chunk_flat, [&](uint32_t k) { return ix.chunks[k].live; });
    drop_dead(question_keys, question_flat, [&](uint32_t k) { return ix.questions[k].live; });
    const int hnsw_threads = ImportThreads(options_.import_threads);
    KEFU_RETURN_IF_ERROR(ix.chunk_vectors->AddBatch(chunk_keys, chunk_flat, hnsw_threads));
    KEFU_RETURN_IF_ERROR(ix.question_vectors->AddBatch(question_keys, question_flat, hnsw_threads));
  }
  return OkStatus();
}

bool Retriever::Remove(std::string_view doc_id) {
  std::unique_lock lock(mutex_);
  return RemoveLocked(doc_id);
}

bool Retriever::RemoveLocked(std::string_view doc_id) {
  Index& ix = *index_;
  auto it = ix.docs.find(std::string(doc_id));
  if (it == ix.docs.end()) {
    return false;
  }
  for (uint32_t key : it->second.chunks) {
    ix.chunk_bm25.Remove(key);
    if (ix.chunk_vectors) {
      ix.chunk_vectors->Remove(key);
    }
    // The slot stays (keys are never reused) but its text is released.
    ix.chunks[key] = ChunkEntry{};
    --ix.live_chunks;
  }
  for (uint32_t qkey : it->second.questions) {
    ix.CountWords(ix.questions[qkey].words, -1);
    ix.question_bm25.Remove(qkey);
    if (ix.question_vectors) {
      ix.question_vectors->Remove(qkey);
    }
    ix.questions[qkey] = QuestionEntry{};
    ix.question_vecs[qkey] = {};
  }
  ix.docs.erase(it);
  return true;
}

namespace {

// IDF-weighted Dice overlap of two distinct, sorted term lists (texts, or ids).
template <typename Term, typename IdfFn>
double WeightedOverlap(const std::vector<Term>& a, const std::vector<Term>& b, const IdfFn& idf) {
  if (a.empty() || b.empty()) {
    return 0;
  }
  double total = 0;
  double shared = 0;
  size_t i = 0;
  size_t j = 0;
  while (i < a.size() || j < b.size()) {
    if (j == b.size() || (i < a.size() && a[i] < b[j])) {
      total += idf(a[i++]);
    } else if (i == a.size() || b[j] < a[i]) {
      total += idf(b[j++]);
    } else {
      const double w = idf(a[i]);
      shared += 2 * w;
      total += 2 * w;
      ++i;
      ++j;
    }
  }
  return total > 0 ? shared / total : 0;
}

double Dot(std::span<const float> a, std::span<const float> b) {
  if (a.empty() || a.size() != b.size()) {
    return 0;
  }
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    s += static_cast<double>(a[i]) * b[i];
  }
  return s;
}

// Combines lexical overlap and embedding cosine into one similarity in [0, 1].
double Blend(double lexical, double cosine, bool has_vectors) {
  if (!has_vectors) {
    return lexical;
  }
  return 0.5 * lexical + 0.5 * std::max(0.0, cosine);
}

}  // namespace

double Retriever::QuestionSimilarity(std::string_view a, std::string_view b) const {
  std::vector<std::string> ta;
  std::vector<std::string> tb;
  KbTermsAndPinyin(a, ta, ta);
  KbTermsAndPinyin(b, tb, tb);
  ta = Distinct(std::move(ta));
  tb = Distinct(std::move(tb));
  double cosine = 0;
  const bool has_vectors = index_->dim > 0;
  if (has_vectors) {
    Result<std::vector<float>> va = options_.embedder->Embed(a);
    Result<std::vector<float>> vb = options_.embedder->Embed(b);
    if (va.ok() && vb.ok()) {
      cosine = Dot(*va, *vb);
    }
  }
  std::shared_lock lock(mutex_);
  const Index& ix = *index_;
  auto idf = [&](const std::string& t) { return ix.Idf(t); };
  return Blend(WeightedOverlap(ta, tb, idf), cosine, has_vectors);
}

std::string Retriever::ReadPinyin(std::string_view text) const {
  if (!text::LooksLikePinyin(text)) {
    return {};
  }
  std::shared_lock lock(mutex_);
  return index_->ReadPinyin(text);
}

std::vector<Hit> Retriever::Search(std::string_view query, const SearchOptions& options) const {
  std::vector<Hit> hits;
  if (options.k == 0) {
    return hits;
  }
  // Chinese typed in pinyin ("huabei fenqi tuikuan") is first read back into the words of the
  // stored questions ("花呗分期退款") and searched as that Chinese text, among Chinese documents.
  // When too little of it reads back, it is searched by its syllables only: the embedding and
  // the question model would read it as unknown Latin words and only add noise.
  const bool typed_pinyin = text::LooksLikePinyin(query);
  const std::string read_back = typed_pinyin ? ReadPinyin(query) : std::string();
  if (!read_back.empty()) {
    query = read_back;
  }
  const bool pinyin_query = typed_pinyin && read_back.empty();
  std::vector<std::string> terms;
  std::vector<std::string> pinyin;
  KbTermsAndPinyin(query, terms, pinyin);
  const std::vector<std::string> distinct_terms = Distinct(terms);
  // Stored questions are matched on their pinyin too; passages are not. Chinese typed in pinyin
  // is matched on its syllables alone: its words as Latin terms meet nothing in questions
  // written in Han characters, and would only lower the overlap.
  std::vector<std::string> question_terms = pinyin_query ? pinyin : terms;
  if (!pinyin_query) {
    question_terms.insert(question_terms.end(), pinyin.begin(), pinyin.end());
  }
  const std::vector<std::string> question_distinct = Distinct(question_terms);
  std::vector<float> qvec;
  const bool want_lexical = options.mode != SearchMode::kVector;
  const bool want_vectors = options.mode != SearchMode::kBm25 && index_->dim > 0 && !pinyin_query;
  if (want_vectors) {
    Result<std::vector<float>> v = options_.embedder->Embed(query);
    if (v.ok()) {
      qvec = std::move(*v);
    } else {
      KEFU_LOG_WARN("kb search: embedding the query failed, lexical only: {}",
                    v.status().ToString());
    }
    if (std::all_of(qvec.begin(), qvec.end(), [](float x) { return x == 0; })) {
      qvec.clear();
    }
  }
  if (question_distinct.empty() && qvec.empty()) {
    return hits;
  }

  // Chinese typed in pinyin is searched among Chinese documents (its words would otherwise meet
  // English ones); a caller's own language filter stands.
  SearchFilter filter = options.filter;
  if (filter.lang.empty() && typed_pinyin) {
    filter.lang = "zh";
  }
  std::shared_lock lock(mutex_);
  const Index& ix = *index_;
  // Removed chunks and questions leave both indexes at once, so without a search filter no
  // filter is passed: a filter costs a lookup per candidate and makes hnswlib over-fetch.
  const bool unfiltered = filter.lang.empty() && filter.category.empty() && filter.tags.empty();
  const std::function<bool(uint32_t)> chunk_filter =
      unfiltered ? std::function<bool(uint32_t)>()
                 : [&](uint32_t key) { return ix.Matches(key, filter); };
  const std::function<bool(uint32_t)> question_filter =
      unfiltered ? std::function<bool(uint32_t)>() : [&](uint32_t qkey) {
        return qkey < ix.questions.size() && ix.questions[qkey].live &&
               ix.Matches(ix.questions[qkey].chunk, filter);
      };
  const std::function<bool(uint32_t)>* chunk_filter_ptr = unfiltered ? nullptr : &chunk_filter;
  const std::function<bool(uint32_t)>* question_filter_ptr =
      unfiltered ? nullptr : &question_filter;
  const size_t depth = std::max(options_.candidates, options.k);

  // Reciprocal-rank fusion of up to four ranked lists of chunk keys.
  std::unordered_map<uint32_t, double> fused;
  std::unordered_map<uint32_t, double> bm25_scores;
  double weight_total = 0;  // what a chunk ranked first in every list gets
  auto add_list = [&](const std::vector<uint32_t>& keys, double weight) {
    weight_total += weight;
    for (size_t rank = 0; rank < keys.size(); ++rank) {
      fused[keys[rank]] += weight / (options_.rrf_k + static_cast<double>(rank) + 1);
    }
  };
  const double lexical_weight = options.mode == SearchMode::kHybrid ? options_.lexical_weight : 1;
  const double vector_weight = options.mode == SearchMode::kHybrid ? options_.vector_weight : 1;
  // Question hits are mapped to their chunk; a chunk counts once per list, at its best rank.
  auto question_list = [&](const std::vector<uint32_t>& qkeys) {
    std::vector<uint32_t> keys;
    std::unordered_set<uint32_t> seen;
    for (uint32_t q : qkeys) {
      if (seen.insert(ix.questions[q].chunk).second) {
        keys.push_back(ix.questions[q].chunk);
      }
    }
    return keys;
  };
  if (want_lexical && !question_distinct.empty()) {
    std::vector<uint32_t> keys;
    for (const Bm25Hit& h : ix.chunk_bm25.Search(terms, depth, chunk_filter_ptr)) {
      keys.push_back(h.key);
      bm25_scores[h.key] = h.score;
    }
    add_list(keys, lexical_weight);
    std::vector<uint32_t> qkeys;
    for (const Bm25Hit& h : ix.question_bm25.Search(question_terms, depth, question_filter_ptr)) {
      qkeys.push_back(h.key);
    }
    add_list(question_list(qkeys), lexical_weight);
  }
  if (!qvec.empty()) {
    std::vector<uint32_t> keys;
    Result<std::vector<VectorHit>> chunk_hits = ix.chunk_vectors->Search(qvec, depth, chunk_filter);
    for (const VectorHit& h : chunk_hits.ok() ? *chunk_hits : std::vector<VectorHit>{}) {
      keys.push_back(h.key);
    }
    add_list(keys, vector_weight);
    std::vector<uint32_t> qkeys;
    Result<std::vector<VectorHit>> question_hits =
        ix.question_vectors->Search(qvec, depth, question_filter);
    for (const VectorHit& h : question_hits.ok() ? *question_hits : std::vector<VectorHit>{}) {
      qkeys.push_back(h.key);
    }
    add_list(question_list(qkeys), vector_weight);
  }
  // The question model's most likely FAQs join the candidates with their probability.
  std::unordered_map<uint32_t, double> asked;
  if (options.mode == SearchMode::kHybrid && question_model_ != nullptr &&
      options_.question_model_weight > 0 && !pinyin_query) {
    const nlu::IntentPrediction p =
        question_model_->classifier->Predict(text::Normalize(query).text, kQuestionModelTop);
    auto add = [&](const std::string& doc_id, double prob) {
      auto d = ix.docs.find(doc_id);
      if (d == ix.docs.end() || d->second.chunks.empty()) {
        return;  // removed since the model was made
      }
      const uint32_t key = d->second.chunks.front();
      if (!unfiltered && !ix.Matches(key, filter)) {
        return;
      }
      asked[key] = prob;
      fused.emplace(key, 0.0);
    };
    add(p.intent, p.confidence);
    for (const auto& [doc_id, prob] : p.alternatives) {
      add(doc_id, prob);
    }
  }
  if (fused.empty()) {
    return hits;
  }

  std::vector<std::pair<uint32_t, double>> ranked(fused.begin(), fused.end());
  std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  const bool rerank = options.mode == SearchMode::kHybrid;
  if (ranked.size() > (rerank ? std::max(kRerankDepth, options.k) : options.k)) {
    ranked.resize(rerank ? std::max(kRerankDepth, options.k) : options.k);
    for (const auto& entry : asked) {  // the question model's FAQs are always reranked
      const auto key = entry.first;    // a copy: Clang before 16 cannot capture a binding
      if (std::none_of(ranked.begin(), ranked.end(),
                       [&](const auto& r) { return r.first == key; })) {
        ranked.emplace_back(key, fused[key]);
      }
    }
  }
  // The query's terms as ids of the stored questions' terms; a term no question holds gets an
  // id past them all (it can only add to the query's side of the overlap).
  const std::vector<std::string>& query_terms = question_distinct;
  std::vector<uint32_t> query_ids;
  std::vector<double> unknown_idf;  // by id - term_texts.size()
  for (const std::string& t : query_terms) {
    auto it = ix.term_ids.find(t);
    if (it != ix.term_ids.end()) {
      query_ids.push_back(it->second);
    } else {
      query_ids.push_back(static_cast<uint32_t>(ix.term_texts.size() + unknown_idf.size()));
      unknown_idf.push_back(ix.Idf(t));
    }
  }
  std::sort(query_ids.begin(), query_ids.end());
  query_ids.erase(std::unique(query_ids.begin(), query_ids.end()), query_ids.end());
  // IDF by term id, computed once a search (the candidates' questions share most terms).
  std::unordered_map<uint32_t, double> idf_cache;
  auto idf = [&](uint32_t id) {
    if (id >= ix.term_texts.size()) {
      return unknown_idf[id - ix.term_texts.size()];
    }
    auto [it, inserted] = idf_cache.try_emplace(id, 0.0);
    if (inserted) {
      it->second = ix.Idf(ix.term_texts[id]);
    }
    return it->second;
  };
  const double rrf_max = weight_total / (options_.rrf_k + 1);
  for (const auto& [key, rrf] : ranked) {
    const ChunkEntry& c = ix.chunks[key];
    Hit h;
    h.doc_id = c.doc_id;
    h.ordinal = c.ordinal;
    h.title = c.title;
    h.heading_path = c.heading_path;
    h.text = c.text;
    h.lang = c.lang;
    h.category = c.category;
    h.format = c.format;
    h.faq_answer = c.faq_answer;
    auto b = bm25_scores.find(key);
    h.bm25 = b != bm25_scores.end() ? b->second : 0;
    h.cosine = qvec.empty() ? 0 : Dot(qvec, ix.ChunkVec(key));
    // Question-to-question similarity against every stored way of asking this FAQ.
    for (uint32_t q : c.questions) {
      const QuestionEntry& qe = ix.questions[q];
      const double lexical =
          WeightedOverlap(query_ids, pinyin_query ? qe.pinyin_ids : qe.term_ids, idf);
      const double cosine = qvec.empty() ? 0 : Dot(qvec, ix.question_vecs[q]);
      const double sim = Blend(lexical, cosine, !qvec.empty());
      if (sim > h.faq_similarity) {
        h.faq_similarity = sim;
        h.matched_question = qe.text;
      }
    }
    const double coverage =
        distinct_terms.empty() ? 0 : ix.chunk_bm25.QueryCoverage(distinct_terms, key);
    const double passage = Blend(coverage, h.cosine, !qvec.empty());
    h.confidence = std::clamp(std::max(h.faq_similarity, passage), 0.0, 1.0);
    h.score = rerank ? rrf / rrf_max + options_.rerank_weight * h.confidence : rrf;
    if (auto a = asked.find(key); a != asked.end()) {
      h.asked = a->second;
      h.score += options_.question_model_weight * a->second;
    }
    hits.push_back(std::move(h));
  }
  if (rerank) {
    std::stable_sort(hits.begin(), hits.end(),
                     [](const Hit& a, const Hit& b) { return a.score > b.score; });
  }
  // One hit per document for FAQ pairs would hide nothing; passages of one long policy may
  // fill the list, which is what a reader wants.
  if (hits.size() > options.k) {
    hits.resize(options.k);
  }
  return hits;
}

std::vector<std::pair<std::string, std::string>> Retriever::QuestionSet(
    std::string* fingerprint) const {
  std::vector<std::pair<std::string, std::string>> set;
  {
    std::shared_lock lock(mutex_);
    for (const QuestionEntry& q : index_->questions) {
      if (q.live && q.chunk < index_->chunks.size() && index_->chunks[q.chunk].live) {
        set.emplace_back(index_->chunks[q.chunk].doc_id, q.text);
      }
    }
  }
  std::sort(set.begin(), set.end());
  set.erase(std::unique(set.begin(), set.end()), set.end());
  std::string all = kQuestionModelRecipe;
  for (auto& [doc_id, text] : set) {
    text = text::Normalize(text).text;
    all += '\x1e';
    all += doc_id;
    all += '\x1f';
    all += text;
  }
  if (fingerprint != nullptr) {
    *fingerprint = Sha256Hex(all);
  }
  return set;
}

Result<QuestionModelRefresh> Retriever::RefreshQuestionModel() {
  std::string fingerprint;
  std::vector<std::pair<std::string, std::string>> set = QuestionSet(&fingerprint);
  {
    std::shared_lock lock(mutex_);
    if (question_model_ != nullptr && question_model_->fingerprint == fingerprint) {
      return QuestionModelRefresh::kUnchanged;
    }
  }
  std::unordered_set<std::string> faqs;
  for (const auto& [doc_id, text] : set) {
    faqs.insert(doc_id);
  }
  if (faqs.size() < 2 || faqs.size() > kMaxQuestionModelFaqs ||
      set.size() > kMaxQuestionModelQuestions) {
    if (faqs.size() > kMaxQuestionModelFaqs || set.size() > kMaxQuestionModelQuestions) {
      KEFU_LOG_INFO(
          "kb: {} FAQs with {} questions: over the question model's limits ({} / {}), "
          "searching without it",
          faqs.size(), set.size(), kMaxQuestionModelFaqs, kMaxQuestionModelQuestions);
    }
    std::unique_lock lock(mutex_);
    question_model_.reset();
    return QuestionModelRefresh::kNone;
  }
  std::unordered_set<uint64_t> features;
  for (const auto& [doc_id, text] : set) {
    for (uint64_t f : nlu::IntentFeatures(text)) {
      features.insert(f);
    }
  }
  if (features.size() * faqs.size() > kMaxQuestionModelCells) {
    KEFU_LOG_INFO(
        "kb: {} FAQs x {} features is over the question model's {} cells, searching "
        "without it",
        faqs.size(), features.size(), kMaxQuestionModelCells);
    std::unique_lock lock(mutex_);
    question_model_.reset();
    return QuestionModelRefresh::kNone;
  }
  auto model = std::make_shared<QuestionModel>();
  model->fingerprint = fingerprint;
  QuestionModelRefresh how = QuestionModelRefresh::kTrained;
  if (!options_.question_model_path.empty()) {
    std::ifstream in(options_.question_model_path, std::ios::binary);
    char magic[8] = {};
    std::string stored(64, '\0');
    if (in.read(magic, sizeof(magic)) && std::equal(magic, magic + 8, kQuestionModelMagic) &&
        in.read(stored.data(), 64) && stored == fingerprint) {
      Result<std::unique_ptr<nlu::IntentClassifier>> loaded =
          nlu::IntentClassifier::Load(in, options_.question_model_path);
      if (loaded.ok()) {
        model->classifier = std::move(*loaded);
        how = QuestionModelRefresh::kLoaded;
      } else {
        KEFU_LOG_WARN("kb: question model: {}", loaded.status().ToString());
      }
    }
  }
  if (model->classifier == nullptr) {
    std::vector<nlu::IntentExample> examples;
    examples.reserve(set.size());
    for (auto& [doc_id, text] : set) {
      examples.push_back({std::move(text), doc_id});
    }
    nlu::TrainOptions options;
    options.epochs = 10;
    options.hidden = 64;
    options.hidden_epochs = 10;
    const auto start = std::chrono::steady_clock::now();
    KEFU_ASSIGN_OR_RETURN(model->classifier, nlu::IntentClassifier::Train(examples, options));
    KEFU_LOG_INFO("kb: question model trained on {} questions of {} FAQs in {:.1f} s",
                  examples.size(), faqs.size(),
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::unique_lock lock(mutex_);
  question_model_ = std::move(model);
  return how;
}

Status Retriever::SaveQuestionModel(const std::string& path) const {
  std::shared_ptr<const QuestionModel> model;
  {
    std::shared_lock lock(mutex_);
    model = question_model_;
  }
  if (model == nullptr) {
    return FailedPreconditionError("no question model to save");
  }
  std::ostringstream out;
  out.write(kQuestionModelMagic, sizeof(kQuestionModelMagic));
  out << model->fingerprint;
  KEFU_RETURN_IF_ERROR(model->classifier->Save(out, path));
  return WriteFileAtomically(path, out.str());
}

bool Retriever::has_question_model() const {
  std::shared_lock lock(mutex_);
  return question_model_ != nullptr;
}

}  // namespace kefu::kb

// The own embedding: fastText skipgram word vectors, combined into SIF sentence vectors.
//
// fastText is used for training only. TrainEmbedding copies out what a sentence vector needs
// (the vocabulary with its counts, each word's vector, and the rows of the n-gram buckets that
// some vocabulary word uses) into kefu's own file, so loading is a bounds-checked read of one
// checksummed file and embedding needs no fastText object. Untrained buckets are left out on
// purpose: fastText would give an unseen word the mean of its n-gram rows whether or not any of
// them was ever trained, and an untrained row is just its random initial value.
//
// File layout (little-endian, as written by this machine):
//   "KEFUEMB1" | u32 meta_len | meta JSON | u32 n_words | n_words x (u32 len, bytes, u64 count)
//   | f32[n_words * dim] | u32 n_buckets | u32[n_buckets] ids | f32[n_buckets * dim]
//   | u32 n_components | f32[n_components * dim] | u64 FNV-1a of everything before it
#include "kb/embedder.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <fasttext/args.h>
#include <fasttext/fasttext.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "core/binary_io.h"
#include "core/file_util.h"
#include "core/random.h"
#include "core/utf8.h"
#include "text/normalize.h"
#include "text/segmenter.h"

namespace kefu::kb {

Result<std::vector<std::vector<float>>> Embedder::EmbedBatch(
    std::span<const std::string> texts) const {
  std::vector<std::vector<float>> out;
  out.reserve(texts.size());
  for (const std::string& text : texts) {
    KEFU_ASSIGN_OR_RETURN(std::vector<float> v, Embed(text));
    out.push_back(std::move(v));
  }
  return out;
}

Result<std::vector<float>> Embedder::EmbedTokens(std::span<const text::Token> /*tokens*/) const {
  return UnimplementedError("embedder " + name() + " embeds text, not tokens");
}

double Cosine(std::span<const float> a, std::span<const float> b) {
  KEFU_CHECK(a.size() == b.size());
  double dot = 0;
  double na = 0;
  double nb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    dot += double(a[i]) * double(b[i]);
    na += double(a[i]) * double(a[i]);
    nb += double(b[i]) * double(b[i]);
  }
  if (na <= 0 || nb <= 0) {
    return 0;
  }
  return dot / std::sqrt(na * nb);
}

void L2Normalize(std::span<float> v) {
  double sq = 0;
  for (float x : v) {
    sq += double(x) * double(x);
  }
  const double norm = std::sqrt(sq);
  if (!(norm > 1e-20) || !std::isfinite(norm)) {
    std::fill(v.begin(), v.end(), 0.0f);
    return;
  }
  for (float& x : v) {
    x = float(x / norm);
  }
}

namespace {

constexpr char kMagic[8] = {'K', 'E', 'F', 'U', 'E', 'M', 'B', '1'};
constexpr int kFormat = 1;
constexpr int kMaxDim = 4096;
// Digit runs longer than this (order numbers, phone numbers, amounts) all read as one token:
// their value says nothing about what the text means.
constexpr size_t kMaxNumberChars = 4;
constexpr const char* kNumberToken = "<num>";
constexpr int kPowerIterations = 200;
// The share of an unseen word's n-grams that must be trained for the word to get a vector.
constexpr double kMinKnownNgramShare = 0.5;

// The tokens a text is trained and embedded as, from its segmented, normalized text; see the
// header.
std::vector<std::string> EmbeddingTokens(std::span<const text::Token> tokens, bool han_chars) {
  std::vector<std::string> out;
  for (const text::Token& t : tokens) {
    switch (t.kind) {
      case text::TokenKind::kPunct:
      case text::TokenKind::kEmoji:
        break;
      case text::TokenKind::kNumber:
        out.push_back(t.text.size() > kMaxNumberChars ? std::string(kNumberToken) : t.text);
        break;
      case text::TokenKind::kLatin:
        out.push_back(t.text);
        break;
      case text::TokenKind::kWord: {
        const bool split = han_chars && t.end - t.start >= 2;
        std::string word = t.text;
        if (split) {
          const std::u32string cps = utf8::Decode(word);
          out.push_back(std::move(word));
          for (char32_t cp : cps) {
            if (utf8::IsHan(cp)) {
              std::string ch;
              utf8::AppendCodePoint(cp, ch);
              out.push_back(std::move(ch));
            }
          }
        } else {
          out.push_back(std::move(word));
        }
        break;
      }
    }
  }
  return out;
}

std::vector<std::string> EmbeddingTokens(std::string_view text, bool han_chars) {
  return EmbeddingTokens(text::Segment(text::Normalize(text).text), han_chars);
}

// fastText's Dictionary::hash: FNV-1a over the bytes taken as signed chars.
uint32_t FastTextHash(std::string_view s) {
  uint32_t h = 2166136261u;
  for (char c : s) {
    h = h ^ uint32_t(int8_t(c));
    h = h * 16777619u;
  }
  return h;
}

// The bucket of every character n-gram of "<word>", as fastText's Dictionary::computeSubwords
// numbers them (without its offset of nwords).
void SubwordBuckets(std::string_view word, int minn, int maxn, uint32_t buckets,
                    std::vector<uint32_t>& out) {
  out.clear();
  if (maxn <= 0 || buckets == 0) {
    return;
  }
  std::string w;
  w.reserve(word.size() + 2);
  w.push_back('<');
  w.append(word);
  w.push_back('>');
  std::string ngram;
  for (size_t i = 0; i < w.size(); ++i) {
    if ((w[i] & 0xC0) == 0x80) {
      continue;
    }
    ngram.clear();
    size_t j = i;
    for (int n = 1; j < w.size() && n <= maxn; ++n) {
      ngram.push_back(w[j++]);
      while (j < w.size() && (w[j] & 0xC0) == 0x80) {
        ngram.push_back(w[j++]);
      }
      if (n >= minn && !(n == 1 && (i == 0 || j == w.size()))) {
        out.push_back(FastTextHash(ngram) % buckets);
      }
    }
  }
}

struct Model {
  int dim = 0;
  int minn = 0;
  int maxn = 0;
  uint32_t buckets = 0;
  bool han_chars = false;
  double sif_a = 1e-3;
  int64_t ntokens = 0;
  nlohmann::json meta;  // everything above plus the training options, for the record
  std::vector<std::string> words;
  std::vector<int64_t> counts;
  std::vector<float> word_vectors;  // words.size() x dim
  std::unordered_map<std::string, uint32_t> word_index;
  std::unordered_map<uint32_t, uint32_t> bucket_row;  // bucket id -> row of bucket_vectors
  std::vector<uint32_t> bucket_ids;                   // row -> bucket id
  std::vector<float> bucket_vectors;
  std::vector<float> components;  // n x dim, each of unit length
};

// The mean of the trained n-gram rows of an unseen word; false when it has none.
bool OovVector(const Model& m, const std::string& token, std::vector<uint32_t>& subwords,
               std::vector<float>& out) {
  SubwordBuckets(token, m.minn, m.maxn, m.buckets, subwords);
  const size_t dim = size_t(m.dim);
  std::fill(out.begin(), out.end(), 0.0f);
  int found = 0;
  for (uint32_t b : subwords) {
    auto it = m.bucket_row.find(b);
    if (it == m.bucket_row.end()) {
      continue;
    }
    const float* row = &m.bucket_vectors[size_t(it->second) * dim];
    for (size_t d = 0; d < dim; ++d) {
      out[d] += row[d];
    }
    ++found;
  }
  // Hash buckets are shared, so a few of any string's n-grams land in trained buckets by
  // chance; only a word with most of its n-grams known is taken as known.
  if (found == 0 || double(found) < kMinKnownNgramShare * double(subwords.size())) {
    return false;
  }
  for (float& x : out) {
    x /= float(found);
  }
  return true;
}

// The SIF mean of the tokens' vectors; with `project`, minus the common components; then
// L2-normalized. All zeros when no token has a vector.
std::vector<float> SentenceVector(const Model& m, const std::vector<std::string>& tokens,
                                  bool project) {
  const size_t dim = size_t(m.dim);
  std::vector<double> acc(dim, 0.0);
  std::vector<float> oov(dim);
  std::vector<uint32_t> subwords;
  double weight_sum = 0;
  for (const std::string& token : tokens) {
    const float* v = nullptr;
    double p = 0;
    if (auto it = m.word_index.find(token); it != m.word_index.end()) {
      v = &m.word_vectors[size_t(it->second) * dim];
      p = double(m.counts[it->second]) / double(m.ntokens);
    } else if (OovVector(m, token, subwords, oov)) {
      v = oov.data();
    } else {
      continue;
    }
    const double w = m.sif_a / (m.sif_a + p);
    for (size_t d = 0; d < dim; ++d) {
      acc[d] += w * v[d];
    }
    weight_sum += w;
  }
  std::vector<float> out(dim, 0.0f);
  if (weight_sum <= 0) {
    return out;
  }
  for (size_t d = 0; d < dim; ++d) {
    out[d] = float(acc[d] / weight_sum);
  }
  if (project) {
    for (size_t c = 0; c * dim < m.components.size(); ++c) {
      const float* u = &m.components[c * dim];
      double dot = 0;
      for (size_t d = 0; d < dim; ++d) {
        dot += double(out[d]) * u[d];
      }
      for (size_t d = 0; d < dim; ++d) {
        out[d] = float(out[d] - dot * u[d]);
      }
    }
  }
  L2Normalize(out);
  return out;
}

class FastTextEmbedder final : public Embedder {
 public:
  explicit FastTextEmbedder(Model model) : m_(std::move(model)) {}
  FastTextEmbedder(const FastTextEmbedder&) = delete;
  FastTextEmbedder& operator=(const FastTextEmbedder&) = delete;

  int dim() const override { return m_.dim; }
  std::string name() const override { return "fasttext-skipgram-d" + std::to_string(m_.dim); }

  Result<std::vector<float>> Embed(std::string_view text) const override {
    return SentenceVector(m_, EmbeddingTokens(text, m_.han_chars), /*project=*/true);
  }
  bool takes_tokens() const override { return true; }
  Result<std::vector<float>> EmbedTokens(std::span<const text::Token> tokens) const override {
    return SentenceVector(m_, EmbeddingTokens(tokens, m_.han_chars), /*project=*/true);
  }

 private:
  const Model m_;
};

Status ValidateOptions(const EmbeddingTrainOptions& o) {
  auto bad = [](const std::string& what) { return InvalidArgumentError("embedding: " + what); };
  if (o.dim < 1 || o.dim > kMaxDim) {
    return bad("dim " + std::to_string(o.dim) + " is outside [1, " + std::to_string(kMaxDim) + "]");
  }
  if (o.epoch < 1 || o.min_count < 1 || o.window < 1 || o.negatives < 1) {
    return bad("epoch, min_count, window and negatives must be at least 1");
  }
  if (o.minn < 0 || o.maxn < o.minn || o.maxn > 16) {
    return bad("need 0 <= minn <= maxn <= 16, got minn " + std::to_string(o.minn) + " maxn " +
               std::to_string(o.maxn));
  }
  if (o.maxn > 0 && o.buckets < 1) {
    return bad("buckets must be at least 1 when maxn > 0");
  }
  if (!(o.learning_rate > 0) || !(o.sif_a > 0) || !(o.subsample > 0)) {
    return bad("learning_rate, subsample and sif_a must be positive");
  }
  if (o.common_components < 0 || o.common_components >= o.dim) {
    return bad("common_components must be in [0, dim)");
  }
  return OkStatus();
}

// Top `k` eigenvectors of the symmetric dim x dim matrix `c` (row-major), by power iteration
// with deflation from a fixed start, so the result is deterministic.
std::vector<float> TopEigenvectors(std::vector<double> c, size_t dim, int k) {
  std::vector<float> out;
  for (int comp = 0; comp < k; ++comp) {
    std::vector<double> v(dim);
    for (size_t i = 0; i < dim; ++i) {
      v[i] = 1.0 + 0.01 * double(i);
    }
    double lambda = 0;
    for (int it = 0; it < kPowerIterations; ++it) {
      std::vector<double> w(dim, 0.0);
      for (size_t i = 0; i < dim; ++i) {
        for (size_t j = 0; j < dim; ++j) {
          w[i] += c[i * dim + j] * v[j];
        }
      }
      double norm = 0;
      for (double x : w) {
        norm += x * x;
      }
      norm = std::sqrt(norm);
      if (norm <= 1e-30) {
        return out;
      }
      for (size_t i = 0; i < dim; ++i) {
        v[i] = w[i] / norm;
      }
      lambda = norm;
    }
    for (double x : v) {
      out.push_back(float(x));
    }
    for (size_t i = 0; i < dim; ++i) {
      for (size_t j = 0; j < dim; ++j) {
        c[i * dim + j] -= lambda * v[i] * v[j];
      }
    }
  }
  return out;
}

std::string Serialize(const Model& m) {
  ByteWriter w;
  w.Bytes(std::string_view(kMagic, sizeof(kMagic)));
  const std::string meta = m.meta.dump();
  w.U32(uint32_t(meta.size()));
  w.Bytes(meta);
  w.U32(uint32_t(m.words.size()));
  for (size_t i = 0; i < m.words.size(); ++i) {
    w.U32(uint32_t(m.words[i].size()));
    w.Bytes(m.words[i]);
    w.U64(uint64_t(m.counts[i]));
  }
  w.Floats(m.word_vectors);
  w.U32(uint32_t(m.bucket_ids.size()));
  for (uint32_t id : m.bucket_ids) {
    w.U32(id);
  }
  w.Floats(m.bucket_vectors);
  w.U32(uint32_t(m.components.size() / size_t(m.dim)));
  w.Floats(m.components);
  AppendChecksum(w.str());
  return std::move(w.str());
}

Result<Model> Deserialize(std::string_view bytes, const std::string& path) {
  auto bad = [&](const std::string& what) {
    return InvalidArgumentError("embedding '" + path + "': " + what);
  };
  Result<std::string_view> body = OpenChecksummed(bytes, std::string_view(kMagic, sizeof(kMagic)));
  if (!body.ok()) {
    return bad(body.status().message());
  }
  ByteReader r(*body);
  Model m;
  uint32_t meta_len = 0;
  std::string_view meta;
  if (!r.U32(meta_len) || !r.Bytes(meta_len, meta)) {
    return bad("truncated header");
  }
  try {
    m.meta = nlohmann::json::parse(meta);
    if (m.meta.at("format").get<int>() != kFormat) {
      return bad("unsupported format " + m.meta.at("format").dump());
    }
    m.dim = m.meta.at("dim").get<int>();
    m.minn = m.meta.at("minn").get<int>();
    m.maxn = m.meta.at("maxn").get<int>();
    m.buckets = m.meta.at("buckets").get<uint32_t>();
    m.han_chars = m.meta.at("han_chars").get<bool>();
    m.sif_a = m.meta.at("sif_a").get<double>();
    m.ntokens = m.meta.at("ntokens").get<int64_t>();
  } catch (const std::exception& e) {
    return bad(std::string("bad header: ") + e.what());
  }
  if (m.dim < 1 || m.dim > kMaxDim || m.ntokens < 1 || !(m.sif_a > 0)) {
    return bad("bad header values");
  }
  const size_t dim = size_t(m.dim);
  uint32_t n_words = 0;
  if (!r.U32(n_words)) {
    return bad("truncated vocabulary");
  }
  m.words.reserve(n_words);
  m.counts.reserve(n_words);
  for (uint32_t i = 0; i < n_words; ++i) {
    uint32_t len = 0;
    std::string_view word;
    uint64_t count = 0;
    if (!r.U32(len) || !r.Bytes(len, word) || !r.U64(count)) {
      return bad("truncated vocabulary");
    }
    m.word_index.emplace(std::string(word), i);
    m.words.emplace_back(word);
    m.counts.push_back(int64_t(count));
  }
  if (!r.Floats(size_t(n_words) * dim, m.word_vectors)) {
    return bad("truncated word vectors");
  }
  uint32_t n_buckets = 0;
  if (!r.U32(n_buckets)) {
    return bad("truncated buckets");
  }
  m.bucket_ids.resize(n_buckets);
  for (uint32_t i = 0; i < n_buckets; ++i) {
    if (!r.U32(m.bucket_ids[i])) {
      return bad("truncated buckets");
    }
    m.bucket_row.emplace(m.bucket_ids[i], i);
  }
  uint32_t n_components = 0;
  if (!r.Floats(size_t(n_buckets) * dim, m.bucket_vectors) || !r.U32(n_components) ||
      n_components > dim || !r.Floats(size_t(n_components) * dim, m.components) || !r.done()) {
    return bad("truncated vectors");
  }
  return m;
}

// Removes a file at scope exit.
class ScopedFile {
 public:
  explicit ScopedFile(std::string path) : path_(std::move(path)) {}
  ~ScopedFile() {
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }
  ScopedFile(const ScopedFile&) = delete;
  ScopedFile& operator=(const ScopedFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Copies what a sentence vector needs out of a trained fastText model, checking on every
// vocabulary word that SubwordBuckets() numbers n-grams exactly as fastText does.
Result<Model> ExtractModel(const fasttext::FastText& ft, const EmbeddingTrainOptions& o) {
  const std::shared_ptr<const fasttext::Dictionary> dict = ft.getDictionary();
  const std::shared_ptr<const fasttext::DenseMatrix> input = ft.getInputMatrix();
  const size_t dim = size_t(o.dim);
  const int32_t nwords = dict->nwords();
  const uint32_t buckets = o.maxn > 0 ? uint32_t(o.buckets) : 0;
  Model m;
  m.dim = o.dim;
  m.minn = o.minn;
  m.maxn = o.maxn;
  m.buckets = buckets;
  m.han_chars = o.han_chars;
  m.sif_a = o.sif_a;
  m.ntokens = std::max<int64_t>(1, dict->ntokens());
  const std::vector<int64_t> counts = dict->getCounts(fasttext::entry_type::word);
  std::vector<uint32_t> mine;
  std::vector<char> used(buckets, 0);
  for (int32_t i = 0; i < nwords; ++i) {
    std::string word = dict->getWord(i);
    if (word == fasttext::Dictionary::EOS) {
      continue;
    }
    const std::vector<int32_t>& ids = dict->getSubwords(i);
    SubwordBuckets(word, o.minn, o.maxn, buckets, mine);
    if (ids.size() != mine.size() + 1 || ids[0] != i) {
      return InternalError("embedding: n-gram count differs from fastText's for '" + word + "'");
    }
    for (size_t k = 0; k < mine.size(); ++k) {
      if (ids[k + 1] != nwords + int32_t(mine[k])) {
        return InternalError("embedding: n-gram hash differs from fastText's for '" + word + "'");
      }
      used[mine[k]] = 1;
    }
    // fastText's getWordVector: the mean of the word's own row and its n-gram rows.
    std::vector<double> acc(dim, 0.0);
    for (int32_t id : ids) {
      for (size_t d = 0; d < dim; ++d) {
        acc[d] += input->at(id, int64_t(d));
      }
    }
    m.word_index.emplace(word, uint32_t(m.words.size()));
    m.words.push_back(std::move(word));
    m.counts.push_back(counts[size_t(i)]);
    for (size_t d = 0; d < dim; ++d) {
      m.word_vectors.push_back(float(acc[d] / double(ids.size())));
    }
  }
  for (uint32_t b = 0; b < buckets; ++b) {
    if (!used[b]) {
      continue;
    }
    m.bucket_row.emplace(b, uint32_t(m.bucket_ids.size()));
    m.bucket_ids.push_back(b);
    for (size_t d = 0; d < dim; ++d) {
      m.bucket_vectors.push_back(input->at(nwords + int64_t(b), int64_t(d)));
    }
  }
  return m;
}

}  // namespace

Status TrainEmbedding(const std::vector<std::string>& corpus_texts,
                      const EmbeddingTrainOptions& options, const std::string& out_path) {
  KEFU_RETURN_IF_ERROR(ValidateOptions(options));
  {
    // Fail before training, not after, when the model cannot be written.
    const ScopedFile probe(out_path + ".probe-" + RandomHex(4));
    if (!std::ofstream(probe.path(), std::ios::binary)) {
      return UnavailableError("embedding: cannot write next to '" + out_path + "'");
    }
  }
  std::vector<std::vector<std::string>> lines;
  lines.reserve(corpus_texts.size());
  std::string corpus;
  for (const std::string& text : corpus_texts) {
    std::vector<std::string> tokens = EmbeddingTokens(text, options.han_chars);
    if (tokens.empty()) {
      continue;
    }
    for (size_t i = 0; i < tokens.size(); ++i) {
      corpus.append(tokens[i]).push_back(i + 1 < tokens.size() ? ' ' : '\n');
    }
    lines.push_back(std::move(tokens));
  }
  if (lines.empty()) {
    return InvalidArgumentError("embedding: the corpus has no words");
  }

  const ScopedFile corpus_file(
      (std::filesystem::temp_directory_path() /
       ("kefu-embed-" + std::to_string(getpid()) + "-" + RandomHex(6) + ".txt"))
          .string());
  {
    std::ofstream out(corpus_file.path(), std::ios::binary);
    out << corpus;
    out.close();
    if (!out) {
      return UnavailableError("embedding: cannot write corpus file '" + corpus_file.path() + "'");
    }
  }

  fasttext::Args args;
  args.input = corpus_file.path();
  args.model = fasttext::model_name::sg;
  args.loss = fasttext::loss_name::ns;
  args.dim = options.dim;
  args.epoch = options.epoch;
  args.minCount = options.min_count;
  args.minn = options.minn;
  args.maxn = options.maxn;
  args.ws = options.window;
  args.neg = options.negatives;
  args.lr = options.learning_rate;
  args.t = options.subsample;
  args.bucket = options.maxn > 0 ? options.buckets : 0;
  args.wordNgrams = 1;
  args.thread = 1;  // one thread: the same corpus and seed give the same vectors
  args.seed = options.seed;
  args.verbose = 0;
  fasttext::FastText ft;
  try {
    ft.train(args);
  } catch (const std::exception& e) {
    return InternalError(std::string("embedding: fastText training failed: ") + e.what());
  }

  KEFU_ASSIGN_OR_RETURN(Model model, ExtractModel(ft, options));
  model.meta = {{"format", kFormat},
                {"dim", options.dim},
                {"minn", options.minn},
                {"maxn", options.maxn},
                {"buckets", model.buckets},
                {"han_chars", options.han_chars},
                {"sif_a", options.sif_a},
                {"ntokens", model.ntokens},
                {"train",
                 {{"epoch", options.epoch},
                  {"min_count", options.min_count},
                  {"window", options.window},
                  {"negatives", options.negatives},
                  {"learning_rate", options.learning_rate},
                  {"subsample", options.subsample},
                  {"seed", options.seed},
                  {"texts", lines.size()}}}};

  if (options.common_components > 0) {
    // The common direction(s) of the corpus's own sentence vectors (SIF's "common component
    // removal"): mostly frequency and style, little meaning.
    const size_t dim = size_t(options.dim);
    std::vector<double> cov(dim * dim, 0.0);
    for (const std::vector<std::string>& tokens : lines) {
      const std::vector<float> v = SentenceVector(model, tokens, /*project=*/false);
      for (size_t i = 0; i < dim; ++i) {
        for (size_t j = 0; j < dim; ++j) {
          cov[i * dim + j] += double(v[i]) * double(v[j]);
        }
      }
    }
    model.components = TopEigenvectors(std::move(cov), dim, options.common_components);
  }
  return WriteFileAtomically(out_path, Serialize(model)).WithContext("embedding");
}

Result<std::unique_ptr<Embedder>> LoadEmbedding(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return NotFoundError("embedding model '" + path + "' does not exist");
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  if (!in && !in.eof()) {
    return UnavailableError("embedding: cannot read '" + path + "'");
  }
  KEFU_ASSIGN_OR_RETURN(Model model, Deserialize(buf.view(), path));
  return std::unique_ptr<Embedder>(std::make_unique<FastTextEmbedder>(std::move(model)));
}

}  // namespace kefu::kb

#include "nlu/intent_classifier.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <istream>
#include <map>
#include <numeric>
#include <random>

#include "core/file_util.h"
#include "core/logging.h"
#include "core/utf8.h"
#include "text/pinyin.h"

namespace kefu::nlu {
namespace {

constexpr char kMagic[8] = {'K', 'E', 'F', 'U', 'I', 'N', 'T', '4'};
// Version 5: version 4 followed by a dense head over word vectors (and the vectors). Models
// without a dense head are still written as version 4.
constexpr char kMagicV5[8] = {'K', 'E', 'F', 'U', 'I', 'N', 'T', '5'};
// Version 3: the same with the base features only; version 2: also without the hidden layer.
// Both still read.
constexpr char kMagicV3[8] = {'K', 'E', 'F', 'U', 'I', 'N', 'T', '3'};
constexpr char kMagicV2[8] = {'K', 'E', 'F', 'U', 'I', 'N', 'T', '2'};

// Feature hashing keeps the FNV-1a basis the shipped models were trained with.
uint64_t Fnv1a(std::string_view s, uint64_t seed) {
  return Fnv1a64(s, 1469598103934665603ULL ^ seed);
}

// Feature kinds go into the hash seed, so "w:ab" and a character gram "ab" never collide.
enum FeatureKind : uint64_t {
  kWord = 1,
  kBigram,
  kCharGram,
  kHan,
  kHan2,
  kDigits,
  kOther,
  kFirst,
  kLast,
  kTrigram,
  kSyllable,
  kSyllable2,
  kCrossGram
};

bool IsLatin(char32_t c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '\'';
}
bool IsDigit(char32_t c) {
  return c >= '0' && c <= '9';
}
bool IsEmoji(char32_t c) {
  return (c >= 0x1F300 && c <= 0x1FAFF) || (c >= 0x2600 && c <= 0x27BF);
}

// Decodes one code point at s[i] (the text is valid UTF-8: it comes from Normalize); returns
// its byte length.
size_t DecodeAt(std::string_view s, size_t i, char32_t& cp) {
  const auto b = static_cast<unsigned char>(s[i]);
  size_t len = b < 0x80 ? 1 : (b & 0xE0) == 0xC0 ? 2 : (b & 0xF0) == 0xE0 ? 3 : 4;
  if (i + len > s.size()) {
    len = s.size() - i;
  }
  cp = len == 1 ? b : (len == 2 ? (b & 0x1F) : len == 3 ? (b & 0x0F) : (b & 0x07));
  for (size_t k = 1; k < len; ++k) {
    cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  }
  return len == 0 ? 1 : len;
}

// Fills each vector (already sized) with floats from `in`, in order; the caller checks `in`.
void ReadFloats(std::istream& in, std::initializer_list<std::vector<float>*> vectors) {
  for (std::vector<float>* v : vectors) {
    in.read(reinterpret_cast<char*>(v->data()),
            static_cast<std::streamsize>(v->size() * sizeof(float)));
  }
}

}  // namespace

uint64_t FeatureSet::Bits() const {
  return (edges ? 1u : 0u) | (word_trigrams ? 2u : 0u) | (pinyin ? 4u : 0u) |
         (cross_grams ? 8u : 0u);
}

std::optional<FeatureSet> FeatureSet::FromBits(uint64_t bits) {
  if (bits & ~uint64_t{15}) {
    return std::nullopt;
  }
  return FeatureSet{(bits & 1) != 0, (bits & 2) != 0, (bits & 4) != 0, (bits & 8) != 0};
}

// Hashes are computed over views of the text itself: no allocation per n-gram, which keeps a
// prediction at a few microseconds.
std::vector<uint64_t> IntentFeatures(std::string_view text, const FeatureSet& set) {
  std::vector<uint64_t> out;
  out.reserve(text.size() * 3);
  uint64_t prev_word = 0;   // hash of the previous word, 0 at the start
  uint64_t prev_word2 = 0;  // and of the one before it
  uint64_t first_token = 0;
  uint64_t last_token = 0;  // a word, a Han character or a number
  auto token = [&](uint64_t h) {
    first_token = first_token == 0 ? h : first_token;
    last_token = h;
  };
  std::vector<size_t> han;  // byte offsets of the current run of Han characters, plus its end
  std::string latin;        // the message's Latin words, lowercased, one space between them
  std::string word;
  auto flush_han = [&](size_t end) {
    if (han.empty()) {
      return;
    }
    han.push_back(end);
    const size_t n = han.size() - 1;
    for (size_t k = 0; k < n; ++k) {
      out.push_back(Fnv1a(text.substr(han[k], han[k + 1] - han[k]), kHan));
      token(out.back());
      if (k + 2 <= n) {
        out.push_back(Fnv1a(text.substr(han[k], han[k + 2] - han[k]), kHan2));
      }
    }
    prev_word = Fnv1a(text.substr(han[n - 1], han[n] - han[n - 1]), kWord);
    prev_word2 = 0;
    han.clear();
  };
  size_t i = 0;
  while (i < text.size()) {
    char32_t c = 0;
    const size_t len = DecodeAt(text, i, c);
    if (utf8::IsHan(c)) {
      han.push_back(i);
      i += len;
      continue;
    }
    flush_han(i);
    if (IsLatin(c)) {
      word.assign("<");
      size_t j = i;
      while (j < text.size() && (IsLatin(static_cast<unsigned char>(text[j])) ||
                                 IsDigit(static_cast<unsigned char>(text[j])))) {
        char d = text[j];
        if (d >= 'A' && d <= 'Z') {
          d = static_cast<char>(d - 'A' + 'a');
        }
        word.push_back(d);
        ++j;
      }
      word.push_back('>');
      const std::string_view w(word);
      const uint64_t wh = Fnv1a(w.substr(1, w.size() - 2), kWord);
      if (set.cross_grams) {
        if (!latin.empty()) {
          latin.push_back(' ');
        }
        latin.append(w.substr(1, w.size() - 2));
      }
      out.push_back(wh);
      token(wh);
      if (prev_word != 0) {
        out.push_back((prev_word * 31) ^ (wh + kBigram));
        if (set.word_trigrams && prev_word2 != 0) {
          out.push_back(((prev_word2 * 31 + prev_word) * 31) ^ (wh + kTrigram));
        }
      }
      prev_word2 = prev_word;
      prev_word = wh;
      for (size_t n = 2; n <= 5; ++n) {
        for (size_t k = 0; k + n <= w.size(); ++k) {
          out.push_back(Fnv1a(w.substr(k, n), kCharGram));
        }
      }
      i = j;
    } else if (IsDigit(c)) {
      size_t j = i;
      while (j < text.size() && IsDigit(static_cast<unsigned char>(text[j]))) {
        ++j;
      }
      // Numbers generalize by length: an order number, a phone, four verification digits.
      out.push_back(Fnv1a(std::to_string(std::min<size_t>(j - i, 21)), kDigits));
      prev_word = Fnv1a("#", kWord);
      prev_word2 = 0;
      token(prev_word);
      i = j;
    } else if (IsEmoji(c) || c == '?' || c == '!') {
      out.push_back(Fnv1a(text.substr(i, len), kOther));
      i += len;
    } else {
      i += len;
    }
  }
  flush_han(text.size());
  if (set.cross_grams) {
    // Character 3-5-grams across the spaces between words ("n u", "u hel"), neither starting
    // nor ending with a space: words run together or split apart by a typo ("can uhelp me",
    // "log in" / "login") keep some features in common, and short phrases get features of their
    // own. Grams inside one word are above.
    const std::string_view all(latin);
    for (size_t n = 3; n <= 5; ++n) {
      for (size_t k = 0; k + n <= all.size(); ++k) {
        const std::string_view g = all.substr(k, n);
        if (g.front() != ' ' && g.back() != ' ' && g.find(' ') != std::string_view::npos) {
          out.push_back(Fnv1a(g, kCrossGram));
        }
      }
    }
  }
  if (set.edges && first_token != 0) {
    // Where a word stands tells short replies apart: "sure" opening a message is mostly a yes,
    // "not sure" ends with it.
    out.push_back((first_token * 31) ^ kFirst);
    out.push_back((last_token * 31) ^ kLast);
  }
  if (set.pinyin) {
    // Homophone slips (退宽 for 退款) and pinyin typed without the input method share syllables
    // with what was meant.
    for (const std::vector<std::string_view>& run : text::PinyinRuns(text)) {
      for (size_t k = 0; k < run.size(); ++k) {
        const uint64_t h = Fnv1a(run[k], kSyllable);
        out.push_back(h);
        if (k + 1 < run.size()) {
          out.push_back((h * 31) ^ (Fnv1a(run[k + 1], kSyllable) + kSyllable2));
        }
      }
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

namespace {

// Sparse example: feature rows present in the model, each with value 1/sqrt(n).
struct Sparse {
  std::vector<uint32_t> rows;
  std::vector<float> values;
};

// out[0, n) += row[0, n) * v, four floats at a time. Each element gets the same multiply and
// add as the scalar loop, in the same order, so predictions do not change; -O2 leaves the plain
// loop scalar, and prediction is most of the time a message spends in the classifier.
using Float4 = float __attribute__((vector_size(16)));

void AddScaled(float* __restrict out, const float* __restrict row, float v, size_t n) {
  const Float4 scale = {v, v, v, v};
  size_t c = 0;
  for (; c + 4 <= n; c += 4) {
    Float4 o;
    Float4 r;
    std::memcpy(&o, out + c, sizeof o);
    std::memcpy(&r, row + c, sizeof r);
    o += r * scale;
    std::memcpy(out + c, &o, sizeof o);
  }
  for (; c < n; ++c) {
    out[c] += row[c] * v;
  }
}

void Softmax(std::vector<double>& z) {
  const double m = *std::max_element(z.begin(), z.end());
  double sum = 0;
  for (double& v : z) {
    v = std::exp(v - m);
    sum += v;
  }
  for (double& v : z) {
    v /= sum;
  }
}

}  // namespace

Result<std::unique_ptr<IntentClassifier>> IntentClassifier::Train(
    const std::vector<IntentExample>& examples, const TrainOptions& options) {
  if (examples.empty()) {
    return InvalidArgumentError("no training examples");
  }
  auto model = std::unique_ptr<IntentClassifier>(new IntentClassifier());
  std::map<std::string, uint32_t> label_ids;
  for (const IntentExample& e : examples) {
    label_ids.emplace(e.label, 0);
  }
  if (label_ids.size() < 2) {
    return InvalidArgumentError("need at least two labels, got " +
                                std::to_string(label_ids.size()));
  }
  for (auto& [label, id] : label_ids) {
    id = static_cast<uint32_t>(model->labels_.size());
    model->labels_.push_back(label);
  }
  const size_t num_labels = model->labels_.size();
  model->features_ = options.features;

  // Feature dictionary, in first-seen order over the data (deterministic).
  std::vector<std::vector<uint64_t>> feats(examples.size());
  std::unordered_map<uint64_t, uint32_t> counts;
  for (size_t i = 0; i < examples.size(); ++i) {
    feats[i] = IntentFeatures(examples[i].text, options.features);
    for (uint64_t h : feats[i]) {
      ++counts[h];
    }
  }
  for (size_t i = 0; i < examples.size(); ++i) {
    for (uint64_t h : feats[i]) {
      if (counts[h] >= static_cast<uint32_t>(options.min_feature_count)) {
        model->feature_index_.Insert(h, static_cast<uint32_t>(model->feature_index_.size()));
      }
    }
  }
  // Inverse document frequency: common features ("the", "我") weigh less than telling ones.
  model->idf_.assign(model->feature_index_.size(), 1.f);
  model->feature_index_.ForEach([&](uint64_t h, uint32_t row) {
    model->idf_[row] =
        options.use_idf ? float(std::log((1.0 + double(examples.size())) / (1.0 + counts[h])) + 1.0)
                        : 1.f;
  });
  std::vector<Sparse> data(examples.size());
  std::vector<uint32_t> y(examples.size());
  std::vector<double> class_count(num_labels, 0);
  for (size_t i = 0; i < examples.size(); ++i) {
    model->Vectorize(feats[i], data[i].rows, data[i].values);
    y[i] = label_ids[examples[i].label];
    class_count[y[i]] += 1;
  }
  std::vector<double> class_weight(num_labels, 1.0);
  if (options.balance_classes) {
    for (size_t c = 0; c < num_labels; ++c) {
      class_weight[c] = double(examples.size()) / (double(num_labels) * class_count[c]);
    }
  }

  const size_t rows = model->feature_index_.size();
  model->weights_.assign(rows * num_labels, 0.f);
  model->bias_.assign(num_labels, 0.f);
  std::vector<float> accum(rows * num_labels, 0.f);
  std::vector<float> bias_accum(num_labels, 0.f);
  std::vector<size_t> order(examples.size());
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(options.seed);
  std::vector<double> z(num_labels);
  std::vector<double> avg_weights(options.average ? model->weights_.size() : 0, 0.0);
  std::vector<double> avg_bias(num_labels, 0.0);
  int averaged = 0;
  const double lr = options.learning_rate;
  constexpr double kEps = 1e-8;
  const double off_target = options.label_smoothing / double(num_labels);
  const double on_target = 1.0 - options.label_smoothing + off_target;
  for (int epoch = 1; epoch <= options.epochs; ++epoch) {
    // Fisher-Yates with our own draws: std::shuffle's output is not pinned by the standard.
    for (size_t i = order.size(); i > 1; --i) {
      std::swap(order[i - 1], order[rng() % i]);
    }
    double loss = 0;
    for (size_t idx : order) {
      const Sparse& x = data[idx];
      for (size_t c = 0; c < num_labels; ++c) {
        z[c] = model->bias_[c];
      }
      for (size_t f = 0; f < x.rows.size(); ++f) {
        const float* w = &model->weights_[size_t(x.rows[f]) * num_labels];
        const double v = x.values[f];
        for (size_t c = 0; c < num_labels; ++c) {
          z[c] += double(w[c]) * v;
        }
      }
      Softmax(z);
      const double weight = class_weight[y[idx]];
      loss += -std::log(std::max(z[y[idx]], 1e-12)) * weight;
      for (size_t c = 0; c < num_labels; ++c) {
        const double g = weight * (z[c] - (c == y[idx] ? on_target : off_target));
        if (std::fabs(g) < 1e-6) {
          continue;  // most classes have ~0 gradient late in training
        }
        bias_accum[c] += float(g * g);
        model->bias_[c] -= float(lr * g / std::sqrt(bias_accum[c] + kEps));
        for (size_t f = 0; f < x.rows.size(); ++f) {
          const size_t k = size_t(x.rows[f]) * num_labels + c;
          const double grad = g * x.values[f] + options.l2 * model->weights_[k];
          accum[k] += float(grad * grad);
          model->weights_[k] -= float(lr * grad / std::sqrt(accum[k] + kEps));
        }
      }
    }
    // Average the weights over the second half of training (Polyak averaging): smoother
    // than the last iterate, and measured better on held-out data.
    if (options.average && epoch > options.epochs / 2) {
      for (size_t k = 0; k < avg_weights.size(); ++k) {
        avg_weights[k] += model->weights_[k];
      }
      for (size_t c = 0; c < num_labels; ++c) {
        avg_bias[c] += model->bias_[c];
      }
      ++averaged;
    }
    if (options.progress) {
      options.progress(epoch, options.epochs, loss / double(examples.size()));
    }
  }
  if (options.average && averaged > 0) {
    for (size_t k = 0; k < avg_weights.size(); ++k) {
      model->weights_[k] = float(avg_weights[k] / averaged);
    }
    for (size_t c = 0; c < num_labels; ++c) {
      model->bias_[c] = float(avg_bias[c] / averaged);
    }
  }
  if (options.hidden > 0) {
    std::vector<std::vector<uint32_t>> rows_of(data.size());
    std::vector<std::vector<float>> values_of(data.size());
    for (size_t i = 0; i < data.size(); ++i) {
      rows_of[i] = std::move(data[i].rows);
      values_of[i] = std::move(data[i].values);
    }
    model->TrainHidden(rows_of, values_of, y, class_weight, options);
  }
  if (options.vectors != nullptr && options.dense_hidden > 0) {
    model->TrainDense(examples, y, options);
  }
  return model;
}

void IntentClassifier::TrainDense(const std::vector<IntentExample>& examples,
                                  const std::vector<uint32_t>& y, const TrainOptions& options) {
  vectors_ = options.vectors;
  const size_t in = vectors_->pooled_dims();
  const size_t hidden = size_t(options.dense_hidden);
  const size_t num_labels = labels_.size();
  dense_hidden_ = int(hidden);
  std::vector<float> x(examples.size() * in);
  for (size_t i = 0; i < examples.size(); ++i) {
    vectors_->Pool(examples[i].text, &x[i * in]);
  }
  std::mt19937_64 rng(options.seed ^ 0xD1B54A32D192ED03ULL);
  auto uniform = [&rng] { return double(rng() >> 11) * 0x1.0p-53; };  // [0, 1)
  std::vector<float>& w1 = dense_w1_;
  std::vector<float>& b1 = dense_b1_;
  std::vector<float>& w2 = dense_w2_;
  std::vector<float>& b2 = dense_b2_;
  w1.resize(in * hidden);
  b1.assign(hidden, 0.f);
  w2.resize(num_labels * hidden);
  b2.assign(num_labels, 0.f);
  for (std::vector<float>* w : {&w1, &w2}) {
    for (float& v : *w) {
      v = float((uniform() * 2 - 1) * 0.17);  // about the spread of N(0, 0.1)
    }
  }
  // Adam over mini-batches, one pair of moments per parameter.
  struct Param {
    std::vector<float>* w;
    std::vector<float> grad, m, v;
  };
  std::vector<Param> params;
  for (std::vector<float>* w : {&w1, &b1, &w2, &b2}) {
    params.push_back({w, std::vector<float>(w->size()), std::vector<float>(w->size()),
                      std::vector<float>(w->size())});
  }
  constexpr size_t kBatch = 32;
  constexpr double kBeta1 = 0.9, kBeta2 = 0.999, kEps = 1e-8;
  const double lr = options.dense_learning_rate;
  std::vector<size_t> order(examples.size());
  std::iota(order.begin(), order.end(), 0);
  std::vector<float> h(hidden), dh(hidden), zf(num_labels), g(num_labels);
  std::vector<double> z(num_labels);
  int64_t step = 0;
  for (int epoch = 1; epoch <= options.dense_epochs; ++epoch) {
    for (size_t i = order.size(); i > 1; --i) {
      std::swap(order[i - 1], order[rng() % i]);
    }
    double loss = 0;
    for (size_t start = 0; start < order.size(); start += kBatch) {
      const size_t end = std::min(order.size(), start + kBatch);
      for (Param& p : params) {
        std::fill(p.grad.begin(), p.grad.end(), 0.f);
      }
      std::vector<float>& g_w1 = params[0].grad;
      std::vector<float>& g_b1 = params[1].grad;
      std::vector<float>& g_w2 = params[2].grad;
      std::vector<float>& g_b2 = params[3].grad;
      const float scale = 1.f / float(end - start);
      for (size_t b = start; b < end; ++b) {
        const size_t idx = order[b];
        const float* xi = &x[idx * in];
        std::copy(b1.begin(), b1.end(), h.begin());
        for (size_t d = 0; d < in; ++d) {
          if (xi[d] != 0) {
            AddScaled(h.data(), &w1[d * hidden], xi[d], hidden);
          }
        }
        for (float& v : h) {
          v = std::max(v, 0.f);
        }
        std::copy(b2.begin(), b2.end(), zf.begin());
        for (size_t j = 0; j < hidden; ++j) {
          if (h[j] > 0) {
            AddScaled(zf.data(), &w2[j * num_labels], h[j], num_labels);
          }
        }
        std::copy(zf.begin(), zf.end(), z.begin());
        Softmax(z);
        loss += -std::log(std::max(z[y[idx]], 1e-12));
        for (size_t c = 0; c < num_labels; ++c) {
          g[c] = float(z[c] - (c == y[idx] ? 1.0 : 0.0)) * scale;
          g_b2[c] += g[c];
        }
        for (size_t j = 0; j < hidden; ++j) {
          dh[j] = 0;
          if (h[j] > 0) {
            AddScaled(&g_w2[j * num_labels], g.data(), h[j], num_labels);
            const float* w = &w2[j * num_labels];
            for (size_t c = 0; c < num_labels; ++c) {
              dh[j] += w[c] * g[c];
            }
          }
        }
        for (size_t j = 0; j < hidden; ++j) {
          dh[j] = h[j] > 0 ? dh[j] : 0.f;
          g_b1[j] += dh[j];
        }
        for (size_t d = 0; d < in; ++d) {
          if (xi[d] != 0) {
            AddScaled(&g_w1[d * hidden], dh.data(), xi[d], hidden);
          }
        }
      }
      ++step;
      const double c1 = 1.0 - std::pow(kBeta1, double(step));
      const double c2 = 1.0 - std::pow(kBeta2, double(step));
      for (Param& p : params) {
        std::vector<float>& w = *p.w;
        for (size_t k = 0; k < w.size(); ++k) {
          p.m[k] = float(kBeta1 * p.m[k] + (1 - kBeta1) * p.grad[k]);
          p.v[k] = float(kBeta2 * p.v[k] + (1 - kBeta2) * double(p.grad[k]) * p.grad[k]);
          w[k] -= float(lr * (p.m[k] / c1) / (std::sqrt(p.v[k] / c2) + kEps));
        }
      }
    }
    if (options.progress) {
      options.progress(epoch, options.dense_epochs, loss / double(examples.size()));
    }
  }
}

void IntentClassifier::TrainHidden(const std::vector<std::vector<uint32_t>>& rows,
                                   const std::vector<std::vector<float>>& values,
                                   const std::vector<uint32_t>& y,
                                   const std::vector<double>& class_weight,
                                   const TrainOptions& options) {
  const size_t hidden = size_t(options.hidden);
  const size_t num_labels = labels_.size();
  hidden_ = options.hidden;
  // Seeded, and drawn from raw engine output: std's distributions are not pinned by the
  // standard, the engines are.
  std::mt19937_64 rng(options.seed ^ 0x9E3779B97F4A7C15ULL);
  auto uniform = [&rng] { return double(rng() >> 11) * 0x1.0p-53; };  // [0, 1)
  embed_.resize(feature_index_.size() * hidden);
  for (float& w : embed_) {
    w = float((uniform() * 2 - 1) * 0.17);  // about the spread of N(0, 0.1)
  }
  out_.resize(num_labels * hidden);
  for (float& w : out_) {
    w = float((uniform() * 2 - 1) * 0.17);
  }
  hidden_bias_.assign(hidden, 0.f);
  out_bias_.assign(num_labels, 0.f);
  constexpr float kEps = 1e-6f;
  std::vector<float> g_embed(embed_.size(), kEps), g_out(out_.size(), kEps);
  std::vector<float> g_hidden_bias(hidden, kEps), g_out_bias(num_labels, kEps);
  std::vector<float> h(hidden), dh(hidden);
  std::vector<double> z(num_labels);
  std::vector<size_t> order(rows.size());
  std::iota(order.begin(), order.end(), 0);
  const float lr = float(options.hidden_learning_rate);
  const double off_target = options.label_smoothing / double(num_labels);
  const double on_target = 1.0 - options.label_smoothing + off_target;
  const double keep = 1.0 - std::clamp(options.dropout, 0.0, 0.9);
  for (int epoch = 1; epoch <= options.hidden_epochs; ++epoch) {
    for (size_t i = order.size(); i > 1; --i) {
      std::swap(order[i - 1], order[rng() % i]);
    }
    double loss = 0;
    for (size_t idx : order) {
      const std::vector<uint32_t>& x = rows[idx];
      const std::vector<float>& v = values[idx];
      std::copy(hidden_bias_.begin(), hidden_bias_.end(), h.begin());
      for (size_t f = 0; f < x.size(); ++f) {
        const float* e = &embed_[size_t(x[f]) * hidden];
        for (size_t j = 0; j < hidden; ++j) {
          h[j] += e[j] * v[f];
        }
      }
      for (size_t j = 0; j < hidden; ++j) {  // ReLU, then inverted dropout
        h[j] = h[j] > 0 && uniform() < keep ? float(h[j] / keep) : 0.f;
      }
      for (size_t c = 0; c < num_labels; ++c) {
        const float* w = &out_[c * hidden];
        double s = out_bias_[c];
        for (size_t j = 0; j < hidden; ++j) {
          s += double(w[j]) * h[j];
        }
        z[c] = s;
      }
      Softmax(z);
      const double weight = class_weight[y[idx]];
      loss += -std::log(std::max(z[y[idx]], 1e-12)) * weight;
      std::fill(dh.begin(), dh.end(), 0.f);
      for (size_t c = 0; c < num_labels; ++c) {
        const float g = float(weight * (z[c] - (c == y[idx] ? on_target : off_target)));
        float* w = &out_[c * hidden];
        float* gw = &g_out[c * hidden];
        for (size_t j = 0; j < hidden; ++j) {
          if (h[j] != 0) {
            dh[j] += g * w[j];
            const float gg = g * h[j];
            gw[j] += gg * gg;
            w[j] -= lr * gg / std::sqrt(gw[j]);
          }
        }
        g_out_bias[c] += g * g;
        out_bias_[c] -= lr * g / std::sqrt(g_out_bias[c]);
      }
      for (size_t j = 0; j < hidden; ++j) {
        if (h[j] == 0) {
          dh[j] = 0;
          continue;
        }
        dh[j] = float(dh[j] / keep);
        g_hidden_bias[j] += dh[j] * dh[j];
        hidden_bias_[j] -= lr * dh[j] / std::sqrt(g_hidden_bias[j]);
      }
      for (size_t f = 0; f < x.size(); ++f) {
        float* e = &embed_[size_t(x[f]) * hidden];
        float* ge = &g_embed[size_t(x[f]) * hidden];
        for (size_t j = 0; j < hidden; ++j) {
          if (dh[j] != 0) {
            const float gg = dh[j] * v[f];
            ge[j] += gg * gg;
            e[j] -= lr * gg / std::sqrt(ge[j]);
          }
        }
      }
    }
    if (options.progress) {
      options.progress(epoch, options.hidden_epochs, loss / double(rows.size()));
    }
  }
}

void IntentClassifier::Vectorize(const std::vector<uint64_t>& features, std::vector<uint32_t>& rows,
                                 std::vector<float>& values) const {
  rows.clear();
  values.clear();
  double norm = 0;
  for (uint64_t h : features) {
    const int64_t row = feature_index_.Find(h);
    if (row >= 0) {
      rows.push_back(static_cast<uint32_t>(row));
      values.push_back(idf_[row]);
      norm += double(idf_[row]) * idf_[row];
    }
  }
  const float inv = norm > 0 ? float(1.0 / std::sqrt(norm)) : 0.f;
  for (float& v : values) {
    v *= inv;
  }
}

std::vector<float> IntentClassifier::Scores(std::string_view text) const {
  std::vector<float> z = SparseScores(text);
  if (vectors_ != nullptr) {
    const std::vector<float> d = DenseScores(text);
    for (size_t c = 0; c < z.size(); ++c) {
      z[c] += float(dense_weight_) * d[c];
    }
  }
  return z;
}

std::vector<float> IntentClassifier::DenseScores(std::string_view text) const {
  if (vectors_ == nullptr) {
    return {};
  }
  const size_t in = vectors_->pooled_dims();
  const size_t units = size_t(dense_hidden_);
  std::vector<float> x(in);
  vectors_->Pool(text, x.data());
  std::vector<float> h(dense_b1_);
  for (size_t d = 0; d < in; ++d) {
    if (x[d] != 0) {
      AddScaled(h.data(), &dense_w1_[d * units], x[d], units);
    }
  }
  std::vector<float> z(dense_b2_);
  for (size_t j = 0; j < units; ++j) {
    if (h[j] > 0) {
      AddScaled(z.data(), &dense_w2_[j * z.size()], h[j], z.size());
    }
  }
  return z;
}

std::vector<float> IntentClassifier::SparseScores(std::string_view text) const {
  const size_t n = labels_.size();
  std::vector<float> z(bias_.begin(), bias_.end());
  std::vector<uint32_t> rows;
  std::vector<float> values;
  Vectorize(IntentFeatures(text, features_), rows, values);
  for (size_t f = 0; f < rows.size(); ++f) {
    AddScaled(z.data(), &weights_[size_t(rows[f]) * n], values[f], n);
  }
  if (hidden_ > 0) {
    const size_t hidden = size_t(hidden_);
    std::vector<float> h(hidden_bias_);
    for (size_t f = 0; f < rows.size(); ++f) {
      AddScaled(h.data(), &embed_[size_t(rows[f]) * hidden], values[f], hidden);
    }
    for (float& x : h) {
      x = std::max(x, 0.f);
    }
    for (size_t c = 0; c < n; ++c) {
      const float* w = &out_[c * hidden];
      float s = out_bias_[c];
      for (size_t j = 0; j < hidden; ++j) {
        s += w[j] * h[j];
      }
      z[c] += s;
    }
  }
  return z;
}

std::vector<double> IntentClassifier::Probabilities(const std::vector<float>& scores) const {
  std::vector<double> p(scores.size());
  for (size_t c = 0; c < scores.size(); ++c) {
    p[c] = double(scores[c]) / temperature_;
  }
  Softmax(p);
  return p;
}

IntentPrediction IntentClassifier::Predict(std::string_view text, int k) const {
  const std::vector<double> p = Probabilities(Scores(text));
  std::vector<size_t> idx(p.size());
  std::iota(idx.begin(), idx.end(), 0);
  const size_t top = std::min<size_t>(std::max(k, 1), idx.size());
  std::partial_sort(idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(top), idx.end(),
                    [&](size_t a, size_t b) { return p[a] > p[b]; });
  IntentPrediction out;
  out.intent = labels_[idx[0]];
  out.confidence = p[idx[0]];
  for (size_t i = 1; i < top; ++i) {
    out.alternatives.emplace_back(labels_[idx[i]], p[idx[i]]);
  }
  if (!oos_label_.empty()) {
    if (out.intent == oos_label_) {
      out.out_of_scope = true;
    } else if (out.confidence < oos_threshold_) {
      out.out_of_scope = true;
      out.alternatives.insert(out.alternatives.begin(), {out.intent, out.confidence});
      out.alternatives.resize(std::min<size_t>(out.alternatives.size(), top - 1 > 0 ? top - 1 : 1));
      out.intent = oos_label_;
    }
  }
  return out;
}

void IntentClassifier::UseCalibration(const IntentClassifier& from) {
  temperature_ = from.temperature_;
  dense_weight_ = from.dense_weight_;
  oos_label_ = from.oos_label_;
  oos_threshold_ = from.oos_threshold_;
}

void IntentClassifier::Calibrate(const std::vector<IntentExample>& dev,
                                 const std::string& oos_label, double min_oos_recall,
                                 bool fit_dense_weight) {
  if (dev.empty()) {
    return;
  }
  std::map<std::string, size_t> label_ids;
  for (size_t c = 0; c < labels_.size(); ++c) {
    label_ids[labels_[c]] = c;
  }
  std::vector<std::vector<float>> sparse;
  std::vector<std::vector<float>> dense;
  std::vector<long> gold;
  for (const IntentExample& e : dev) {
    auto it = label_ids.find(e.label);
    sparse.push_back(SparseScores(e.text));
    dense.push_back(DenseScores(e.text));
    gold.push_back(it == label_ids.end() ? -1 : long(it->second));
  }
  // The dense head's weight: the one with the best accuracy on the examples with a known label
  // (log-loss breaks ties; the weight stays as it is without a dense head), then the temperature
  // with the least log-loss for it, both by grid search. Measured on SMP2017's dev split, the
  // least log-loss alone chose a weight half a point less accurate.
  std::vector<double> weights = {dense_weight_};
  if (vectors_ != nullptr && fit_dense_weight) {
    weights = {0, 0.125, 0.25, 0.375, 0.5, 0.75, 1, 1.5, 2, 3, 4};
  }
  std::vector<std::vector<float>> scores(dev.size());
  auto combine = [&](double weight) {
    for (size_t i = 0; i < dev.size(); ++i) {
      scores[i] = sparse[i];
      for (size_t c = 0; c < dense[i].size(); ++c) {
        scores[i][c] += float(weight) * dense[i][c];
      }
    }
  };
  double best_t = 1.0;
  double best_weight = dense_weight_;
  double best_loss = 1e300;
  size_t best_correct = 0;
  for (double weight : weights) {
    combine(weight);
    size_t correct = 0;
    for (size_t i = 0; i < dev.size(); ++i) {
      const auto top = std::max_element(scores[i].begin(), scores[i].end()) - scores[i].begin();
      correct += gold[i] == long(top) ? 1 : 0;
    }
    if (correct < best_correct) {
      continue;
    }
    for (double t = 0.25; t <= 8.0; t *= 1.1) {
      temperature_ = t;
      double loss = 0;
      for (size_t i = 0; i < dev.size(); ++i) {
        if (gold[i] >= 0) {
          loss -= std::log(std::max(Probabilities(scores[i])[size_t(gold[i])], 1e-12));
        }
      }
      if (correct > best_correct || loss < best_loss) {
        best_correct = correct;
        best_loss = loss;
        best_t = t;
        best_weight = weight;
      }
    }
  }
  dense_weight_ = best_weight;
  combine(dense_weight_);
  temperature_ = best_t;
  oos_label_.clear();
  oos_threshold_ = 0;
  if (label_ids.find(oos_label) == label_ids.end()) {
    return;
  }
  oos_label_ = oos_label;
  const size_t oos = label_ids[oos_label];
  size_t n_in = 0, n_oos = 0;
  for (long g : gold) {
    (g == long(oos) ? n_oos : n_in) += 1;
  }
  if (n_oos == 0 || n_in == 0) {
    return;
  }
  // The operating point: the lowest threshold whose out-of-scope recall on dev reaches
  // min_oos_recall (in-scope accuracy only falls as the threshold rises); when none does, the
  // one with the best mean of in-scope accuracy and out-of-scope recall.
  double best_mean = -1;
  double best_mean_th = 0;
  for (int step = 0; step <= 95; ++step) {
    const double th = step / 100.0;
    size_t in_ok = 0, oos_ok = 0;
    for (size_t i = 0; i < dev.size(); ++i) {
      const std::vector<double> p = Probabilities(scores[i]);
      const size_t top = size_t(std::max_element(p.begin(), p.end()) - p.begin());
      const bool says_oos = top == oos || p[top] < th;
      if (gold[i] == long(oos)) {
        oos_ok += says_oos ? 1 : 0;
      } else if (!says_oos && long(top) == gold[i]) {
        ++in_ok;
      }
    }
    const double recall = double(oos_ok) / double(n_oos);
    if (recall >= min_oos_recall) {
      oos_threshold_ = th;
      return;
    }
    const double mean = 0.5 * (double(in_ok) / double(n_in) + recall);
    if (mean > best_mean + 1e-9) {
      best_mean = mean;
      best_mean_th = th;
    }
  }
  oos_threshold_ = best_mean_th;
}

Status IntentClassifier::Save(const std::string& path) const {
  std::ofstream out(path, std::ios::binary);
  if (!out) {
    return UnavailableError("cannot write model '" + path + "'");
  }
  if (Status s = Save(out, path); !s.ok()) {
    return s;
  }
  out.flush();
  if (!out) {
    return UnavailableError("write failed for model '" + path + "'");
  }
  return OkStatus();
}

Status IntentClassifier::Save(std::ostream& out, const std::string& name) const {
  auto put_u64 = [&](uint64_t v) { out.write(reinterpret_cast<const char*>(&v), sizeof(v)); };
  auto put_str = [&](const std::string& s) {
    put_u64(s.size());
    out.write(s.data(), static_cast<std::streamsize>(s.size()));
  };
  out.write(vectors_ != nullptr ? kMagicV5 : kMagic, sizeof(kMagic));
  put_u64(features_.Bits());
  put_u64(labels_.size());
  for (const std::string& l : labels_) {
    put_str(l);
  }
  out.write(reinterpret_cast<const char*>(&temperature_), sizeof(temperature_));
  put_str(oos_label_);
  out.write(reinterpret_cast<const char*>(&oos_threshold_), sizeof(oos_threshold_));
  // Rows in row order, so the file does not depend on hash-map iteration order.
  std::vector<uint64_t> by_row(feature_index_.size());
  feature_index_.ForEach([&by_row](uint64_t h, uint32_t r) { by_row[r] = h; });
  put_u64(by_row.size());
  for (uint64_t h : by_row) {
    put_u64(h);
  }
  out.write(reinterpret_cast<const char*>(idf_.data()),
            static_cast<std::streamsize>(idf_.size() * sizeof(float)));
  out.write(reinterpret_cast<const char*>(bias_.data()),
            static_cast<std::streamsize>(bias_.size() * sizeof(float)));
  out.write(reinterpret_cast<const char*>(weights_.data()),
            static_cast<std::streamsize>(weights_.size() * sizeof(float)));
  put_u64(uint64_t(hidden_));
  for (const std::vector<float>* v : {&embed_, &hidden_bias_, &out_, &out_bias_}) {
    out.write(reinterpret_cast<const char*>(v->data()),
              static_cast<std::streamsize>(v->size() * sizeof(float)));
  }
  if (vectors_ != nullptr) {
    put_u64(uint64_t(dense_hidden_));
    put_u64(vectors_->pooled_dims());
    out.write(reinterpret_cast<const char*>(&dense_weight_), sizeof(dense_weight_));
    for (const std::vector<float>* v : {&dense_w1_, &dense_b1_, &dense_w2_, &dense_b2_}) {
      out.write(reinterpret_cast<const char*>(v->data()),
                static_cast<std::streamsize>(v->size() * sizeof(float)));
    }
    vectors_->Write(out);
  }
  if (!out) {
    return UnavailableError("write failed for model '" + name + "'");
  }
  return OkStatus();
}

Result<std::unique_ptr<IntentClassifier>> IntentClassifier::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return NotFoundError("intent model '" + path + "' does not exist");
  }
  return Load(in, path);
}

Result<std::unique_ptr<IntentClassifier>> IntentClassifier::Load(std::istream& in,
                                                                 const std::string& name) {
  auto bad = [&](const char* what) {
    return InvalidArgumentError("intent model '" + name + "': " + what);
  };
  char magic[8];
  in.read(magic, sizeof(magic));
  const bool v5 = in && std::equal(magic, magic + 8, kMagicV5);
  const bool v4 = v5 || (in && std::equal(magic, magic + 8, kMagic));
  const bool v3 = v4 || (in && std::equal(magic, magic + 8, kMagicV3));
  if (!v3 && !(in && std::equal(magic, magic + 8, kMagicV2))) {
    return bad("not a kefu intent model");
  }
  auto get_u64 = [&](uint64_t& v) { return bool(in.read(reinterpret_cast<char*>(&v), sizeof(v))); };
  auto get_str = [&](std::string& s) {
    uint64_t n = 0;
    if (!get_u64(n) || n > (1u << 20)) {
      return false;
    }
    s.resize(n);
    return bool(in.read(s.data(), static_cast<std::streamsize>(n)));
  };
  auto model = std::unique_ptr<IntentClassifier>(new IntentClassifier());
  if (v4) {
    uint64_t bits = 0;
    std::optional<FeatureSet> set = get_u64(bits) ? FeatureSet::FromBits(bits) : std::nullopt;
    if (!set) {
      return bad("unknown feature set (written by a newer kefu?)");
    }
    model->features_ = *set;
    if (set->pinyin && !text::PinyinStatus().ok()) {
      // The model still predicts, without the syllable features it was trained with.
      KEFU_LOG_WARN("intent model '{}' uses pinyin features, but {}: accuracy will be lower", name,
                    text::PinyinStatus().ToString());
    }
  }
  uint64_t n_labels = 0;
  if (!get_u64(n_labels) || n_labels < 2 || n_labels > 100000) {
    return bad("bad label count");
  }
  model->labels_.resize(n_labels);
  for (std::string& l : model->labels_) {
    if (!get_str(l)) {
      return bad("truncated labels");
    }
  }
  in.read(reinterpret_cast<char*>(&model->temperature_), sizeof(double));
  if (!in || !get_str(model->oos_label_)) {
    return bad("truncated header");
  }
  in.read(reinterpret_cast<char*>(&model->oos_threshold_), sizeof(double));
  uint64_t rows = 0;
  if (!in || !get_u64(rows) || rows > (1ULL << 26)) {
    return bad("bad feature count");
  }
  model->feature_index_.Reserve(rows);
  for (uint64_t r = 0; r < rows; ++r) {
    uint64_t h = 0;
    if (!get_u64(h)) {
      return bad("truncated features");
    }
    if (!model->feature_index_.Insert(h, static_cast<uint32_t>(r))) {
      return bad("repeated feature");
    }
  }
  model->idf_.resize(rows);
  in.read(reinterpret_cast<char*>(model->idf_.data()),
          static_cast<std::streamsize>(rows * sizeof(float)));
  model->bias_.resize(n_labels);
  model->weights_.resize(rows * n_labels);
  in.read(reinterpret_cast<char*>(model->bias_.data()),
          static_cast<std::streamsize>(n_labels * sizeof(float)));
  in.read(reinterpret_cast<char*>(model->weights_.data()),
          static_cast<std::streamsize>(model->weights_.size() * sizeof(float)));
  if (!in) {
    return bad("truncated weights");
  }
  if (v3) {
    uint64_t hidden = 0;
    if (!get_u64(hidden) || hidden > 4096) {
      return bad("bad hidden layer size");
    }
    model->hidden_ = int(hidden);
    model->embed_.resize(rows * hidden);
    model->hidden_bias_.resize(hidden);
    model->out_.resize(n_labels * hidden);
    model->out_bias_.resize(hidden > 0 ? n_labels : 0);
    ReadFloats(in, {&model->embed_, &model->hidden_bias_, &model->out_, &model->out_bias_});
    if (!in) {
      return bad("truncated hidden layer");
    }
  }
  if (v5) {
    uint64_t hidden = 0;
    uint64_t in_dims = 0;
    if (!get_u64(hidden) || hidden == 0 || hidden > 4096 || !get_u64(in_dims) || in_dims == 0 ||
        in_dims > 8192) {
      return bad("bad dense head size");
    }
    in.read(reinterpret_cast<char*>(&model->dense_weight_), sizeof(double));
    model->dense_hidden_ = int(hidden);
    model->dense_w1_.resize(in_dims * hidden);
    model->dense_b1_.resize(hidden);
    model->dense_w2_.resize(hidden * n_labels);
    model->dense_b2_.resize(n_labels);
    ReadFloats(in, {&model->dense_w1_, &model->dense_b1_, &model->dense_w2_, &model->dense_b2_});
    if (!in) {
      return bad("truncated dense head");
    }
    Result<std::shared_ptr<const WordVectors>> vectors = WordVectors::Read(in, name);
    if (!vectors.ok()) {
      return vectors.status();
    }
    if ((*vectors)->pooled_dims() != in_dims) {
      return bad("the dense head does not fit its word vectors");
    }
    model->vectors_ = std::move(*vectors);
  }
  return model;
}

}  // namespace kefu::nlu

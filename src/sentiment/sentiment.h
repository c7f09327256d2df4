// sentiment/: how a shopper feels in one message: a polarity with a score, the dominant emotion
// with an intensity, aspect hints (logistics, quality, service, price) and an explicit-threat
// flag (投诉, 12315, 差评, chargeback). Two readers: the hand-written zh/en lexicon
// (data/sentiment/lexicon_*.tsv) alone, and the lexicon stacked with a classifier trained on the
// project's data (classifier.h), which is what the engine uses when the build made a model.
//
//   Result<std::unique_ptr<SentimentAnalyzer>> a = NewLexiconAnalyzer();  // data/sentiment
//   SentimentResult r = (*a)->Analyze(text::Normalize("東西不錯，但是物流太慢了！！"));
//   // r.polarity == Polarity::kNegative, r.score ~ -0.86, r.emotion == Emotion::kDisappointment
//   // r.aspects == {"quality", "logistics"}
//   // r.matched == {"东西", "不错", "但是", "物流", "太", "慢", "!!"}
//   r = (*a)->Analyze(text::Normalize("我要投诉你们"));
//   // r.threat == true, r.emotion == Emotion::kAnger
//
// How the lexicon analyzer scores (details and the file format: data/sentiment/lexicon_zh.tsv):
//   - The normalized text is read as a stream of tokens: a run of ASCII letters and digits is one
//     word (apostrophes dropped: "don't" == "dont"); every other code point but white space and
//     U+FE0F is a token of its own (Han characters, emoji, punctuation). Terms of both lexicons
//     are tokenized the same way and the longest term starting at each token wins, so 不错 beats
//     不, and "no problem" beats "no". No word segmentation is needed.
//   - pos/neg terms add their strength. A negation (不 没 别 not never ...) up to 3 tokens
//     before a term flips and damps it (x -0.7); an intensifier (非常 太 有点 very ...) up to 3
//     tokens before multiplies it (after a negation it softens instead: 不太好 is milder than
//     不好). A contrast word (但是 不过 but however) halves everything before it and weighs
//     everything after it x1.5. A negated threat (不会给差评) is no threat. `neutral` entries
//     hide common words that contain a sentiment character (你好, 垃圾桶, 贵店).
//   - Clause punctuation: "!!" and "???" runs (！ and ？ are folded by Normalize) intensify the
//     clause they end and add anger (!) or anxiety (?); a message written mostly in capitals
//     (seen only through the NormalizedText overload, which keeps the original) is shouting:
//     more negative and angrier. A clause that is a question (ends in '?' or 吗) keeps only a
//     tenth of its positive part: 质量好吗 asks, it does not praise; 怎么这么慢? still complains.
//   - score = tanh(sum / 2) in [-1, 1]; |score| < kNeutralBand is neutral. Emotion intensities are
//     1 - exp(-x) of their sums, in [0, 1); the dominant one must reach kMinEmotionIntensity.
//
// Thread-safety: an analyzer is immutable after it is created; Analyze may be called from any
// thread. Cost: about 1 µs for a 30-character message (Normalize not included); loading takes a
// few milliseconds.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "text/normalize.h"

namespace kefu::sentiment {

enum class Polarity { kNegative, kNeutral, kPositive };
// Indexes SentimentResult::emotions.
enum class Emotion { kAnger, kAnxiety, kDisappointment, kSatisfaction, kNeutral };
inline constexpr size_t kEmotionCount = 5;

// "negative", "neutral", "positive".
std::string_view PolarityName(Polarity polarity);
// "anger", "anxiety", "disappointment", "satisfaction", "neutral".
std::string_view EmotionName(Emotion emotion);

inline constexpr double kNeutralBand = 0.15;          // |score| below this is neutral
inline constexpr double kMinEmotionIntensity = 0.15;  // weaker emotions leave kNeutral

struct SentimentResult {
  Polarity polarity = Polarity::kNeutral;
  double score = 0.0;  // in [-1, 1]; negative is unhappy

  Emotion emotion = Emotion::kNeutral;  // the dominant emotion; kNeutral when none is strong
  double intensity = 0.0;               // its intensity in [0, 1]; 0 for kNeutral
  // Every emotion's intensity in [0, 1], indexed by Emotion; emotions[kNeutral] is 1 minus the
  // strongest of the other four.
  std::array<double, kEmotionCount> emotions{0.0, 0.0, 0.0, 0.0, 1.0};

  // "logistics", "quality", "service", "price": in order of first mention, no repeats.
  std::vector<std::string> aspects;
  // An explicit threat to complain, report, review badly, charge back or sue (not negated).
  bool threat = false;
  // The lexicon terms that fired, in text order, and the cues "!!", "??" and "CAPS" (shouting, at
  // the end); at most kMaxMatched of them: for the request trace.
  std::vector<std::string> matched;

  double EmotionIntensity(Emotion e) const { return emotions[static_cast<size_t>(e)]; }
};

inline constexpr size_t kMaxMatched = 16;

// Thread-safe: one instance serves all sessions.
class SentimentAnalyzer {
 public:
  virtual ~SentimentAnalyzer() = default;

  // `normalized_text` must come from text::Normalize (simplified, lower-cased, half-width).
  virtual SentimentResult Analyze(std::string_view normalized_text) const = 0;
  // The same, and also reads text.original to notice shouting (ALL CAPS).
  virtual SentimentResult Analyze(const text::NormalizedText& text) const = 0;
};

// The build's data/sentiment directory (the lexicon shipped with the source tree).
std::string DefaultSentimentLexiconDir();

// Loads lexicon_zh.tsv and lexicon_en.tsv from `dir` (empty: DefaultSentimentLexiconDir()).
// kNotFound naming the file when one is missing; kInvalidArgument naming file:line and the
// problem for a bad entry (unknown kind, value out of range, unknown emotion or aspect, a term
// already defined in either file).
Result<std::unique_ptr<SentimentAnalyzer>> NewLexiconAnalyzer(const std::string& dir = {});

// The lexicon of `lexicon_dir` (empty: DefaultSentimentLexiconDir()) combined with the model at
// `model_path` (`kefu train sentiment`; classifier.h): the model decides polarity, score and
// emotion, the lexicon adds aspects, threats and the matched terms. The errors of both loaders.
Result<std::unique_ptr<SentimentAnalyzer>> NewSentimentAnalyzer(const std::string& lexicon_dir,
                                                                const std::string& model_path);

}  // namespace kefu::sentiment

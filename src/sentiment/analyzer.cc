// The lexicon analyzer: one left-to-right pass over the tokens of the normalized text, longest
// lexicon match at each token, with small pending states for negation and intensifiers and a
// per-clause accumulator that punctuation closes. No segmentation, no per-call allocation besides
// the result (the token buffer is thread_local and reused).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <utility>

#include "core/file_util.h"
#include "sentiment/lexicon.h"
#include "sentiment/sentiment.h"

#ifndef KEFU_DEFAULT_SENTIMENT_LEXICON_DIR
#define KEFU_DEFAULT_SENTIMENT_LEXICON_DIR "data/sentiment"
#endif

namespace kefu::sentiment {

std::string_view PolarityName(Polarity polarity) {
  switch (polarity) {
    case Polarity::kNegative:
      return "negative";
    case Polarity::kNeutral:
      return "neutral";
    case Polarity::kPositive:
      return "positive";
  }
  return "neutral";
}

std::string_view EmotionName(Emotion emotion) {
  switch (emotion) {
    case Emotion::kAnger:
      return "anger";
    case Emotion::kAnxiety:
      return "anxiety";
    case Emotion::kDisappointment:
      return "disappointment";
    case Emotion::kSatisfaction:
      return "satisfaction";
    case Emotion::kNeutral:
      return "neutral";
  }
  return "neutral";
}

std::string DefaultSentimentLexiconDir() {
  return KEFU_DEFAULT_SENTIMENT_LEXICON_DIR;
}

namespace {

using internal::Term;
using internal::TermKind;
using internal::Token;
using internal::TokenType;

constexpr size_t kFeelings = kEmotionCount - 1;  // every emotion but kNeutral
constexpr auto kAnger = static_cast<size_t>(Emotion::kAnger);
constexpr auto kAnxiety = static_cast<size_t>(Emotion::kAnxiety);
constexpr auto kDisappointment = static_cast<size_t>(Emotion::kDisappointment);
constexpr auto kSatisfaction = static_cast<size_t>(Emotion::kSatisfaction);

// A negation reaches a term that starts at most this many tokens after it (不太满意, not very
// happy); an intensifier likewise (非常的满意).
constexpr int kNegationWindow = 3;
constexpr int kIntensifierWindow = 3;
// A negated term counts this much, with the sign flipped: "not good" is less bad than "bad".
constexpr double kNegationFlip = -0.7;
// An intensifier after a negation softens (不太好, not very good) instead of amplifying.
constexpr double kSoftenedIntensifier = 0.8;
constexpr double kMaxMultiplier = 4.0;
// A contrast word scales what came before and what follows (the shopper's point comes after).
constexpr double kBeforeContrast = 0.5;
constexpr double kAfterContrast = 1.5;
// A pos/neg term without its own emotion feeds satisfaction/disappointment at this share.
constexpr double kDefaultEmotionShare = 0.5;
// score = tanh(sum / kScoreScale): one plain strong term (strength 2) gives about 0.76.
constexpr double kScoreScale = 2.0;
// Punctuation: "!!" and "??" runs count up to these many characters.
constexpr int kMaxPunctRun = 4;
// Shouting: at least this many capital letters in all-caps words, and 60% of all letters.
constexpr int kMinShoutLetters = 6;
constexpr int kShoutPercent = 60;
// A question (a clause ending in '?' or 吗) asks about a quality rather than praising it
// ("是正品吗?", "is it good?"): its positive part counts this much. Negative questions stay
// ("怎么这么慢?" is a complaint).
constexpr double kPositiveQuestion = 0.1;
constexpr uint64_t kMaHash = Fnv1a64("吗");

bool IsShouting(std::string_view original) {
  int letters = 0;
  int upper = 0;
  int caps_word_letters = 0;
  size_t i = 0;
  while (i < original.size()) {
    auto c = static_cast<unsigned char>(original[i]);
    bool is_upper = c >= 'A' && c <= 'Z';
    bool is_lower = c >= 'a' && c <= 'z';
    if (!is_upper && !is_lower) {
      ++i;
      continue;
    }
    int word_letters = 0;
    int word_upper = 0;
    while (i < original.size()) {
      c = static_cast<unsigned char>(original[i]);
      is_upper = c >= 'A' && c <= 'Z';
      is_lower = c >= 'a' && c <= 'z';
      if (!is_upper && !is_lower) {
        break;
      }
      ++word_letters;
      word_upper += is_upper ? 1 : 0;
      ++i;
    }
    letters += word_letters;
    upper += word_upper;
    if (word_letters >= 2 && word_upper == word_letters) {
      caps_word_letters += word_letters;
    }
  }
  return caps_word_letters >= kMinShoutLetters && upper * 100 >= letters * kShoutPercent;
}

class LexiconAnalyzer final : public SentimentAnalyzer {
 public:
  explicit LexiconAnalyzer(internal::Lexicon lexicon) : lexicon_(std::move(lexicon)) {}
  LexiconAnalyzer(const LexiconAnalyzer&) = delete;
  LexiconAnalyzer& operator=(const LexiconAnalyzer&) = delete;

  SentimentResult Analyze(std::string_view normalized_text) const override {
    return Run(normalized_text, false);
  }
  SentimentResult Analyze(const text::NormalizedText& text) const override {
    return Run(text.text, IsShouting(text.original));
  }

 private:
  SentimentResult Run(std::string_view text, bool shouting) const;

  internal::Lexicon lexicon_;
};

// The running state of one Analyze call.
struct Scan {
  SentimentResult& r;
  double total = 0.0;
  std::array<double, kFeelings> emo{};
  double clause = 0.0;  // the open clause, added to total when punctuation closes it
  std::array<double, kFeelings> clause_emo{};
  bool clause_cue = false;      // the open clause matched a sentiment or emotion term
  bool clause_ends_ma = false;  // the open clause's last token is 吗
  double weight = 1.0;          // kAfterContrast once a contrast word was seen
  int negation_left = 0;        // tokens a pending negation still reaches
  int intensifier_left = 0;
  double multiplier = 1.0;
  bool intensifier_after_negation = false;
  std::array<bool, internal::kAspectCount> aspect_seen{};

  void Note(std::string_view s) {
    if (r.matched.size() < kMaxMatched) {
      r.matched.emplace_back(s);
    }
  }
  void Aspect(int aspect) {
    if (aspect >= 0 && !aspect_seen[static_cast<size_t>(aspect)]) {
      aspect_seen[static_cast<size_t>(aspect)] = true;
      r.aspects.emplace_back(internal::AspectName(aspect));
    }
  }
  void Tick(size_t tokens) {
    negation_left -= static_cast<int>(tokens);
    intensifier_left -= static_cast<int>(tokens);
    if (negation_left < 0) {
      negation_left = 0;
    }
    if (intensifier_left <= 0) {
      intensifier_left = 0;
      multiplier = 1.0;
    }
  }
  void ResetPending() {
    negation_left = 0;
    intensifier_left = 0;
    multiplier = 1.0;
    intensifier_after_negation = false;
  }
  double Multiplier() const {
    if (intensifier_left == 0) {
      return 1.0;
    }
    return intensifier_after_negation ? kSoftenedIntensifier : multiplier;
  }

  void Contrast() {
    total *= kBeforeContrast;
    clause *= kBeforeContrast;
    for (size_t e = 0; e < kFeelings; ++e) {
      emo[e] *= kBeforeContrast;
      clause_emo[e] *= kBeforeContrast;
    }
    weight = kAfterContrast;
    ResetPending();
  }

  void Polar(const Term& term) {
    const double v = term.value * Multiplier() * weight;
    const bool negated = negation_left > 0 && term.negatable;
    if (term.kind == TermKind::kThreat) {
      if (!negated) {  // 不会给差评 is no threat
        r.threat = true;
        clause -= v;
        clause_emo[term.emotion >= 0 ? static_cast<size_t>(term.emotion) : kAnger] += v;
      }
    } else {
      const double sign = term.kind == TermKind::kPositive ? 1.0 : -1.0;
      if (negated) {
        clause += kNegationFlip * sign * v;
        if (sign > 0) {  // 不满意: a let-down; 不贵 carries no emotion
          clause_emo[kDisappointment] += -kNegationFlip * kDefaultEmotionShare * v;
        }
      } else {
        clause += sign * v;
        if (term.emotion >= 0) {
          clause_emo[static_cast<size_t>(term.emotion)] += v;
        } else {
          clause_emo[sign > 0 ? kSatisfaction : kDisappointment] += kDefaultEmotionShare * v;
        }
      }
    }
    clause_cue = true;
    ResetPending();
  }

  void EmotionWord(const Term& term) {
    if (negation_left == 0) {  // 不急 is calm
      clause_emo[static_cast<size_t>(term.emotion)] += term.value * Multiplier() * weight;
      clause_cue = true;
    }
    ResetPending();
  }

  // Closes the open clause, which ended with `exclamations` '!' and `questions` '?'.
  void Flush(int exclamations, int questions) {
    const int excl = std::min(exclamations, kMaxPunctRun);
    const int ques = std::min(questions, kMaxPunctRun);
    double factor = 1.0;
    if (excl >= 2) {
      factor += 0.15 * excl;
      if (clause < 0) {
        clause_emo[kAnger] += 0.25 * excl;
      } else if (!clause_cue) {
        clause_emo[kAnxiety] += 0.1 * excl;
      }
      Note("!!");
    } else if (excl == 1) {
      factor += 0.1;
    }
    if ((ques >= 1 || clause_ends_ma) && clause > 0) {
      clause *= kPositiveQuestion;
      clause_emo[kSatisfaction] *= kPositiveQuestion;
    }
    if (ques >= 2) {
      factor += 0.1 * ques;
      clause_emo[kAnxiety] += 0.2 * ques;
      if (clause < 0) {
        clause_emo[kAnger] += 0.1 * ques;
      }
      Note("??");
    }
    total += clause * factor;
    for (size_t e = 0; e < kFeelings; ++e) {
      emo[e] += clause_emo[e] * factor;
      clause_emo[e] = 0.0;
    }
    clause = 0.0;
    clause_cue = false;
    clause_ends_ma = false;
    ResetPending();
  }
};

SentimentResult LexiconAnalyzer::Run(std::string_view text, bool shouting) const {
  thread_local std::vector<Token> tokens;
  tokens.clear();
  internal::Tokenize(text, tokens);

  SentimentResult r;
  Scan s{r};
  size_t i = 0;
  while (i < tokens.size()) {
    if (tokens[i].type == TokenType::kClausePunct) {
      int exclamations = 0;
      int questions = 0;
      for (; i < tokens.size() && tokens[i].type == TokenType::kClausePunct; ++i) {
        exclamations += tokens[i].punct == '!' ? 1 : 0;
        questions += tokens[i].punct == '?' ? 1 : 0;
      }
      s.Flush(exclamations, questions);
      continue;
    }
    s.clause_ends_ma = tokens[i].hash == kMaHash;
    size_t length = 0;
    const Term* term = lexicon_.LongestMatch(tokens, i, length);
    if (term == nullptr) {
      s.Tick(1);
      ++i;
      continue;
    }
    i += length;
    if (term->kind != TermKind::kNeutral) {
      s.Note(term->text);
    }
    s.Aspect(term->aspect);
    switch (term->kind) {
      case TermKind::kNeutral:
      case TermKind::kAspect:
        s.Tick(length);
        break;
      case TermKind::kNegation:
        s.Tick(length);
        s.negation_left = kNegationWindow;
        break;
      case TermKind::kIntensifier:
        s.Tick(length);
        s.multiplier = s.intensifier_left > 0 ? std::min(s.multiplier * term->value, kMaxMultiplier)
                                              : term->value;
        s.intensifier_left = kIntensifierWindow;
        s.intensifier_after_negation = s.negation_left > 0;
        break;
      case TermKind::kContrast:
        s.Contrast();
        break;
      case TermKind::kEmotion:
        s.EmotionWord(*term);
        break;
      case TermKind::kPositive:
      case TermKind::kNegative:
      case TermKind::kThreat:
        s.Polar(*term);
        break;
    }
  }
  s.Flush(0, 0);

  if (shouting) {
    s.Note("CAPS");
    if (s.total <= 0) {
      s.total = s.total * 1.5 - 0.5;
      s.emo[kAnger] += 0.6;
    } else {
      s.total *= 1.3;
    }
  }

  r.score = std::tanh(s.total / kScoreScale);
  r.polarity = r.score <= -kNeutralBand  ? Polarity::kNegative
               : r.score >= kNeutralBand ? Polarity::kPositive
                                         : Polarity::kNeutral;
  double strongest = 0.0;
  for (size_t e = 0; e < kFeelings; ++e) {
    r.emotions[e] = 1.0 - std::exp(-std::max(0.0, s.emo[e]));
    if (r.emotions[e] > strongest) {
      strongest = r.emotions[e];
      if (strongest >= kMinEmotionIntensity) {
        r.emotion = static_cast<Emotion>(e);
        r.intensity = strongest;
      }
    }
  }
  r.emotions[static_cast<size_t>(Emotion::kNeutral)] = 1.0 - strongest;
  return r;
}

}  // namespace

Result<std::unique_ptr<SentimentAnalyzer>> NewLexiconAnalyzer(const std::string& dir) {
  KEFU_ASSIGN_OR_RETURN(internal::Lexicon lexicon,
                        internal::Lexicon::Load(dir.empty() ? DefaultSentimentLexiconDir() : dir));
  return std::unique_ptr<SentimentAnalyzer>(std::make_unique<LexiconAnalyzer>(std::move(lexicon)));
}

}  // namespace kefu::sentiment

#include "nlu/keywords.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "text/segmenter.h"

namespace kefu::nlu {
namespace {

bool IsStopWord(const std::string& w) {
  static const std::set<std::string> kStop = {
      "的",   "了",    "吗",    "呢",    "吧",   "啊",   "我",   "你",     "您",   "他",
      "她",   "它",    "我们",  "你们",  "是",   "在",   "有",   "和",     "就",   "也",
      "都",   "还",    "这",    "那",    "这个", "那个", "一下", "请问",   "请",   "怎么",
      "什么", "可以",  "能",    "要",    "想",   "我的", "一个", "没有",   "不",   "a",
      "an",   "the",   "is",    "are",   "am",   "i",    "my",   "me",     "you",  "your",
      "to",   "of",    "for",   "and",   "or",   "in",   "on",   "it",     "this", "that",
      "can",  "do",    "does",  "be",    "with", "what", "how",  "please", "when", "where",
      "will", "would", "could", "there", "have", "has",  "at",   "by",     "from"};
  return kStop.count(w) > 0;
}

// The keyword form of a token, or "" when it is none: sentence particles are stripped from
// Chinese words (买的 -> 买, 断了 -> 断), and a Chinese keyword needs two characters.
std::string KeywordForm(const text::Token& t) {
  if (t.kind == text::TokenKind::kLatin) {
    return IsStopWord(t.text) || t.text.size() < 2 ? std::string() : t.text;
  }
  if (t.kind != text::TokenKind::kWord) {
    return {};
  }
  std::string w = t.text;
  static const char* kParticles[] = {"的", "了", "吗", "呢", "吧", "啊", "呀", "嘛"};
  for (bool stripped = true; stripped && w.size() > 3;) {
    stripped = false;
    for (const char* p : kParticles) {
      const std::string_view suffix(p);
      if (w.size() > suffix.size() &&
          w.compare(w.size() - suffix.size(), suffix.size(), suffix) == 0) {
        w.resize(w.size() - suffix.size());
        stripped = true;
      }
    }
  }
  // Han characters are three bytes in UTF-8: one character is not a keyword.
  if (w.size() < 6 || IsStopWord(w)) {
    return {};
  }
  return w;
}

}  // namespace

KeywordExtractor::KeywordExtractor(const std::vector<std::string>& corpus,
                                   const text::Segmenter* segmenter)
    : segmenter_(segmenter != nullptr ? *segmenter : text::DefaultSegmenter()),
      docs_(corpus.size()) {
  for (const std::string& doc : corpus) {
    std::set<std::string> seen;
    for (const text::Token& t : segmenter_.Segment(doc)) {
      if (std::string w = KeywordForm(t); !w.empty()) {
        seen.insert(w);
      }
    }
    for (const std::string& w : seen) {
      ++df_[w];
    }
  }
}

std::vector<std::string> KeywordExtractor::Top(std::string_view text, size_t n) const {
  std::unordered_map<std::string, int> tf;
  std::vector<std::string> order;
  for (const text::Token& t : segmenter_.Segment(text)) {
    if (std::string w = KeywordForm(t); !w.empty() && tf[w]++ == 0) {
      order.push_back(w);
    }
  }
  std::vector<std::pair<double, std::string>> scored;
  for (const std::string& w : order) {
    auto it = df_.find(w);
    // Words unseen in the corpus still count (a new product name), a little less than the rarest
    // words the corpus has: most unseen words are everyday verbs, not domain terms.
    const double df = it == df_.end() ? 1.0 : it->second;
    const double unseen = it == df_.end() ? 0.8 : 1.0;
    const double idf = unseen * (std::log((1.0 + double(docs_)) / (1.0 + df)) + 1.0);
    const double length_bonus = w.size() >= 6 ? 1.2 : 1.0;  // two+ Han characters or a long word
    scored.push_back({tf[w] * idf * length_bonus, w});
  }
  std::stable_sort(scored.begin(), scored.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<std::string> out;
  for (size_t i = 0; i < scored.size() && out.size() < n; ++i) {
    out.push_back(scored[i].second);
  }
  return out;
}

}  // namespace kefu::nlu

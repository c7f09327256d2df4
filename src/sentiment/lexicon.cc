#include "sentiment/lexicon.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "core/file_util.h"
#include "core/strings.h"
#include "core/utf8.h"
#include "sentiment/sentiment.h"
#include "text/normalize.h"

namespace kefu::sentiment::internal {
namespace {

constexpr std::string_view kAspectNames[kAspectCount] = {"logistics", "quality", "service",
                                                         "price"};
constexpr double kMinValue = 0.1;
constexpr double kMaxValue = 3.0;
// Longer terms are never needed and would only slow the longest-match walk.
constexpr size_t kMaxTermTokens = 8;

bool IsAsciiAlnum(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// U+2019 RIGHT SINGLE QUOTATION MARK, the typographic apostrophe ("don’t").
constexpr std::string_view kRightQuote = "\xE2\x80\x99";

// Clause punctuation after Normalize (NFKC already folded ！？，；～ to ASCII). ':' is left out so
// that emoticons such as ":)" can be terms.
char ClausePunct(char32_t cp) {
  switch (cp) {
    case ',':
    case '.':
    case ';':
    case '!':
    case '?':
    case '~':
      return static_cast<char>(cp);
    case '\n':
    case 0x3002:  // 。
    case 0x3001:  // 、
    case 0xFF61:  // ｡
    case 0x2026:  // …
      return '.';
    default:
      return 0;
  }
}

int EmotionFromName(std::string_view name) {
  for (size_t e = 0; e + 1 < kEmotionCount; ++e) {
    if (EmotionName(static_cast<Emotion>(e)) == name) {
      return static_cast<int>(e);
    }
  }
  return -1;
}

int AspectFromName(std::string_view name) {
  for (int a = 0; a < kAspectCount; ++a) {
    if (kAspectNames[a] == name) {
      return a;
    }
  }
  return -1;
}

bool KindFromName(std::string_view name, TermKind& kind) {
  static constexpr std::pair<std::string_view, TermKind> kKinds[] = {
      {"pos", TermKind::kPositive},
      {"neg", TermKind::kNegative},
      {"intensifier", TermKind::kIntensifier},
      {"negation", TermKind::kNegation},
      {"contrast", TermKind::kContrast},
      {"emotion", TermKind::kEmotion},
      {"threat", TermKind::kThreat},
      {"aspect", TermKind::kAspect},
      {"neutral", TermKind::kNeutral},
  };
  for (const auto& [n, k] : kKinds) {
    if (n == name) {
      kind = k;
      return true;
    }
  }
  return false;
}

bool ParseValue(std::string_view field, double& value) {
  std::string s(field);
  if (s.empty()) {
    return false;
  }
  char* end = nullptr;
  value = std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size() && value >= kMinValue && value <= kMaxValue;
}

// Parses one non-comment line into `term`; returns the problem, or "" when it is fine.
std::string ParseLine(std::string_view line, Term& term) {
  std::vector<std::string_view> f = SplitOn(line, '\t');
  for (std::string_view& field : f) {
    field = TrimAsciiSpace(field);
  }
  if (f.size() < 2) {
    return "want term<TAB>kind[<TAB>value[<TAB>emotion[<TAB>aspect]]]";
  }
  if (f[0].empty()) {
    return "empty term";
  }
  if (!KindFromName(f[1], term.kind)) {
    return "unknown kind '" + std::string(f[1]) + "'";
  }
  auto field_or_none = [&](size_t idx) -> std::string_view {
    return idx < f.size() && f[idx] != "-" ? f[idx] : std::string_view();
  };
  switch (term.kind) {
    case TermKind::kNegation:
    case TermKind::kContrast:
    case TermKind::kNeutral:
      if (f.size() > 2) {
        return "kind '" + std::string(f[1]) + "' takes no value";
      }
      return "";
    case TermKind::kAspect:
      if (f.size() != 3 || (term.aspect = static_cast<int8_t>(AspectFromName(f[2]))) < 0) {
        return "aspect wants one of logistics, quality, service, price";
      }
      return "";
    case TermKind::kIntensifier:
      if (f.size() != 3 || !ParseValue(f[2], term.value)) {
        return "intensifier wants one multiplier in [0.1, 3]";
      }
      return "";
    case TermKind::kPositive:
    case TermKind::kNegative:
    case TermKind::kThreat:
    case TermKind::kEmotion:
      break;
  }
  if (f.size() < 3 || !ParseValue(f[2], term.value)) {
    return "value must be a number in [0.1, 3]";
  }
  if (f.size() > 5) {
    return "too many fields";
  }
  if (std::string_view e = field_or_none(3); !e.empty()) {
    term.emotion = static_cast<int8_t>(EmotionFromName(e));
    if (term.emotion < 0) {
      return "unknown emotion '" + std::string(e) +
             "' (anger, anxiety, disappointment, satisfaction)";
    }
  }
  if (term.kind == TermKind::kEmotion && term.emotion < 0) {
    return "kind 'emotion' needs an emotion";
  }
  if (std::string_view a = field_or_none(4); !a.empty()) {
    term.aspect = static_cast<int8_t>(AspectFromName(a));
    if (term.aspect < 0) {
      return "unknown aspect '" + std::string(a) + "' (logistics, quality, service, price)";
    }
  }
  return "";
}

}  // namespace

std::string_view AspectName(int aspect) {
  return aspect >= 0 && aspect < kAspectCount ? kAspectNames[aspect] : std::string_view();
}

void Tokenize(std::string_view text, std::vector<Token>& out) {
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    auto c = static_cast<unsigned char>(text[i]);
    if (IsAsciiAlnum(c)) {
      const size_t begin = i;
      uint64_t h = kFnv1aOffsetBasis;
      while (i < n) {
        c = static_cast<unsigned char>(text[i]);
        if (IsAsciiAlnum(c)) {
          h ^= static_cast<uint8_t>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
          h *= 1099511628211ull;
          ++i;
        } else if (c == '\'' && i + 1 < n &&
                   IsAsciiAlnum(static_cast<unsigned char>(text[i + 1]))) {
          ++i;
        } else if (text.substr(i, kRightQuote.size()) == kRightQuote && i + 3 < n &&
                   IsAsciiAlnum(static_cast<unsigned char>(text[i + 3]))) {
          i += kRightQuote.size();
        } else {
          break;
        }
      }
      out.push_back({h, static_cast<uint32_t>(begin), static_cast<uint32_t>(i), TokenType::kWord});
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\r') {
      ++i;
      continue;
    }
    char32_t cp = 0;
    size_t len = utf8::DecodeAt(text, i, cp);
    if (len == 0) {
      len = 1;
      cp = 0xFFFD;
    }
    if (cp == 0xFE0F || cp == 0x3000) {  // emoji presentation selector, ideographic space
      i += len;
      continue;
    }
    Token t{Fnv1a64(text.substr(i, len)), static_cast<uint32_t>(i), static_cast<uint32_t>(i + len),
            TokenType::kChar};
    if (char p = ClausePunct(cp); p != 0) {
      t.type = TokenType::kClausePunct;
      t.punct = p;
    }
    out.push_back(t);
    i += len;
  }
}

Status Lexicon::Add(Term term, const std::string& where) {
  std::vector<Token> tokens;
  Tokenize(term.text, tokens);
  if (tokens.empty()) {
    return InvalidArgumentError(where + ": term '" + term.text + "' has no tokens");
  }
  if (tokens.size() > kMaxTermTokens) {
    return InvalidArgumentError(where + ": term '" + term.text + "' is longer than 8 tokens");
  }
  char32_t first = 0;
  utf8::DecodeAt(term.text, 0, first);
  term.negatable = IsAsciiAlnum(static_cast<unsigned char>(term.text[0])) || utf8::IsHan(first);
  uint32_t node = 0;
  for (const Token& t : tokens) {
    auto [it, inserted] =
        edges_.try_emplace(EdgeKey(node, t.hash), static_cast<uint32_t>(nodes_.size()));
    if (inserted) {
      nodes_.push_back(Node{});
    }
    node = it->second;
  }
  if (nodes_[node].term >= 0) {
    return InvalidArgumentError(where + ": duplicate term '" + term.text + "'");
  }
  nodes_[node].term = static_cast<int32_t>(terms_.size());
  terms_.push_back(std::move(term));
  max_depth_ = std::max(max_depth_, tokens.size());
  return OkStatus();
}

Status Lexicon::AddFile(const std::string& file, std::string_view contents) {
  size_t line_no = 0;
  size_t pos = 0;
  while (pos < contents.size()) {
    size_t nl = contents.find('\n', pos);
    std::string_view line =
        contents.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? contents.size() : nl + 1;
    ++line_no;
    std::string_view trimmed = TrimAsciiSpace(line);
    if (trimmed.empty() || trimmed.front() == '#') {
      continue;
    }
    const std::string where = file + ":" + std::to_string(line_no);
    if (!utf8::IsValid(line)) {
      return InvalidArgumentError(where + ": not valid UTF-8");
    }
    Term term;
    if (std::string problem = ParseLine(line, term); !problem.empty()) {
      return InvalidArgumentError(where + ": " + problem);
    }
    // The same folding as the text we match: traditional, full-width and upper-case terms match.
    term.text = text::Normalize(TrimAsciiSpace(SplitOn(line, '\t')[0])).text;
    KEFU_RETURN_IF_ERROR(Add(std::move(term), where));
  }
  return OkStatus();
}

Result<Lexicon> Lexicon::Load(const std::string& dir) {
  Lexicon lexicon;
  for (const char* name : {"lexicon_zh.tsv", "lexicon_en.tsv"}) {
    std::string path = dir + "/" + name;
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      return NotFoundError("sentiment lexicon: cannot open " + path);
    }
    std::ostringstream contents;
    contents << in.rdbuf();
    KEFU_RETURN_IF_ERROR(lexicon.AddFile(path, contents.str()));
  }
  return lexicon;
}

const Term* Lexicon::LongestMatch(const std::vector<Token>& tokens, size_t start,
                                  size_t& length) const {
  const Term* best = nullptr;
  uint32_t node = 0;
  const size_t limit = std::min(tokens.size(), start + max_depth_);
  for (size_t i = start; i < limit; ++i) {
    auto it = edges_.find(EdgeKey(node, tokens[i].hash));
    if (it == edges_.end()) {
      break;
    }
    node = it->second;
    if (nodes_[node].term >= 0) {
      best = &terms_[static_cast<size_t>(nodes_[node].term)];
      length = i - start + 1;
    }
  }
  return best;
}

}  // namespace kefu::sentiment::internal

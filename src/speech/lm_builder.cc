// The domain language model: English sentences from kefu's own data, turned into an interpolated
// Kneser-Ney n-gram model in ARPA form that pocketsphinx loads (`-lm shop.arpa`).
//
// Why our own builder: Debian packages no LM toolkit that pocketsphinx 5prealpha reads (no
// SRILM, KenLM or cmuclmtk), and the model is small (a few thousand sentences), so a direct
// implementation of Chen & Goodman's "interpolated Kneser-Ney" (1998, section 3.5; the modified
// variant with three discounts, section 4.1.6) fits in a page. The ARPA file stores the
// interpolated probability of every seen n-gram and, for every context, the interpolation weight
// as its backoff weight, so backing off to a lower order gives exactly the interpolated estimate.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <map>
#include <sstream>
#include <utility>

#include <nlohmann/json.hpp>

#include "core/strings.h"
#include "core/utf8.h"
#include "speech/speech.h"

namespace kefu::speech {

namespace {

constexpr std::string_view kSentenceStart = "<s>";
constexpr std::string_view kSentenceEnd = "</s>";
// The words a shopper reads digits with; always in the model so that an order or phone number
// can be said even when the training text spells few of them.
constexpr std::string_view kDigitWords[] = {"zero", "one",   "two",   "three", "four", "five",
                                            "six",  "seven", "eight", "nine",  "oh"};
constexpr std::string_view kOnes[] = {"zero",    "one",     "two",       "three",    "four",
                                      "five",    "six",     "seven",     "eight",    "nine",
                                      "ten",     "eleven",  "twelve",    "thirteen", "fourteen",
                                      "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"};
constexpr std::string_view kTens[] = {"",      "",      "twenty",  "thirty", "forty",
                                      "fifty", "sixty", "seventy", "eighty", "ninety"};
// ARPA's log10 probability for <s>, which is never predicted (the usual SRILM/KenLM value).
constexpr double kNeverLog10 = -99.0;
constexpr int kMaxOrder = 6;

// ---- Text to words

// Appends the spoken form of a run of ASCII digits. Numbers of one or two digits are said as
// numbers ("7 days" -> "seven", "48 hours" -> "forty eight"); longer runs (order, phone and
// tracking numbers, years, the last four digits) digit by digit, as shoppers read them
// ("4100" -> "four one zero zero"). A leading zero is always read as a digit ("05").
void AppendNumberWords(std::string_view digits, std::vector<std::string>& words) {
  if (digits.size() <= 2 && digits.front() != '0') {
    const int value = std::stoi(std::string(digits));
    if (value < 20) {
      words.emplace_back(kOnes[value]);
    } else {
      words.emplace_back(kTens[value / 10]);
      if (value % 10 != 0) {
        words.emplace_back(kOnes[value % 10]);
      }
    }
    return;
  }
  for (char d : digits) {
    words.emplace_back(kOnes[d - '0']);
  }
}

bool IsAsciiAlnum(char32_t c) {
  return (c >= U'a' && c <= U'z') || (c >= U'A' && c <= U'Z') || (c >= U'0' && c <= U'9');
}

bool IsSentenceEnd(std::u32string_view text, size_t i) {
  const char32_t c = text[i];
  if (c == U'!' || c == U'?' || c == U';' || c == U':' || c == U'\n' || c == U'\u3002' ||
      c == U'\uFF01' || c == U'\uFF1F') {
    return true;
  }
  // "6.67" and "e.g." are not sentence ends: a period between two letters or digits.
  return c == U'.' &&
         !(i > 0 && IsAsciiAlnum(text[i - 1]) && i + 1 < text.size() && IsAsciiAlnum(text[i + 1]));
}

// Splits `text` into sentences of lower-case words: letters and apostrophes make words, digit
// runs become number words, '%' and '&' are said, {placeholders} and everything else separate
// words. Appends the non-empty sentences to `out`.
void AppendSentences(std::string_view text, std::vector<std::string>& out) {
  const std::u32string cps = utf8::Decode(text);
  std::vector<std::string> words;
  std::string word;
  std::string digits;
  auto flush_token = [&] {
    if (!digits.empty()) {
      AppendNumberWords(digits, words);
      digits.clear();
    }
    // Quotes around a word ('confirm') and a trailing possessive apostrophe are not the word.
    while (!word.empty() && word.front() == '\'') {
      word.erase(word.begin());
    }
    while (!word.empty() && word.back() == '\'') {
      word.pop_back();
    }
    if (!word.empty()) {
      words.push_back(word);
      word.clear();
    }
  };
  auto flush_sentence = [&] {
    flush_token();
    if (words.empty()) {
      return;
    }
    std::string sentence;
    for (const std::string& w : words) {
      if (!sentence.empty()) {
        sentence += ' ';
      }
      sentence += w;
    }
    out.push_back(std::move(sentence));
    words.clear();
  };
  for (size_t i = 0; i < cps.size(); ++i) {
    char32_t c = cps[i];
    if (c == U'{') {  // a template placeholder: {order_id}
      const size_t close = cps.find(U'}', i);
      if (close != std::u32string::npos) {
        flush_token();
        i = close;
        continue;
      }
    }
    if (c == U'\u2019' || c == U'\u2018') {
      c = U'\'';
    }
    if (c >= U'A' && c <= U'Z') {
      c = c - U'A' + U'a';
    }
    if ((c >= U'a' && c <= U'z') || (c == U'\'' && !word.empty())) {
      if (!digits.empty()) {
        flush_token();
      }
      word += static_cast<char>(c);
    } else if (c >= U'0' && c <= U'9') {
      if (!word.empty()) {
        flush_token();
      }
      digits += static_cast<char>(c);
    } else if (c == U'.' && !digits.empty() && i + 1 < cps.size() && cps[i + 1] >= U'0' &&
               cps[i + 1] <= U'9') {
      flush_token();
      words.emplace_back("point");  // "6.5" -> "six point five"
    } else if (IsSentenceEnd(cps, i)) {
      flush_sentence();
    } else {
      flush_token();
      if (c == U'%') {
        words.emplace_back("percent");
      } else if (c == U'&') {
        words.emplace_back("and");
      }
    }
  }
  flush_sentence();
}

// ---- Reading kefu's data files

Status ReadLines(const std::filesystem::path& path, std::vector<std::string>& lines) {
  std::ifstream in(path);
  if (!in) {
    return NotFoundError("domain text: cannot read '" + path.string() + "'");
  }
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') {
      line.pop_back();
    }
    lines.push_back(std::move(line));
  }
  return OkStatus();
}

// data/nlu/intents.tsv: text<TAB>label<TAB>lang, no header (data/nlu/README.md).
Status AppendIntentUtterances(const std::filesystem::path& path, std::vector<std::string>& out) {
  std::vector<std::string> lines;
  KEFU_RETURN_IF_ERROR(ReadLines(path, lines));
  for (const std::string& line : lines) {
    const std::vector<std::string_view> fields = SplitOn(line, '\t');
    if (fields.size() >= 3 && TrimAsciiSpace(fields[2]) == "en") {
      AppendSentences(fields[0], out);
    }
  }
  return OkStatus();
}

// Decodes the TOML basic string that starts at line[i] (the opening quote); sets `i` past the
// closing quote.
std::string ParseTomlString(std::string_view line, size_t& i) {
  std::string value;
  for (++i; i < line.size() && line[i] != '"'; ++i) {
    if (line[i] != '\\' || i + 1 >= line.size()) {
      value += line[i];
      continue;
    }
    const char e = line[++i];
    if (e == 'n') {
      value += '\n';
    } else if (e == 't') {
      value += ' ';
    } else if (e == 'u' || e == 'U') {
      const size_t len = e == 'u' ? 4 : 8;
      if (i + len < line.size()) {
        const auto cp = static_cast<char32_t>(
            std::strtoul(std::string(line.substr(i + 1, len)).c_str(), nullptr, 16));
        utf8::AppendCodePoint(cp, value);
        i += len;
      }
    } else {
      value += e;  // \" \\ and the rest stand for themselves
    }
  }
  ++i;
  return value;
}

// The English strings of a flow or reply-template TOML file: every string in an `en = ...` or
// `*_en = ...` value (a string, an array of strings, strings inside inline tables) and every
// string in an [en] or [en.*] table. Only what kefu's data uses is understood: basic strings,
// inline tables and arrays, possibly over several lines; no multi-line or literal strings.
Status AppendTomlEnglish(const std::filesystem::path& path, std::vector<std::string>& out) {
  std::vector<std::string> lines;
  KEFU_RETURN_IF_ERROR(ReadLines(path, lines));
  std::string table;  // the current [table] header
  // One entry per open inline table or array: the key whose value it is.
  std::vector<std::string> keys;
  std::string key;  // the key of the value being read at the current depth
  auto is_english = [&](const std::string& k) {
    const bool en_key = k == "en" || (k.size() > 3 && k.ends_with("_en"));
    if (en_key) {
      return true;
    }
    for (const std::string& outer : keys) {
      if (outer == "en" || outer.ends_with("_en")) {
        return true;
      }
    }
    return keys.empty() && (table == "en" || table.starts_with("en."));
  };
  for (const std::string& raw : lines) {
    const std::string_view line = raw;
    const std::string_view trimmed = TrimAsciiSpace(line);
    if (keys.empty() && trimmed.starts_with('[')) {
      std::string_view name = trimmed;
      while (!name.empty() && (name.front() == '[' || name.front() == ' ')) {
        name.remove_prefix(1);
      }
      name = name.substr(0, name.find(']'));
      table = std::string(TrimAsciiSpace(name));
      key.clear();
      continue;
    }
    for (size_t i = 0; i < line.size();) {
      const char c = line[i];
      if (c == '#') {
        break;
      }
      if (c == '"') {
        const std::string value = ParseTomlString(line, i);
        if (is_english(key)) {
          AppendSentences(value, out);
        }
        continue;
      }
      if (std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-') {
        const size_t start = i;
        while (i < line.size() && (std::isalnum(static_cast<unsigned char>(line[i])) != 0 ||
                                   line[i] == '_' || line[i] == '-' || line[i] == '.')) {
          ++i;
        }
        size_t j = i;
        while (j < line.size() && line[j] == ' ') {
          ++j;
        }
        if (j < line.size() && line[j] == '=') {
          key = std::string(line.substr(start, i - start));
          i = j + 1;
        }
        continue;
      }
      if (c == '{' || c == '[') {
        keys.push_back(key);
        if (c == '{') {
          key.clear();
        }
      } else if ((c == '}' || c == ']') && !keys.empty()) {
        key = keys.back();
        keys.pop_back();
      }
      ++i;
    }
  }
  return OkStatus();
}

// A Markdown document (the shop's policies): every paragraph, list item and table cell, with
// the markup (headings, emphasis, links' targets) removed.
Status AppendMarkdown(const std::filesystem::path& path, std::vector<std::string>& out) {
  std::vector<std::string> lines;
  KEFU_RETURN_IF_ERROR(ReadLines(path, lines));
  for (const std::string& raw : lines) {
    std::string line;
    // [text](target) -> text; the target is a URL or a path, not something said.
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == ']' && i + 1 < raw.size() && raw[i + 1] == '(') {
        const size_t close = raw.find(')', i);
        if (close != std::string::npos) {
          i = close;
          continue;
        }
      }
      line += raw[i];
    }
    if (line.starts_with("```") || line.find("---") != std::string::npos) {
      continue;  // code fences and table rules
    }
    // Table cells are separate phrases; '|' is no sentence end for AppendSentences.
    for (std::string_view cell : SplitOn(line, '|')) {
      AppendSentences(cell, out);
    }
  }
  return OkStatus();
}

// A JSON-lines file: `fields` of every object (strings, or arrays of strings); objects whose
// "lang" is present and not "en" are skipped.
Status AppendJsonlFields(const std::filesystem::path& path,
                         std::initializer_list<std::string_view> fields,
                         std::vector<std::string>& out) {
  std::vector<std::string> lines;
  KEFU_RETURN_IF_ERROR(ReadLines(path, lines));
  int line_no = 0;
  for (const std::string& line : lines) {
    ++line_no;
    if (TrimAsciiSpace(line).empty()) {
      continue;
    }
    nlohmann::json row = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (row.is_discarded() || !row.is_object()) {
      return InvalidArgumentError("domain text: " + path.string() + ":" + std::to_string(line_no) +
                                  ": not a JSON object");
    }
    if (row.contains("lang") && row["lang"] != "en") {
      continue;
    }
    for (std::string_view field : fields) {
      const auto it = row.find(field);
      if (it == row.end()) {
        continue;
      }
      if (it->is_string()) {
        AppendSentences(it->get<std::string>(), out);
      } else if (it->is_array()) {
        for (const nlohmann::json& item : *it) {
          if (item.is_string()) {
            AppendSentences(item.get<std::string>(), out);
          }
        }
      }
    }
  }
  return OkStatus();
}

// ---- The n-gram model

using Ngram = std::vector<int32_t>;
using NgramCounts = std::map<Ngram, double>;

// Absolute discounts of one order: d[1] for n-grams seen once, d[2] twice, d[3] three or more
// times (all equal for plain Kneser-Ney).
struct Discounts {
  double d[4] = {0, 0, 0, 0};
  double For(double count) const { return d[std::min(3, static_cast<int>(count))]; }
};

// Chen & Goodman's estimates from the counts of counts; `fallback` (plain Kneser-Ney) when the
// counts are too few for them to be sane.
Discounts EstimateDiscounts(const NgramCounts& counts, double fallback, bool modified) {
  Discounts plain;
  for (double& d : plain.d) {
    d = fallback;
  }
  if (!modified) {
    return plain;
  }
  double n[5] = {0, 0, 0, 0, 0};
  for (const auto& [gram, count] : counts) {
    const auto c = static_cast<int>(count);
    if (c >= 1 && c <= 4) {
      n[c] += 1;
    }
  }
  if (n[1] == 0 || n[2] == 0 || n[3] == 0 || n[4] == 0) {
    return plain;
  }
  const double y = n[1] / (n[1] + 2 * n[2]);
  Discounts out;
  out.d[1] = 1 - 2 * y * n[2] / n[1];
  out.d[2] = 2 - 3 * y * n[3] / n[2];
  out.d[3] = 3 - 4 * y * n[4] / n[3];
  for (int k = 1; k <= 3; ++k) {
    if (!(out.d[k] > 0 && out.d[k] < k)) {
      return plain;
    }
  }
  return out;
}

std::string FormatLog10(double p) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6f", p > 0 ? std::log10(p) : kNeverLog10);
  return buf;
}

}  // namespace

Result<std::vector<std::string>> DomainSentences(const std::string& data_dir) {
  namespace fs = std::filesystem;
  const fs::path root(data_dir);
  std::vector<std::string> raw;
  // The shoppers' own words come first and are required; the rest add the words of the shop's
  // replies, catalog and FAQ when present.
  KEFU_RETURN_IF_ERROR(AppendIntentUtterances(root / "nlu" / "intents.tsv", raw));
  std::error_code ec;
  std::vector<fs::path> tomls;
  for (const auto& entry : fs::directory_iterator(root / "flows", ec)) {
    if (entry.path().extension() == ".toml") {
      tomls.push_back(entry.path());
    }
  }
  std::sort(tomls.begin(), tomls.end());
  tomls.push_back(root / "templates" / "replies.toml");
  for (const fs::path& path : tomls) {
    if (fs::exists(path)) {
      KEFU_RETURN_IF_ERROR(AppendTomlEnglish(path, raw));
    }
  }
  const fs::path products = root / "demo" / "products.jsonl";
  if (fs::exists(products)) {
    KEFU_RETURN_IF_ERROR(AppendJsonlFields(products, {"name_en"}, raw));
  }
  const fs::path faq = root / "kb" / "faq_en.jsonl";
  if (fs::exists(faq)) {
    KEFU_RETURN_IF_ERROR(AppendJsonlFields(faq, {"question", "paraphrases"}, raw));
  }
  // The shop's policies: the words shoppers use about returns, delivery, invoices, warranty.
  std::vector<fs::path> policies;
  for (const auto& entry : fs::directory_iterator(root / "demo" / "policies" / "en", ec)) {
    if (entry.path().extension() == ".md") {
      policies.push_back(entry.path());
    }
  }
  std::sort(policies.begin(), policies.end());
  for (const fs::path& path : policies) {
    KEFU_RETURN_IF_ERROR(AppendMarkdown(path, raw));
  }
  // The same sentence twice (an FAQ paraphrase that is also an intent example) counts once.
  std::vector<std::string> sentences;
  std::set<std::string> seen;
  for (std::string& s : raw) {
    if (seen.insert(s).second) {
      sentences.push_back(std::move(s));
    }
  }
  return sentences;
}

Result<std::string> BuildArpa(const std::vector<std::string>& sentences,
                              const std::set<std::string>& vocabulary, const LmOptions& options) {
  const int order = options.order;
  if (order < 1 || order > kMaxOrder) {
    return InvalidArgumentError("language model order must be 1-" + std::to_string(kMaxOrder) +
                                ", got " + std::to_string(order));
  }
  // discount in (0, 1): plain interpolated Kneser-Ney with that discount at every order;
  // discount <= 0: modified Kneser-Ney, three discounts per order estimated from the counts.
  const bool modified = options.discount <= 0;
  if (options.discount >= 1) {
    return InvalidArgumentError("language model discount must be below 1, got " +
                                std::to_string(options.discount));
  }
  const double fallback_discount = modified ? 0.7 : options.discount;

  // Word ids in the words' sorted order, so that sorting n-grams by id sorts them by text and
  // the file comes out the same for the same input.
  std::set<std::string> words = {std::string(kSentenceStart), std::string(kSentenceEnd)};
  std::vector<std::vector<std::string>> tokenized;
  tokenized.reserve(sentences.size());
  for (const std::string& sentence : sentences) {
    std::vector<std::string> tokens;
    std::istringstream in(sentence);
    for (std::string w; in >> w;) {
      tokens.push_back(std::move(w));
    }
    for (const std::string& w : tokens) {
      if (vocabulary.contains(w)) {
        words.insert(w);
      }
    }
    tokenized.push_back(std::move(tokens));
  }
  if (words.size() == 2) {
    return InvalidArgumentError("language model: no sentence has a word in the vocabulary");
  }
  for (std::string_view digit : kDigitWords) {
    if (vocabulary.contains(std::string(digit))) {
      words.insert(std::string(digit));
    }
  }
  std::vector<std::string> names(words.begin(), words.end());
  std::map<std::string, int32_t, std::less<>> ids;
  for (size_t i = 0; i < names.size(); ++i) {
    ids.emplace(names[i], static_cast<int32_t>(i));
  }
  const int32_t bos = ids.find(kSentenceStart)->second;
  const int32_t eos = ids.find(kSentenceEnd)->second;

  // Fragments: a sentence split at its out-of-vocabulary words. Only a sentence's first fragment
  // starts with <s> and only its last ends with </s>.
  std::vector<Ngram> fragments;
  for (const std::vector<std::string>& tokens : tokenized) {
    Ngram fragment = {bos};
    for (const std::string& w : tokens) {
      const auto it = ids.find(w);
      if (it == ids.end()) {
        if (!fragment.empty()) {
          fragments.push_back(std::move(fragment));
        }
        fragment.clear();
        continue;
      }
      fragment.push_back(it->second);
    }
    fragment.push_back(eos);
    fragments.push_back(std::move(fragment));
  }

  // counts[n]: the n-grams' counts. The highest order keeps raw counts; a lower order keeps
  // Kneser-Ney continuation counts: the number of distinct words seen before the n-gram, plus
  // its occurrences with nothing before it (at <s> or right after a dropped word), which is how
  // KenLM treats n-grams that start with <s>.
  std::vector<NgramCounts> counts(order + 1);
  for (const Ngram& fragment : fragments) {
    for (size_t i = 0; i < fragment.size(); ++i) {
      for (int n = 1; n <= order && i + n <= fragment.size(); ++n) {
        Ngram gram(fragment.begin() + static_cast<std::ptrdiff_t>(i),
                   fragment.begin() + static_cast<std::ptrdiff_t>(i + n));
        counts[n][std::move(gram)] += (n == order || i == 0) ? 1 : 0;
      }
    }
  }
  for (int n = order - 1; n >= 1; --n) {
    for (const auto& [gram, count] : counts[n + 1]) {
      counts[n][Ngram(gram.begin() + 1, gram.end())] += 1;
    }
  }
  // Words with no count (the digits, when the text spells none) still get the uniform share.
  for (size_t id = 0; id < names.size(); ++id) {
    counts[1].try_emplace(Ngram{static_cast<int32_t>(id)}, 0.0);
  }

  // prob[n][gram]: the interpolated probability; backoff[n][gram]: the gram's weight as a
  // context (the discounted mass it hands to the lower order), absent when nothing follows it.
  std::vector<std::map<Ngram, double>> prob(order + 1);
  std::vector<std::map<Ngram, double>> backoff(order + 1);
  for (int n = 1; n <= order; ++n) {
    NgramCounts& table = counts[n];
    if (n == 1) {
      table.erase(Ngram{bos});  // never predicted
    }
    const Discounts discounts = EstimateDiscounts(table, fallback_discount, modified);
    // Per context: the total count and the total discounted mass.
    std::map<Ngram, std::pair<double, double>> context;
    for (const auto& [gram, count] : table) {
      auto& [total, mass] = context[Ngram(gram.begin(), gram.end() - 1)];
      total += count;
      mass += count > 0 ? discounts.For(count) : 0;
    }
    const double vocabulary_size = static_cast<double>(table.size());
    for (const auto& [gram, count] : table) {
      const Ngram ctx(gram.begin(), gram.end() - 1);
      const auto& [total, mass] = context.at(ctx);
      const double gamma = mass / total;
      const double lower =
          n == 1 ? 1.0 / vocabulary_size : prob[n - 1].at(Ngram(gram.begin() + 1, gram.end()));
      const double discounted = count > 0 ? (count - discounts.For(count)) / total : 0;
      prob[n][gram] = discounted + gamma * lower;
    }
    if (n >= 2) {
      for (const auto& [ctx, totals] : context) {
        backoff[n - 1][ctx] = totals.second / totals.first;
      }
    }
  }

  std::string arpa = "\\data\\\n";
  for (int n = 1; n <= order; ++n) {
    // Unigrams: the table plus <s>, which is only a context.
    const size_t entries = prob[n].size() + (n == 1 ? 1 : 0);
    arpa += "ngram " + std::to_string(n) + "=" + std::to_string(entries) + "\n";
  }
  for (int n = 1; n <= order; ++n) {
    arpa += "\n\\" + std::to_string(n) + "-grams:\n";
    std::map<Ngram, double> entries = prob[n];
    if (n == 1) {
      entries[Ngram{bos}] = 0;
    }
    for (const auto& [gram, p] : entries) {
      arpa += FormatLog10(p);
      arpa += '\t';
      for (size_t k = 0; k < gram.size(); ++k) {
        if (k > 0) {
          arpa += ' ';
        }
        arpa += names[gram[k]];
      }
      const auto bo = backoff[n].find(gram);
      if (bo != backoff[n].end() && n < order) {
        arpa += '\t';
        arpa += FormatLog10(bo->second);
      }
      arpa += '\n';
    }
  }
  arpa += "\n\\end\\\n";
  return arpa;
}

Result<std::set<std::string>> DictionaryWords(const std::string& dict_path) {
  std::ifstream in(dict_path);
  if (!in) {
    return NotFoundError("pronunciation dictionary '" + dict_path + "' does not exist");
  }
  std::set<std::string> words;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line.starts_with(";;;") || line.starts_with('#')) {
      continue;
    }
    std::string word = line.substr(0, line.find_first_of(" \t"));
    // "read(2)": a second pronunciation of "read".
    if (word.size() > 3 && word.back() == ')') {
      const size_t open = word.rfind('(');
      if (open != std::string::npos && open > 0) {
        word.resize(open);
      }
    }
    if (!word.empty()) {
      words.insert(std::move(word));
    }
  }
  if (words.empty()) {
    return InvalidArgumentError("pronunciation dictionary '" + dict_path + "' has no words");
  }
  return words;
}

}  // namespace kefu::speech

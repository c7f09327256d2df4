#include "text/pinyin.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>

#include "core/utf8.h"
#include "text/char_class.h"

#ifndef KEFU_PINYIN_DICT
#define KEFU_PINYIN_DICT "/usr/share/gocode/src/github.com/mozillazg/go-pinyin/pinyin_dict.go"
#endif

namespace kefu::text {
namespace {

// The longest toneless syllable ("zhuang", "chuang", "shuang").
constexpr size_t kMaxSyllable = 6;

// A toned vowel -> its plain letter; ü and its tones -> v. 0 for anything else.
char PlainLetter(char32_t cp) {
  if (cp >= 'a' && cp <= 'z') {
    return static_cast<char>(cp);
  }
  static constexpr std::pair<std::u32string_view, char> kToned[] = {
      {U"āáǎà", 'a'}, {U"ēéěèê", 'e'}, {U"īíǐì", 'i'}, {U"ōóǒò", 'o'},
      {U"ūúǔù", 'u'}, {U"üǖǘǚǜ", 'v'}, {U"ńňǹ", 'n'},  {U"ḿ", 'm'}};
  for (const auto& [toned, plain] : kToned) {
    if (toned.find(cp) != std::u32string_view::npos) {
      return plain;
    }
  }
  return 0;
}

// A reading without its tone ("lǜ" -> "lv"), or "" when it has a letter pinyin does not use.
std::string Toneless(std::string_view reading) {
  std::string out;
  for (size_t i = 0; i < reading.size();) {
    char32_t cp = 0;
    const size_t n = utf8::DecodeAt(reading, i, cp);
    if (n == 0) {
      return "";
    }
    i += n;
    if (cp == 0x0304 || cp == 0x030C) {  // combining macron / caron after ê or m
      continue;
    }
    const char c = PlainLetter(cp);
    if (c == 0) {
      return "";
    }
    out += c;
  }
  return out;
}

bool IsBareConsonant(std::string_view s) {
  return s == "m" || s == "n" || s == "ng" || s == "hm" || s == "hng" || s == "r";
}

// The readings, and the syllables a keyboard can type, in forms that cost a few array reads:
// PinyinRuns runs over every message the classifier reads.
struct Table {
  Status status = OkStatus();
  std::vector<std::unique_ptr<std::string>> syllables;  // stable addresses for string_views
  std::unordered_map<std::string_view, uint16_t> syllable_index;
  // Readings: index + 1 into `syllables`, 0 for none. The BMP ideograph blocks in a flat table,
  // the rest (extensions B and later) in a map.
  static constexpr char32_t kFlatFirst = 0x3400;
  static constexpr char32_t kFlatLast = 0x9FFF;
  std::vector<uint16_t> flat = std::vector<uint16_t>(kFlatLast - kFlatFirst + 1, 0);
  std::unordered_map<char32_t, uint16_t> other;
  // The other toneless readings of a polyphonic character (谁 -> shei beside shui), in order.
  std::unordered_map<char32_t, std::vector<uint16_t>> more;
  // The typable syllables as a trie over a-z: node * 26 + letter -> child node, 0 for none;
  // `ends` holds index + 1 of the syllable that ends at a node.
  std::vector<uint32_t> trie = std::vector<uint32_t>(26, 0);
  std::vector<uint16_t> ends = std::vector<uint16_t>(1, 0);

  uint16_t Intern(const std::string& s) {
    auto it = syllable_index.find(s);
    if (it != syllable_index.end()) {
      return it->second;
    }
    syllables.push_back(std::make_unique<std::string>(s));
    const auto index = static_cast<uint16_t>(syllables.size() - 1);
    syllable_index.emplace(*syllables.back(), index);
    return index;
  }
  void SetReading(char32_t cp, uint16_t index) {
    if (cp >= kFlatFirst && cp <= kFlatLast) {
      uint16_t& slot = flat[cp - kFlatFirst];
      slot = slot == 0 ? static_cast<uint16_t>(index + 1) : slot;
    } else {
      other.emplace(cp, static_cast<uint16_t>(index + 1));
    }
  }
  uint16_t ReadingOf(char32_t cp) const {  // index + 1, or 0
    if (cp >= kFlatFirst && cp <= kFlatLast) {
      return flat[cp - kFlatFirst];
    }
    auto it = other.find(cp);
    return it == other.end() ? 0 : it->second;
  }
  void AddTypable(uint16_t index) {
    uint32_t node = 0;
    for (char c : *syllables[index]) {
      const size_t slot = size_t(node) * 26 + static_cast<size_t>(c - 'a');
      if (trie[slot] == 0) {
        trie[slot] = static_cast<uint32_t>(ends.size());
        ends.push_back(0);
        trie.resize(trie.size() + 26, 0);
      }
      node = trie[slot];
    }
    ends[node] = static_cast<uint16_t>(index + 1);
  }
  bool empty() const { return ends.size() == 1; }
};

// Reads lines of the form `\t0x9000: "tuì,tùn",` from the Go source of the dictionary.
Table Load(const std::string& path) {
  Table t;
  std::ifstream in(path);
  if (!in) {
    t.status = UnavailableError("pinyin table " + path +
                                " not found (scripts/install-deps.sh installs "
                                "golang-github-mozillazg-go-pinyin-dev)");
    return t;
  }
  std::string line;
  while (std::getline(in, line)) {
    const size_t hex = line.find("0x");
    const size_t colon = line.find(": \"");
    if (hex == std::string::npos || colon == std::string::npos || colon < hex) {
      continue;
    }
    uint32_t cp = 0;
    const auto [end, ec] = std::from_chars(line.data() + hex + 2, line.data() + colon, cp, 16);
    if (ec != std::errc() || end != line.data() + colon) {
      continue;
    }
    const size_t open = colon + 3;
    const size_t close = line.find('"', open);
    if (close == std::string::npos) {
      continue;
    }
    const std::string_view readings(line.data() + open, close - open);
    bool first = true;
    for (size_t start = 0; start <= readings.size();) {
      size_t comma = readings.find(',', start);
      if (comma == std::string_view::npos) {
        comma = readings.size();
      }
      const std::string s = Toneless(readings.substr(start, comma - start));
      if (!s.empty() && s.size() <= kMaxSyllable) {
        const uint16_t index = t.Intern(s);
        if (!IsBareConsonant(s)) {
          t.AddTypable(index);
        }
        if (first) {
          t.SetReading(static_cast<char32_t>(cp), index);
        } else if (t.ReadingOf(static_cast<char32_t>(cp)) != index + 1) {
          std::vector<uint16_t>& more = t.more[static_cast<char32_t>(cp)];
          if (std::find(more.begin(), more.end(), index) == more.end()) {
            more.push_back(index);
          }
        }
      }
      first = false;
      start = comma + 1;
    }
  }
  if (t.syllables.empty()) {
    t.status = UnavailableError("pinyin table " + path + " has no readings");
  }
  return t;
}

const Table& TheTable() {
  static const Table* table = new Table(Load(KEFU_PINYIN_DICT));
  return *table;
}

}  // namespace

Status PinyinStatus() {
  return TheTable().status;
}

std::string_view PinyinOf(char32_t cp) {
  const Table& t = TheTable();
  const uint16_t r = t.ReadingOf(cp);
  return r == 0 ? std::string_view() : std::string_view(*t.syllables[r - 1]);
}

std::vector<std::string_view> PinyinReadingsOf(char32_t cp) {
  const Table& t = TheTable();
  std::vector<std::string_view> out;
  const uint16_t r = t.ReadingOf(cp);
  if (r == 0) {
    return out;
  }
  out.emplace_back(*t.syllables[r - 1]);
  if (auto it = t.more.find(cp); it != t.more.end()) {
    for (uint16_t index : it->second) {
      out.emplace_back(*t.syllables[index]);
    }
  }
  return out;
}

std::vector<std::string_view> SplitPinyin(std::string_view word) {
  const Table& t = TheTable();
  std::vector<std::string_view> out;
  if (word.empty() || t.empty()) {
    return out;
  }
  // fewest[i]: the fewest syllables that spell word[0, i); last[i]: the syllable (index + 1)
  // that ends there on that path. Syllables are found by walking the trie from each start.
  constexpr uint32_t kNone = ~0u;
  std::vector<uint32_t> fewest(word.size() + 1, kNone);
  std::vector<uint16_t> last(word.size() + 1, 0);
  fewest[0] = 0;
  for (size_t i = 0; i < word.size(); ++i) {
    if (fewest[i] == kNone) {
      continue;
    }
    uint32_t node = 0;
    for (size_t j = i; j < word.size() && j - i < kMaxSyllable; ++j) {
      const char c = word[j];
      if (c < 'a' || c > 'z') {
        break;
      }
      node = t.trie[size_t(node) * 26 + static_cast<size_t>(c - 'a')];
      if (node == 0) {
        break;
      }
      if (t.ends[node] != 0 && fewest[i] + 1 < fewest[j + 1]) {
        fewest[j + 1] = fewest[i] + 1;
        last[j + 1] = t.ends[node];
      }
    }
  }
  if (fewest[word.size()] == kNone) {
    return out;
  }
  for (size_t end = word.size(); end > 0;) {
    const std::string& syllable = *t.syllables[last[end] - 1];
    out.push_back(syllable);
    end -= syllable.size();
  }
  return {out.rbegin(), out.rend()};
}

bool LooksLikePinyin(std::string_view text) {
  size_t words = 0;
  size_t syllables = 0;
  std::string word;
  auto end_word = [&] {
    if (word.empty()) {
      return true;
    }
    const size_t n = SplitPinyin(word).size();
    word.clear();
    ++words;
    syllables += n;
    return n > 0;
  };
  for (size_t i = 0; i < text.size();) {
    char32_t cp = 0;
    const size_t n = utf8::DecodeAt(text, i, cp);
    i += n == 0 ? 1 : n;
    if (n != 0 && internal::IsAsciiAlpha(cp)) {
      word += static_cast<char>(cp | 0x20);
      continue;
    }
    const internal::CharClass cls = n == 0 ? internal::CharClass::kOther : internal::ClassOf(cp);
    if (!end_word() || cls == internal::CharClass::kHan ||
        cls == internal::CharClass::kLatinLetter || cls == internal::CharClass::kOtherLetter) {
      return false;  // a word that is not pinyin, Han, or letters beyond a-z (café, кафе)
    }
  }
  return end_word() && words >= 2 && syllables >= 3;
}

std::vector<std::vector<std::string_view>> PinyinRuns(std::string_view text) {
  // One-syllable Latin words ("can", "he", "you") are pinyin only in text that is all pinyin.
  const bool all_pinyin = LooksLikePinyin(text);
  std::vector<std::vector<std::string_view>> runs(1);
  auto brk = [&] {
    if (!runs.back().empty()) {
      runs.emplace_back();
    }
  };
  std::string word;
  auto end_word = [&] {
    if (word.empty()) {
      return;
    }
    std::vector<std::string_view> syllables = SplitPinyin(word);
    if (syllables.empty() || (syllables.size() == 1 && !all_pinyin)) {
      brk();
    } else {
      runs.back().insert(runs.back().end(), syllables.begin(), syllables.end());
    }
    word.clear();
  };
  for (size_t i = 0; i < text.size();) {
    char32_t cp = 0;
    size_t n = utf8::DecodeAt(text, i, cp);
    if (n == 0) {
      end_word();
      brk();
      ++i;
      continue;
    }
    i += n;
    if (internal::IsAsciiAlpha(cp)) {
      word += static_cast<char>(cp | 0x20);
      continue;
    }
    end_word();
    if (cp == ' ' || cp == '\'') {
      continue;  // "hua bei", "xi'an": separators inside a run
    }
    const std::string_view reading = utf8::IsHan(cp) ? PinyinOf(cp) : std::string_view();
    if (reading.empty()) {
      brk();
    } else {
      runs.back().push_back(reading);
    }
  }
  end_word();
  if (runs.back().empty()) {
    runs.pop_back();
  }
  return runs;
}

}  // namespace kefu::text

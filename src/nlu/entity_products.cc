// Catalog products. Names and aliases are reduced to letters, digits and Han ("星河 X5 智能手机"
// -> "星河x5智能手机"); the message is reduced the same way, with English words of five letters or
// more corrected when they are one edit away from a catalog word. One pass over the message's
// character bigrams, through an index bigram -> keys, grows a run of hits per key (a run bridges
// a typo inside a word but not a missing word). Each run is then widened to whole Latin words,
// trimmed of edge words the key lacks, and scored as
//   exact    the window is the key: confidence 1;
//   fuzzy    bigram Jaccard >= 0.5: confidence 0.9 * Jaccard;
//   partial  a mention inside a long name ("xinghe x5" of "Xinghe X5 Smartphone 8GB+256GB"):
//            confidence from the idf-weighted share of the name it covers, so that the brand and
//            model count for more than "smartphone".
// Entries that fit the same span share its confidence unless one matched exactly, so "x5" with
// four X5 models in the catalog is a weak mention of each and usually not reported.
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "core/utf8.h"
#include "nlu/entity_internal.h"

namespace kefu::nlu::internal {
namespace {

constexpr uint32_t kMaxGap = 3;  // missed bigrams a run may bridge: a transposition costs three
constexpr size_t kMinTypoWord = 5;
constexpr size_t kMaxTypoWord = 30;
constexpr double kMinContainment = 0.7;  // share of the window's bigrams found in the key
constexpr double kMinJaccard = 0.5;
constexpr double kFuzzyScale = 0.9;  // a fuzzy match never reaches an exact one's 1.0
constexpr double kMinPartialContainment = 0.8;
constexpr size_t kMinPartialChars = 4;
constexpr uint32_t kMinPartialHits = 3;
constexpr double kPartialBase = 0.4;
constexpr double kPartialCoverageWeight = 0.5;
constexpr double kMinPartialCoverage = 0.3;  // idf-weighted share of the key's bigrams
constexpr double kMinReportedConfidence = 0.3;

bool IsKeep(char32_t c) {
  return IsAlnum(c) || utf8::IsHan(c) || (c >= 0xC0 && c < 0x2000 && c != 0xD7 && c != 0xF7) ||
         (c >= 0x3040 && c <= 0x30FF) || (c >= 0xAC00 && c <= 0xD7AF);
}

// Dropped without breaking a name apart: "x5 pro", "t-shirt", "men's", "8gb+256gb".
bool IsConnector(char32_t c) {
  switch (c) {
    case ' ':
    case '-':
    case '+':
    case '\'':
    case '/':
    case '.':
    case '&':
    case '_':
    case 0xB7:    // middle dot
    case 0x2019:  // right single quote
    case 0x2013:  // en dash
      return true;
    default:
      return false;
  }
}

constexpr uint8_t kWordStart = 1;
constexpr uint8_t kWordEnd = 2;

uint64_t Bigram(char32_t a, char32_t b) {
  return (static_cast<uint64_t>(a) << 32) | b;
}

// FNV-1a over code points: the hash of a Latin word, one code point at a time.
constexpr uint64_t kWordHashSeed = 14695981039346656037ULL;
uint64_t WordHashStep(uint64_t h, char32_t c) {
  return (h ^ c) * 1099511628211ULL;
}

// True when a and b differ by at most one insertion, deletion, substitution or transposition
// of neighbours (optimal string alignment distance <= 1).
bool WithinOneEdit(std::string_view a, std::string_view b) {
  if (a.size() < b.size()) {
    std::swap(a, b);
  }
  if (a.size() - b.size() > 1) {
    return false;
  }
  size_t i = 0;
  while (i < b.size() && a[i] == b[i]) {
    ++i;
  }
  if (i == b.size()) {
    return true;
  }
  if (a.size() != b.size()) {
    return a.substr(i + 1) == b.substr(i);
  }
  if (a.substr(i + 1) == b.substr(i + 1)) {
    return true;
  }
  return i + 1 < a.size() && a[i] == b[i + 1] && a[i + 1] == b[i] &&
         a.substr(i + 2) == b.substr(i + 2);
}

}  // namespace

struct ProductIndex::Run {
  uint32_t key = 0;
  uint32_t start = 0;  // first and last bigram positions that hit
  uint32_t last = 0;
  uint32_t hits = 0;
  uint32_t segment = 0;
};

struct ProductIndex::Hit {
  size_t start = 0;
  size_t end = 0;
  uint32_t entry = 0;
  double confidence = 0;
  bool strong = true;  // false: a partial match too small to report on its own
};

ProductIndex::ProductIndex(const std::vector<CatalogEntry>& catalog) {
  skus_.reserve(catalog.size());
  for (const CatalogEntry& e : catalog) {
    const auto entry = static_cast<uint32_t>(skus_.size());
    skus_.push_back(e.sku);
    AddKey(e.name_zh, entry);
    AddKey(e.name_en, entry);
    for (const std::string& alias : e.aliases) {
      AddKey(alias, entry);
    }
  }
  // A bigram found in few entries says more about which product is meant ("x5") than one
  // found in many ("手机", "sh").
  const double entries = static_cast<double>(std::max<size_t>(skus_.size(), 1));
  for (auto& [bigram, posting] : postings_) {
    size_t df = 0;
    uint32_t prev_entry = UINT32_MAX;
    for (uint32_t k : posting.keys) {
      if (keys_[k].entry != prev_entry) {
        ++df;
        prev_entry = keys_[k].entry;
      }
    }
    posting.idf = std::log(1.0 + entries / static_cast<double>(df));
  }
  min_hits_.reserve(keys_.size());
  for (Key& key : keys_) {
    // The fewest bigram hits with which Evaluate's bounds can pass: an exact match needs all
    // but one, a fuzzy one at least two and half the key's, a partial one three.
    const auto bigrams = static_cast<uint32_t>(key.cps.size() - 1);
    const uint32_t fuzzy = std::max<uint32_t>(2, (bigrams + 2) / 2 - 1);
    min_hits_.push_back(static_cast<uint8_t>(std::min({bigrams, fuzzy, kMinPartialHits})));
    std::vector<uint64_t> seen;
    for (size_t p = 0; p + 1 < key.cps.size(); ++p) {
      const uint64_t b = Bigram(key.cps[p], key.cps[p + 1]);
      if (std::find(seen.begin(), seen.end(), b) == seen.end()) {
        seen.push_back(b);
        key.weight += postings_.at(b).idf;
      }
    }
  }
  for (uint32_t id = 0; id < vocab_words_.size(); ++id) {
    const std::string& w = vocab_words_[id];
    for (size_t k = 0; k < w.size(); ++k) {
      std::string d = w.substr(0, k) + w.substr(k + 1);
      std::vector<uint32_t>& ids = deletions_[std::move(d)];
      if (ids.empty() || ids.back() != id) {
        ids.push_back(id);
      }
    }
  }
}

void ProductIndex::AddKey(std::string_view name, uint32_t entry) {
  std::u32string folded;
  for (char32_t c : utf8::Decode(name)) {
    folded.push_back(Fold(c));
  }
  Key key;
  key.entry = entry;
  for (size_t i = 0; i < folded.size(); ++i) {
    const char32_t c = folded[i];
    if (!IsKeep(c)) {
      continue;
    }
    uint8_t edge = 0;
    if (IsAlnum(c)) {
      edge |= (i == 0 || !IsAlnum(folded[i - 1])) ? kWordStart : 0;
      edge |= (i + 1 == folded.size() || !IsAlnum(folded[i + 1])) ? kWordEnd : 0;
    }
    key.cps.push_back(c);
    key.edges.push_back(edge);
  }
  if (key.cps.size() < 2) {
    return;
  }
  for (auto k = keys_.rbegin(); k != keys_.rend() && k->entry == entry; ++k) {
    if (k->cps == key.cps) {
      return;  // an alias that only repeats a name
    }
  }
  // Every run of whole Latin words adjacent in the compact form ("t", "shirt", "tshirt" of
  // "t-shirt"), hashed, so that HasWord rejects a message word the key lacks without a scan.
  for (size_t pos = 0; pos < key.cps.size(); ++pos) {
    if ((key.edges[pos] & kWordStart) == 0) {
      continue;
    }
    uint64_t h = kWordHashSeed;
    for (size_t end = pos; end < key.cps.size() && IsAlnum(key.cps[end]); ++end) {
      h = WordHashStep(h, key.cps[end]);
      if ((key.edges[end] & kWordEnd) != 0) {
        key.word_hashes.push_back(h);
      }
    }
  }
  std::sort(key.word_hashes.begin(), key.word_hashes.end());
  key.word_hashes.erase(std::unique(key.word_hashes.begin(), key.word_hashes.end()),
                        key.word_hashes.end());
  const auto id = static_cast<uint32_t>(keys_.size());
  for (size_t p = 0; p + 1 < key.cps.size(); ++p) {
    std::vector<uint32_t>& ids = postings_[Bigram(key.cps[p], key.cps[p + 1])].keys;
    if (ids.empty() || ids.back() != id) {
      ids.push_back(id);
    }
  }
  keys_.push_back(std::move(key));
  // English words for typo correction.
  size_t i = 0;
  while (i < folded.size()) {
    if (!IsLatin(folded[i])) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < folded.size() && IsLatin(folded[j])) {
      ++j;
    }
    if (j - i >= kMinTypoWord && j - i <= kMaxTypoWord && !IsDigit(At(folded, j)) &&
        WordStartAt(folded, i)) {
      std::string word = AsciiOf(folded, i, j);
      if (vocab_.find(word) == vocab_.end()) {
        vocab_.emplace(word, static_cast<uint32_t>(vocab_words_.size()));
        vocab_words_.push_back(std::move(word));
      }
    }
    i = j;
  }
}

std::optional<std::string> ProductIndex::Correct(const std::string& word) const {
  const std::string* found = nullptr;
  bool ambiguous = false;
  const auto consider = [&](uint32_t id) {
    const std::string& w = vocab_words_[id];
    if (w.size() < kMinTypoWord || !WithinOneEdit(word, w)) {
      return;
    }
    if (found != nullptr && *found != w) {
      ambiguous = true;
    }
    found = &w;
  };
  if (const auto it = deletions_.find(word); it != deletions_.end()) {
    for (uint32_t id : it->second) {
      consider(id);  // a letter left out
    }
  }
  std::string d;
  for (size_t k = 0; k < word.size(); ++k) {
    d.assign(word, 0, k);
    d.append(word, k + 1);
    if (const auto it = vocab_.find(d); it != vocab_.end()) {
      consider(it->second);  // a letter too many
    }
    if (const auto it = deletions_.find(d); it != deletions_.end()) {
      for (uint32_t id : it->second) {
        consider(id);  // a wrong letter, or two swapped
      }
    }
  }
  if (found == nullptr || ambiguous) {
    return std::nullopt;
  }
  return *found;
}

std::vector<ProductIndex::Elem> ProductIndex::Compact(Text t) const {
  std::vector<Elem> out;
  out.reserve(t.size());
  bool pending_break = false;
  const auto push = [&](char32_t c, size_t ostart, size_t oend, bool corrected) {
    out.push_back(
        {c, static_cast<uint32_t>(ostart), static_cast<uint32_t>(oend), corrected, pending_break});
    pending_break = false;
  };
  size_t i = 0;
  while (i < t.size()) {
    const char32_t c = t[i];
    if (IsAlnum(c)) {
      size_t j = i;
      bool letters_only = true;
      while (j < t.size() && IsAlnum(t[j])) {
        letters_only = letters_only && IsLatin(t[j]);
        ++j;
      }
      if (letters_only && j - i >= kMinTypoWord && j - i <= kMaxTypoWord && !vocab_.empty()) {
        const std::string word = AsciiOf(t, i, j);
        if (vocab_.find(word) == vocab_.end()) {
          if (const std::optional<std::string> fixed = Correct(word)) {
            for (char ch : *fixed) {
              push(static_cast<char32_t>(ch), i, j, true);
            }
            i = j;
            continue;
          }
        }
      }
      for (size_t k = i; k < j; ++k) {
        push(t[k], k, k + 1, false);
      }
      i = j;
      continue;
    }
    if (IsKeep(c)) {
      push(c, i, i + 1, false);
    } else if (!IsConnector(c)) {
      pending_break = true;
    }
    ++i;
  }
  return out;
}

const ProductIndex::Posting* ProductIndex::Find(char32_t a, char32_t b) const {
  const auto it = postings_.find(Bigram(a, b));
  return it == postings_.end() ? nullptr : &it->second;
}

bool ProductIndex::HasWord(const Key& key, const std::vector<Elem>& elems, size_t begin,
                           size_t end) {
  uint64_t h = kWordHashSeed;
  for (size_t k = begin; k < end; ++k) {
    h = WordHashStep(h, elems[k].c);
  }
  if (!std::binary_search(key.word_hashes.begin(), key.word_hashes.end(), h)) {
    return false;
  }
  const size_t len = end - begin;  // the hash matched: confirm on the code points
  for (size_t pos = 0; pos + len <= key.cps.size(); ++pos) {
    if ((key.edges[pos] & kWordStart) == 0 || (key.edges[pos + len - 1] & kWordEnd) == 0) {
      continue;
    }
    size_t k = 0;
    while (k < len && key.cps[pos + k] == elems[begin + k].c) {
      ++k;
    }
    if (k == len) {
      return true;
    }
  }
  return false;
}

void ProductIndex::Evaluate(const Run& run, const std::vector<Elem>& elems,
                            std::vector<Hit>& hits) const {
  const Key& key = keys_[run.key];
  // Cheap bounds first (Scan skips runs below min_hits_, derived from these: keep the two in
  // step): most runs are a few stray shared bigrams ("12" of an order number and
  // of "12gb", "in" of "running" and of "xinghe") that no rule below could accept.
  const double run_bigrams = run.last - run.start + 1;
  const bool maybe_exact = run.hits + 1 >= key.cps.size();
  const bool maybe_fuzzy = run.hits >= 2 && 2 * (run.hits + 1) >= key.cps.size() &&
                           run.hits >= kMinContainment * run_bigrams;
  const bool maybe_partial =
      run.hits >= kMinPartialHits && run.hits >= kMinPartialContainment * run_bigrams;
  if (!maybe_exact && !maybe_fuzzy && !maybe_partial) {
    return;
  }
  const size_t m = elems.size();
  size_t s = run.start;
  size_t e = run.last + 2;
  // A last or first Han character of the key whose bigram missed still belongs to the mention
  // ("行远疾速3跑鞋" ends in 鞋); Latin words are widened whole below instead.
  const auto in_key = [&](size_t k) {
    return utf8::IsHan(elems[k].c) && key.cps.find(elems[k].c) != std::u32string::npos;
  };
  if (e < m && !elems[e].break_before && in_key(e)) {
    ++e;
  }
  if (s > 0 && !elems[s].break_before && in_key(s - 1)) {
    --s;
  }
  // Latin words and numbers are matched whole: "x5" is not in "x50".
  const auto glued = [&](size_t a, size_t b) {
    return IsAlnum(elems[a].c) && IsAlnum(elems[b].c) && !elems[b].break_before &&
           elems[a].oend >= elems[b].ostart;
  };
  while (s > 0 && glued(s - 1, s)) {
    --s;
  }
  while (e < m && glued(e - 1, e)) {
    ++e;
  }
  // Latin words at the edges that the key lacks are not part of the mention ("the shoes"); one
  // inside it means this is no mention at all (bigrams matched out of order).
  thread_local std::vector<std::pair<size_t, size_t>> words;  // scratch, no allocation a call
  words.clear();
  for (size_t k = s; k < e;) {
    if (!IsAlnum(elems[k].c)) {
      ++k;
      continue;
    }
    size_t j = k + 1;
    while (j < e && glued(j - 1, j)) {
      ++j;
    }
    words.emplace_back(k, j);
    k = j;
  }
  size_t first = 0;
  size_t last = words.size();
  while (first < last && words[first].first == s &&
         !HasWord(key, elems, words[first].first, words[first].second)) {
    s = words[first++].second;
  }
  while (last > first && words[last - 1].second == e &&
         !HasWord(key, elems, words[last - 1].first, words[last - 1].second)) {
    e = words[--last].first;
  }
  for (size_t w = first; w < last; ++w) {
    if (!HasWord(key, elems, words[w].first, words[w].second)) {
      return;
    }
  }
  if (e < s + 2) {
    return;
  }
  const size_t len = e - s;
  bool any_letter = false;
  bool corrected = false;
  for (size_t k = s; k < e; ++k) {
    any_letter = any_letter || !IsDigit(elems[k].c);
    corrected = corrected || elems[k].corrected;
  }
  if (!any_letter) {
    return;
  }
  uint32_t hit_count = 0;
  double matched_weight = 0;
  thread_local std::vector<uint64_t> seen;
  seen.clear();
  for (size_t q = s; q + 1 < e; ++q) {
    if (elems[q + 1].break_before) {
      continue;
    }
    const Posting* p = Find(elems[q].c, elems[q + 1].c);
    if (p == nullptr || !std::binary_search(p->keys.begin(), p->keys.end(), run.key)) {
      continue;
    }
    ++hit_count;
    const uint64_t b = Bigram(elems[q].c, elems[q + 1].c);
    if (std::find(seen.begin(), seen.end(), b) == seen.end()) {
      seen.push_back(b);
      matched_weight += p->idf;
    }
  }
  const double window = static_cast<double>(len - 1);
  const double key_bigrams = static_cast<double>(key.cps.size() - 1);
  const double h = std::min<double>(hit_count, key_bigrams);
  const double containment = h / window;
  const double jaccard = h / (window + key_bigrams - h);
  const double coverage = key.weight > 0 ? matched_weight / key.weight : 0;
  bool exact = !corrected && len == key.cps.size();
  for (size_t k = 0; exact && k < len; ++k) {
    exact = elems[s + k].c == key.cps[k];
  }
  double confidence = 0;
  bool strong = true;
  if (exact) {
    confidence = 1.0;
  } else if (hit_count >= 2 && len >= 3 && containment >= kMinContainment &&
             jaccard >= kMinJaccard) {
    confidence = kFuzzyScale * jaccard;
  } else if (hit_count >= kMinPartialHits && len >= kMinPartialChars &&
             containment >= kMinPartialContainment) {
    // Kept even when it covers too little of the key to be reported, so that it still counts
    // as a rival of the entries that are.
    confidence = kPartialBase + kPartialCoverageWeight * coverage;
    strong = coverage >= kMinPartialCoverage;
  } else {
    return;
  }
  hits.push_back({elems[s].ostart, elems[e - 1].oend, key.entry, confidence, strong});
}

void ProductIndex::Scan(Text t, std::vector<Candidate>& out) const {
  if (keys_.empty()) {
    return;
  }
  const std::vector<Elem> elems = Compact(t);
  if (elems.size() < 2) {
    return;
  }
  // word_breaks[q]: how many of the bigrams before q join two separate Latin words ("e p" in
  // "smartphone price"). A run may bridge a missed bigram inside a word (a typo) but not a
  // missed one between words: the next word is then not the key's next word.
  std::vector<uint32_t> word_breaks(elems.size() + 1, 0);
  for (size_t q = 0; q + 1 < elems.size(); ++q) {
    const bool between_words =
        IsAlnum(elems[q].c) && IsAlnum(elems[q + 1].c) && elems[q].oend < elems[q + 1].ostart;
    word_breaks[q + 1] = word_breaks[q] + (between_words ? 1 : 0);
  }
  // Per-thread scratch: slot[k] is key k's run in `runs`, -1 when it has none. It is reset
  // through the runs the last message left (even one cut short by an exception), so a message
  // costs what it touches, not the catalog's size.
  thread_local std::vector<int32_t> slot;
  thread_local std::vector<Run> runs;
  if (slot.size() != keys_.size()) {
    slot.assign(keys_.size(), -1);
  } else {
    for (const Run& r : runs) {
      slot[r.key] = -1;
    }
  }
  runs.clear();
  std::vector<Hit> hits;
  // Most runs are one stray bigram shared with a long key ("on" of "iphone" and "earphones"):
  // Evaluate would reject them on its first bounds, so they are not handed to it.
  const auto evaluate = [&](const Run& r) {
    if (r.hits >= min_hits_[r.key]) {
      Evaluate(r, elems, hits);
    }
  };
  uint32_t segment = 0;
  for (uint32_t p = 0; p + 1 < elems.size(); ++p) {
    if (elems[p + 1].break_before) {
      ++segment;
      continue;
    }
    const Posting* posting = Find(elems[p].c, elems[p + 1].c);
    if (posting == nullptr) {
      continue;
    }
    for (uint32_t k : posting->keys) {
      int32_t& s = slot[k];
      if (s < 0) {
        s = static_cast<int32_t>(runs.size());
        runs.push_back({k, p, p, 1, segment});
        continue;
      }
      Run& r = runs[static_cast<size_t>(s)];
      if (r.segment == segment && p <= r.last + kMaxGap + 1 &&
          word_breaks[p] == word_breaks[r.last + 1]) {
        r.last = p;
        ++r.hits;
      } else {
        evaluate(r);
        r = {k, p, p, 1, segment};
      }
    }
  }
  for (const Run& r : runs) {
    evaluate(r);
  }
  if (hits.empty()) {
    return;
  }
  // Containing spans first, so a span can borrow the confidence of an exact alias inside it
  // ("行远疾速3跑鞋" around the alias "疾速3").
  std::sort(hits.begin(), hits.end(), [](const Hit& a, const Hit& b) {
    if (a.start != b.start) {
      return a.start < b.start;
    }
    if (a.end != b.end) {
      return a.end > b.end;
    }
    if (a.confidence != b.confidence) {
      return a.confidence > b.confidence;
    }
    return a.entry < b.entry;
  });
  for (size_t a = 0; a < hits.size(); ++a) {
    for (size_t b = a + 1; b < hits.size() && hits[b].start < hits[a].end; ++b) {
      if (hits[b].entry == hits[a].entry && hits[b].end <= hits[a].end &&
          hits[b].confidence > hits[a].confidence) {
        hits[a].confidence = hits[b].confidence;
      }
    }
  }
  // One candidate per span: the best entry. Unless it matched exactly, its confidence is scaled
  // by its share of all the entries that fit the span about as well: "x5" when the catalog holds
  // four X5 models, or "earbuds" when it holds seven pairs, is a weak mention of each.
  size_t a = 0;
  std::vector<std::pair<uint32_t, double>> fits;  // entry -> best confidence on this span
  while (a < hits.size()) {
    size_t b = a;
    fits.clear();
    bool any_strong = false;
    while (b < hits.size() && hits[b].start == hits[a].start && hits[b].end == hits[a].end) {
      const auto it = std::find_if(fits.begin(), fits.end(),
                                   [&](const auto& f) { return f.first == hits[b].entry; });
      if (it == fits.end()) {
        fits.emplace_back(hits[b].entry, hits[b].confidence);
      } else {
        it->second = std::max(it->second, hits[b].confidence);
      }
      any_strong = any_strong || hits[b].strong;
      ++b;
    }
    if (!any_strong) {
      a = b;
      continue;
    }
    const auto best = std::min_element(fits.begin(), fits.end(), [](const auto& x, const auto& y) {
      return x.second != y.second ? x.second > y.second : x.first < y.first;
    });
    double total = 0;
    size_t exact = 0;
    for (const auto& [entry, confidence] : fits) {
      total += confidence;
      exact += confidence >= 1.0 ? 1 : 0;
    }
    const double confidence =
        exact > 0 ? 1.0 / static_cast<double>(exact) : best->second * best->second / total;
    if (confidence >= kMinReportedConfidence) {
      out.push_back({kTypeProduct, skus_[best->first], hits[a].start, hits[a].end, confidence,
                     Rank::kProduct});
    }
    a = b;
  }
}

}  // namespace kefu::nlu::internal

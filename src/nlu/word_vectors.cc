#include "nlu/word_vectors.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <istream>
#include <iterator>
#include <ostream>

#include "core/file_util.h"
#include "core/utf8.h"

namespace kefu::nlu {
namespace {

constexpr size_t kMaxDims = 4096;
constexpr char kMagic[8] = {'K', 'E', 'F', 'U', 'W', 'V', 'E', '1'};

bool IsAsciiWordByte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// Parses "count dims" (the word2vec header); false for anything else.
bool ParseHeader(std::string_view line, size_t& count, size_t& dims) {
  const size_t sp = line.find(' ');
  if (sp == std::string_view::npos) {
    return false;
  }
  std::string_view a = line.substr(0, sp);
  std::string_view b = line.substr(sp + 1);
  while (!b.empty() && (b.back() == ' ' || b.back() == '\r')) {
    b.remove_suffix(1);
  }
  auto num = [](std::string_view s, size_t& v) {
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return ec == std::errc() && p == s.data() + s.size() && !s.empty();
  };
  return num(a, count) && num(b, dims);
}

// The floats of one text row after its word: false unless there are exactly `dims` of them.
bool ParseFloats(std::string_view s, size_t dims, std::vector<float>& out) {
  out.clear();
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r')) {
      ++i;
    }
    if (i == s.size()) {
      break;
    }
    float v = 0;
    const auto [p, ec] = std::from_chars(s.data() + i, s.data() + s.size(), v);
    if (ec != std::errc()) {
      return false;
    }
    out.push_back(v);
    i = size_t(p - s.data());
  }
  return dims == 0 ? !out.empty() : out.size() == dims;
}

}  // namespace

bool WordVectors::Add(std::string word, const float* v) {
  if (word.empty() || !index_.Insert(Fnv1a64(word), uint32_t(words_.size()))) {
    return false;
  }
  double norm = 0;
  for (size_t d = 0; d < dims_; ++d) {
    norm += double(v[d]) * v[d];
  }
  const float inv = norm > 0 ? float(1.0 / std::sqrt(norm)) : 0.f;
  for (size_t d = 0; d < dims_; ++d) {
    vectors_.push_back(v[d] * inv);
  }
  // Han words longer than the longest the segmenter tries could never be matched.
  size_t han = 0;
  bool all_han = true;
  for (size_t i = 0; i < word.size();) {
    char32_t cp = 0;
    const size_t n = utf8::DecodeAt(word, i, cp);
    if (n == 0 || !utf8::IsHan(cp)) {
      all_han = false;
      break;
    }
    ++han;
    i += n;
  }
  if (all_han) {
    max_han_ = std::max(max_han_, std::min(han, kMaxHanWord));
  }
  words_.push_back(std::move(word));
  return true;
}

Result<std::shared_ptr<const WordVectors>> WordVectors::Load(const std::string& path,
                                                             size_t max_words) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return NotFoundError("word vectors '" + path + "' do not exist");
  }
  const std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto bad = [&](const std::string& what) {
    return InvalidArgumentError("word vectors '" + path + "': " + what);
  };
  auto wv = std::shared_ptr<WordVectors>(new WordVectors());
  const std::string_view all(data);
  size_t pos = 0;
  const size_t first_nl = all.find('\n');
  size_t count = 0;
  size_t dims = 0;
  // word2vec files open with "count dims"; GloVe files with the first row. Binary rows follow
  // the word with dims raw float32s, text rows with printable numbers: the first row's bytes
  // after its word tell which.
  bool binary = false;
  if (first_nl != std::string_view::npos && ParseHeader(all.substr(0, first_nl), count, dims)) {
    if (dims == 0 || dims > kMaxDims) {
      return bad("bad dimension count " + std::to_string(dims));
    }
    pos = first_nl + 1;
    const size_t sp = all.find(' ', pos);
    if (sp == std::string_view::npos) {
      return bad("no words");
    }
    // A text row's numbers run to its end of line; a binary row's bytes are almost never all
    // digits, signs, points and spaces.
    std::string_view after = all.substr(sp + 1, dims * sizeof(float));
    after = after.substr(0, after.find('\n'));
    binary = after.empty() || std::any_of(after.begin(), after.end(), [](char c) {
               const auto u = static_cast<unsigned char>(c);
               return !(std::isdigit(u) || u == '.' || u == '-' || u == '+' || u == 'e' ||
                        u == 'E' || u == ' ' || u == '\r' || u == '\t');
             });
    wv->words_.reserve(
        std::min<size_t>(max_words > 0 ? std::min(count, max_words) : count, size_t{1} << 22));
  }
  wv->dims_ = dims;
  std::vector<float> row;
  size_t line_no = pos > 0 ? 1 : 0;
  while (pos < all.size() && (max_words == 0 || wv->words_.size() < max_words)) {
    if (binary) {
      while (pos < all.size() && (all[pos] == '\n' || all[pos] == '\r')) {
        ++pos;
      }
      const size_t sp = all.find(' ', pos);
      if (sp == std::string_view::npos || sp + 1 + dims * sizeof(float) > all.size()) {
        break;  // trailing bytes that are no full row
      }
      row.resize(dims);
      std::memcpy(row.data(), all.data() + sp + 1, dims * sizeof(float));
      if (!std::all_of(row.begin(), row.end(), [](float v) { return std::isfinite(v); })) {
        return bad("a vector that is not finite at word " + std::to_string(wv->words_.size() + 1));
      }
      wv->Add(std::string(all.substr(pos, sp - pos)), row.data());
      pos = sp + 1 + dims * sizeof(float);
      continue;
    }
    size_t nl = all.find('\n', pos);
    if (nl == std::string_view::npos) {
      nl = all.size();
    }
    const std::string_view line = all.substr(pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    if (line.find_first_not_of(" \r\t") == std::string_view::npos) {
      continue;
    }
    const size_t sp = line.find(' ');
    if (sp == std::string_view::npos || sp == 0 || !ParseFloats(line.substr(sp + 1), dims, row)) {
      return bad("line " + std::to_string(line_no) + " is not a word and " +
                 (dims == 0 ? std::string("its numbers") : std::to_string(dims) + " numbers"));
    }
    if (wv->dims_ == 0) {
      if (row.size() > kMaxDims) {
        return bad("more than " + std::to_string(kMaxDims) + " dimensions");
      }
      wv->dims_ = row.size();
      dims = row.size();
    }
    wv->Add(std::string(line.substr(0, sp)), row.data());
  }
  if (wv->words_.empty()) {
    return bad("no words");
  }
  return std::shared_ptr<const WordVectors>(std::move(wv));
}

void WordVectors::Write(std::ostream& out) const {
  auto put_u64 = [&](uint64_t v) { out.write(reinterpret_cast<const char*>(&v), sizeof(v)); };
  out.write(kMagic, sizeof(kMagic));
  put_u64(dims_);
  put_u64(words_.size());
  for (const std::string& w : words_) {
    put_u64(w.size());
    out.write(w.data(), static_cast<std::streamsize>(w.size()));
  }
  out.write(reinterpret_cast<const char*>(vectors_.data()),
            static_cast<std::streamsize>(vectors_.size() * sizeof(float)));
}

Result<std::shared_ptr<const WordVectors>> WordVectors::Read(std::istream& in,
                                                             const std::string& name) {
  auto bad = [&](const char* what) {
    return InvalidArgumentError("word vectors in '" + name + "': " + what);
  };
  char magic[8];
  if (!in.read(magic, sizeof(magic)) || !std::equal(magic, magic + 8, kMagic)) {
    return bad("no word-vector section");
  }
  auto get_u64 = [&](uint64_t& v) { return bool(in.read(reinterpret_cast<char*>(&v), sizeof(v))); };
  uint64_t dims = 0;
  uint64_t count = 0;
  if (!get_u64(dims) || dims == 0 || dims > kMaxDims || !get_u64(count) || count == 0 ||
      count > (1ULL << 24)) {
    return bad("bad sizes");
  }
  auto wv = std::shared_ptr<WordVectors>(new WordVectors());
  wv->dims_ = dims;
  std::vector<std::string> words(count);
  for (std::string& w : words) {
    uint64_t n = 0;
    if (!get_u64(n) || n == 0 || n > 4096) {
      return bad("bad word");
    }
    w.resize(n);
    if (!in.read(w.data(), static_cast<std::streamsize>(n))) {
      return bad("truncated words");
    }
  }
  std::vector<float> vectors(count * dims);
  if (!in.read(reinterpret_cast<char*>(vectors.data()),
               static_cast<std::streamsize>(vectors.size() * sizeof(float)))) {
    return bad("truncated vectors");
  }
  for (uint64_t r = 0; r < count; ++r) {
    if (!wv->Add(std::move(words[r]), &vectors[r * dims])) {
      return bad("repeated word");
    }
  }
  return std::shared_ptr<const WordVectors>(std::move(wv));
}

template <typename F>
void WordVectors::ForEachWord(std::string_view text, F f) const {
  // Words are looked up by hash, built a byte at a time as a word or a Han candidate grows: no
  // string is made per lookup.
  size_t i = 0;
  while (i < text.size()) {
    const auto b = static_cast<unsigned char>(text[i]);
    if (IsAsciiWordByte(b)) {
      uint64_t h = kFnv1aOffsetBasis;
      size_t j = i;
      for (; j < text.size() && IsAsciiWordByte(static_cast<unsigned char>(text[j])); ++j) {
        const char c = text[j];
        const char lower = c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c;
        h = Fnv1a64(std::string_view(&lower, 1), h);
      }
      if (const int64_t row = index_.Find(h); row >= 0) {
        f(size_t(row));
      }
      i = j;
      continue;
    }
    char32_t cp = 0;
    const size_t n = utf8::DecodeAt(text, i, cp);
    if (n == 0) {
      ++i;
      continue;
    }
    if (!utf8::IsHan(cp)) {
      i += n;
      continue;
    }
    // Forward maximum matching over the run of Han characters starting here: the hashes and
    // byte ends of its first 1..max_han_ characters, tried longest first; an unknown character
    // is skipped.
    uint64_t hashes[kMaxHanWord] = {};
    size_t ends[kMaxHanWord] = {};
    size_t k = 0;
    uint64_t h = kFnv1aOffsetBasis;
    for (size_t j = i; k < max_han_ && j < text.size();) {
      char32_t c = 0;
      const size_t m = utf8::DecodeAt(text, j, c);
      if (m == 0 || !utf8::IsHan(c)) {
        break;
      }
      h = Fnv1a64(text.substr(j, m), h);
      j += m;
      hashes[k] = h;
      ends[k++] = j;
    }
    size_t next = ends[0];
    for (size_t len = k; len >= 1; --len) {
      if (const int64_t row = index_.Find(hashes[len - 1]); row >= 0) {
        f(size_t(row));
        next = ends[len - 1];
        break;
      }
    }
    i = next;
  }
}

size_t WordVectors::Pool(std::string_view text, float* out) const {
  std::fill(out, out + 2 * dims_, 0.f);
  float* mean = out;
  float* max = out + dims_;
  size_t n = 0;
  ForEachWord(text, [&](size_t r) {
    const float* v = Row(r);
    for (size_t d = 0; d < dims_; ++d) {
      mean[d] += v[d];
      max[d] = n == 0 ? v[d] : std::max(max[d], v[d]);
    }
    ++n;
  });
  double norm = 0;
  for (size_t d = 0; d < dims_; ++d) {
    norm += double(mean[d]) * mean[d];
  }
  if (norm > 0) {
    const float inv = float(1.0 / std::sqrt(norm));
    for (size_t d = 0; d < dims_; ++d) {
      mean[d] *= inv;
    }
  }
  return n;
}

std::vector<std::string> WordVectors::Words(std::string_view text) const {
  std::vector<std::string> out;
  ForEachWord(text, [&](size_t r) { out.push_back(words_[r]); });
  return out;
}

}  // namespace kefu::nlu

// KbDocument -> Chunk (kb/ingest.h). Sizes are in code points, so a chunk of Chinese and one of
// English hold about the same amount of text for a reply to cite.
#include <algorithm>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/utf8.h"
#include "kb/ingest.h"

namespace kefu::kb {
namespace {

struct Limits {
  size_t max = 0;
  size_t overlap = 0;
};

// max_chars of 0 would never make progress, and an overlap of half a chunk or more would make
// more repetition than text.
Limits EffectiveLimits(const ChunkOptions& options) {
  Limits limits;
  limits.max = std::max<size_t>(options.max_chars, 1);
  limits.overlap = std::min(options.overlap_chars, limits.max / 2);
  return limits;
}

bool IsSpace(char32_t c) {
  return c == U' ' || c == U'\t' || c == U'\n' || c == U'\r' || c == U'\f' || c == U'\v' ||
         c == 0xA0 || c == 0x3000;
}

std::u32string_view Trim(std::u32string_view s) {
  while (!s.empty() && IsSpace(s.front())) {
    s.remove_prefix(1);
  }
  while (!s.empty() && IsSpace(s.back())) {
    s.remove_suffix(1);
  }
  return s;
}

// True when `s` holds a letter, digit or CJK character, not just markup ("---", "```", "| - |").
bool HasText(std::u32string_view s) {
  return std::any_of(s.begin(), s.end(), [](char32_t c) {
    return (c >= U'0' && c <= U'9') || (c >= U'a' && c <= U'z') || (c >= U'A' && c <= U'Z') ||
           (c >= 0xC0 && c < 0x2000) || c >= 0x2E80;
  });
}

bool IsSentenceEnd(char32_t c) {
  return c == U'。' || c == U'！' || c == U'？' || c == U'!' || c == U'?';
}

// Closing quotes and brackets that stay with the sentence they end: 他说：“好。” | (see above.)
bool IsCloser(char32_t c) {
  return c == U'”' || c == U'’' || c == U'」' || c == U'』' || c == U'）' || c == U')' ||
         c == U'"' || c == U'\'' || c == U']' || c == U'】';
}

// Splits `text` into sentences, each with the white space after it, so that joining them gives
// `text` back. A '.' ends a sentence only before white space or the end ("3.5", "a.com" do not).
std::vector<std::u32string_view> Sentences(std::u32string_view text) {
  std::vector<std::u32string_view> out;
  size_t start = 0;
  size_t i = 0;
  while (i < text.size()) {
    const char32_t c = text[i];
    bool end = c == U'\n' || IsSentenceEnd(c);
    if (c == U'.') {
      size_t j = i + 1;
      while (j < text.size() && (text[j] == U'.' || IsCloser(text[j]))) {
        ++j;
      }
      end = j == text.size() || IsSpace(text[j]);
    }
    ++i;
    if (!end) {
      continue;
    }
    while (i < text.size() && (IsSentenceEnd(text[i]) || text[i] == U'.' || IsCloser(text[i]))) {
      ++i;  // "？！", "...", "。”"
    }
    while (i < text.size() && IsSpace(text[i])) {
      ++i;
    }
    out.push_back(text.substr(start, i - start));
    start = i;
  }
  if (start < text.size()) {
    out.push_back(text.substr(start));
  }
  return out;
}

// Cuts `unit` into parts of at most `limit`, at the last white space in the second half of the
// window when there is one (so English words stay whole), else exactly at the limit.
void HardSplit(std::u32string_view unit, size_t limit, std::vector<std::u32string_view>& out) {
  while (unit.size() > limit) {
    size_t cut = limit;
    for (size_t k = limit; k > limit / 2; --k) {
      if (IsSpace(unit[k - 1])) {
        cut = k;
        break;
      }
    }
    out.push_back(unit.substr(0, cut));
    unit.remove_prefix(cut);
  }
  if (!unit.empty()) {
    out.push_back(unit);
  }
}

// Splits a paragraph longer than limits.max into pieces of at most limits.max, each after the
// first starting with the last limits.overlap code points of the one before.
std::vector<std::u32string> SplitLong(std::u32string_view paragraph, const Limits& limits) {
  std::vector<std::u32string_view> units;
  for (std::u32string_view sentence : Sentences(paragraph)) {
    HardSplit(sentence, limits.max - limits.overlap, units);
  }
  std::vector<std::u32string> pieces;
  std::u32string current;
  for (std::u32string_view unit : units) {
    if (current.size() + unit.size() <= limits.max) {
      current += unit;
      continue;
    }
    // The tail keeps the white space that separated it from `unit` in the paragraph, so the
    // overlap joins English with a space and Chinese without one.
    const std::u32string_view all(current);
    std::u32string_view tail = all.substr(all.size() - std::min(all.size(), limits.overlap));
    while (!tail.empty() && IsSpace(tail.front())) {
      tail.remove_prefix(1);
    }
    pieces.emplace_back(Trim(all));
    current = std::u32string(tail) + std::u32string(unit);
  }
  if (!Trim(current).empty()) {
    pieces.emplace_back(Trim(current));
  }
  return pieces;
}

class ChunkWriter {
 public:
  ChunkWriter(const KbDocument& doc, const ChunkOptions& options)
      : doc_(doc), limits_(EffectiveLimits(options)) {}

  void Emit(const std::string& heading_path, std::u32string_view text) {
    text = Trim(text);
    if (!HasText(text)) {
      return;
    }
    Chunk chunk;
    chunk.doc_id = doc_.id;
    chunk.ordinal = static_cast<int>(chunks_.size());
    chunk.heading_path = heading_path;
    chunk.text = utf8::Encode(text);
    chunks_.push_back(std::move(chunk));
  }

  // Packs the paragraphs of one section into chunks of at most limits_.max.
  void Pack(const std::string& heading_path, const std::vector<std::u32string>& paragraphs) {
    std::u32string current;
    for (const std::u32string& paragraph : paragraphs) {
      if (paragraph.size() > limits_.max) {
        Emit(heading_path, current);
        std::vector<std::u32string> pieces = SplitLong(paragraph, limits_);
        for (size_t k = 0; k + 1 < pieces.size(); ++k) {
          Emit(heading_path, pieces[k]);
        }
        current = pieces.empty() ? U"" : std::move(pieces.back());
        continue;
      }
      const size_t sep = current.empty() ? 0 : 2;
      if (current.size() + sep + paragraph.size() > limits_.max) {
        Emit(heading_path, current);
        current.clear();
      }
      current += current.empty() ? U"" : U"\n\n";
      current += paragraph;
    }
    Emit(heading_path, current);
  }

  // One chunk, or pieces of SplitLong when over the limit; each starts with `prefix` when it
  // leaves room for at least half a chunk of text.
  void Whole(std::u32string_view prefix, std::u32string_view text) {
    text = Trim(text);
    if (prefix.size() + text.size() <= limits_.max) {
      Emit("", std::u32string(prefix) + std::u32string(text));
      return;
    }
    if (prefix.size() > limits_.max / 2) {
      const std::u32string all = std::u32string(prefix) + std::u32string(text);
      for (const std::u32string& piece : SplitLong(all, limits_)) {
        Emit("", piece);
      }
      return;
    }
    const size_t budget = limits_.max - prefix.size();
    for (const std::u32string& piece : SplitLong(
             text, EffectiveLimits({.max_chars = budget, .overlap_chars = limits_.overlap}))) {
      Emit("", std::u32string(prefix) + piece);
    }
  }

  std::vector<Chunk> Take() { return std::move(chunks_); }

 private:
  const KbDocument& doc_;
  const Limits limits_;
  std::vector<Chunk> chunks_;
};

// The text of an ATX heading line and its level ("## 退货运费 ##" -> 2, "退货运费").
bool AtxHeading(std::u32string_view line, int& level, std::u32string& text) {
  size_t i = 0;
  while (i < line.size() && i < 3 && line[i] == U' ') {
    ++i;
  }
  size_t hashes = 0;
  while (i + hashes < line.size() && line[i + hashes] == U'#') {
    ++hashes;
  }
  if (hashes == 0 || hashes > 6) {
    return false;
  }
  std::u32string_view rest = line.substr(i + hashes);
  if (!rest.empty() && rest.front() != U' ' && rest.front() != U'\t') {
    return false;  // "#hashtag"
  }
  rest = Trim(rest);
  while (!rest.empty() && rest.back() == U'#') {
    rest.remove_suffix(1);
  }
  level = static_cast<int>(hashes);
  text = Trim(rest);
  return true;
}

bool IsFence(std::u32string_view line) {
  const std::u32string_view t = Trim(line);
  return t.starts_with(U"```") || t.starts_with(U"~~~");
}

struct Heading {
  int level = 0;
  std::string text;
};

std::string HeadingPath(const std::vector<Heading>& stack) {
  std::string path;
  for (const Heading& h : stack) {
    path += (path.empty() ? "" : " > ") + h.text;
  }
  return path;
}

// Markdown (and HTML reduced to it): sections by heading when `headings`, paragraphs split at
// blank lines outside code fences.
void ChunkSections(const std::u32string& body, bool headings, ChunkWriter& writer) {
  std::vector<Heading> stack;
  std::vector<std::u32string> paragraphs;
  std::u32string paragraph;
  bool in_fence = false;
  auto end_paragraph = [&] {
    if (!Trim(paragraph).empty()) {
      paragraphs.emplace_back(Trim(paragraph));
    }
    paragraph.clear();
  };
  size_t pos = 0;
  while (pos <= body.size()) {
    size_t end = body.find(U'\n', pos);
    if (end == std::u32string::npos) {
      end = body.size();
    }
    const std::u32string_view line = std::u32string_view(body).substr(pos, end - pos);
    pos = end + 1;
    int level = 0;
    std::u32string heading;
    if (headings && IsFence(line)) {
      in_fence = !in_fence;
    } else if (!in_fence && headings && AtxHeading(line, level, heading)) {
      end_paragraph();
      writer.Pack(HeadingPath(stack), paragraphs);
      paragraphs.clear();
      while (!stack.empty() && stack.back().level >= level) {
        stack.pop_back();
      }
      if (!heading.empty()) {
        stack.push_back({level, utf8::Encode(heading)});
      }
      continue;
    } else if (!in_fence && Trim(line).empty()) {
      end_paragraph();
      continue;
    }
    paragraph += paragraph.empty() ? U"" : U"\n";
    paragraph += line;
  }
  end_paragraph();
  writer.Pack(HeadingPath(stack), paragraphs);
}

}  // namespace

std::vector<Chunk> ChunkDocument(const KbDocument& doc, const ChunkOptions& options) {
  ChunkWriter writer(doc, options);
  switch (doc.format) {
    case DocFormat::kMarkdown:
    case DocFormat::kHtml:
      ChunkSections(utf8::Decode(doc.body), /*headings=*/true, writer);
      break;
    case DocFormat::kText:
      ChunkSections(utf8::Decode(doc.body), /*headings=*/false, writer);
      break;
    case DocFormat::kFaq: {
      const std::string& question = doc.faq ? doc.faq->question : doc.title;
      const std::string& answer = doc.faq ? doc.faq->answer : doc.body;
      const std::u32string q(Trim(utf8::Decode(question)));
      writer.Whole(q.empty() ? U"" : q + U"\n", utf8::Decode(answer));
      break;
    }
    case DocFormat::kTable:
    case DocFormat::kProduct:
      writer.Whole(U"", utf8::Decode(doc.body));
      break;
  }
  return writer.Take();
}

}  // namespace kefu::kb

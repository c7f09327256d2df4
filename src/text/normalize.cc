#include "text/normalize.h"

#include <algorithm>

#include <unicode/uchar.h>

#include "core/utf8.h"
#include "text/char_class.h"
#include "text/pinyin.h"
#include "text/text_pipeline.h"

namespace kefu::text {
namespace {

// Invisible characters that carry no meaning for understanding: C0/C1 controls (white space
// ones are handled before), soft hyphen, zero-width space, bidi controls, word joiners, BOM.
// ZWJ (U+200D) and emoji tag characters stay: they are part of emoji sequences.
bool IsDropped(char32_t cp) {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0xAD || cp == 0x200B || cp == 0x200E ||
         cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2060 && cp <= 0x2064) ||
         (cp >= 0x2066 && cp <= 0x206F) || cp == 0xFEFF || cp == 0xE0001;
}

bool IsSpace(char32_t cp) {
  if (cp < 0x80) {
    return cp == ' ' || (cp >= '\t' && cp <= '\r');
  }
  return cp == 0x85 || u_isUWhiteSpace(static_cast<UChar32>(cp));
}

char32_t FoldCase(char32_t cp) {
  if (cp < 0x80) {
    return (cp >= 'A' && cp <= 'Z') ? cp - 'A' + 'a' : cp;
  }
  if (utf8::IsHan(cp)) {
    return cp;
  }
  return static_cast<char32_t>(u_foldCase(static_cast<UChar32>(cp), U_FOLD_CASE_DEFAULT));
}

// Used only when ICU's NFKC data is missing: the old full-width ASCII fold.
char32_t FoldWidthFallback(char32_t cp) {
  if (cp >= 0xFF01 && cp <= 0xFF5E) {
    return cp - 0xFEE0;
  }
  return cp == 0x3000 ? U' ' : cp;
}

// Collects output code points with their source indices, applying the per-character steps
// (white space collapsing, invisible-character removal, case folding).
class Builder {
 public:
  explicit Builder(size_t reserve) {
    out_.reserve(reserve);
    src_.reserve(reserve);
  }

  void Emit(char32_t cp, uint32_t src) {
    if (IsSpace(cp)) {
      if (!out_.empty() && !pending_space_) {
        pending_space_ = true;
        pending_src_ = src;
      }
      return;
    }
    if (IsDropped(cp)) {
      return;
    }
    if (pending_space_) {
      out_.push_back(U' ');
      src_.push_back(pending_src_);
      pending_space_ = false;
    }
    out_.push_back(FoldCase(cp));
    src_.push_back(src);
  }

  // Emits without case folding (emoji and their extenders).
  void EmitVerbatim(char32_t cp, uint32_t src) {
    if (pending_space_) {
      out_.push_back(U' ');
      src_.push_back(pending_src_);
      pending_space_ = false;
    }
    out_.push_back(cp);
    src_.push_back(src);
  }

  std::u32string& out() { return out_; }
  std::vector<uint32_t>& src() { return src_; }

 private:
  std::u32string out_;
  std::vector<uint32_t> src_;
  bool pending_space_ = false;
  uint32_t pending_src_ = 0;
};

// Traditional to simplified. Text without a character that t2s may change is left alone (that
// is all of ordinary simplified text, so the common case costs one table lookup per character);
// otherwise the whole text is converted, each output keeping the source of its input.
void Simplify(std::u32string& out, std::vector<uint32_t>& src) {
  if (std::none_of(out.begin(), out.end(), internal::MaybeTraditional)) {
    return;
  }
  std::u32string converted;
  std::vector<uint32_t> from;
  converted.reserve(out.size());
  from.reserve(out.size());
  internal::T2sAppend(out, converted, from);
  std::vector<uint32_t> new_src(from.size());
  for (size_t k = 0; k < from.size(); ++k) {
    new_src[k] = src[from[k]];
  }
  out.swap(converted);
  src.swap(new_src);
}

}  // namespace

std::string_view LanguageCode(Language lang) {
  switch (lang) {
    case Language::kZh:
      return "zh";
    case Language::kEn:
      return "en";
    case Language::kMixed:
      return "mixed";
    case Language::kUnknown:
      return "";
  }
  return "";
}

Language LanguageFromCode(std::string_view code) {
  if (code == "zh") {
    return Language::kZh;
  }
  if (code == "en") {
    return Language::kEn;
  }
  if (code == "mixed") {
    return Language::kMixed;
  }
  return Language::kUnknown;
}

Language PrimaryLanguage(Language lang) {
  return lang == Language::kMixed ? Language::kZh : lang;
}

Language DetectLanguage(std::u32string_view text) {
  size_t han = 0;
  size_t latin = 0;
  for (char32_t cp : text) {
    if (cp < 0x80) {
      latin += internal::IsAsciiAlpha(cp) ? 1 : 0;
    } else if (internal::IsHanChar(cp)) {
      ++han;
    } else if (internal::ClassOf(cp) == internal::CharClass::kLatinLetter) {
      ++latin;
    }
  }
  if (han == 0) {
    if (latin == 0) {
      return Language::kUnknown;
    }
    // Chinese typed in pinyin with the input method off ("tuihuo yunfei shei chu").
    return LooksLikePinyin(utf8::Encode(text)) ? Language::kZh : Language::kEn;
  }
  if (latin * 100 >= static_cast<size_t>(kMixedLatinPercent) * (han + latin)) {
    return Language::kMixed;
  }
  return Language::kZh;
}

Language DetectLanguage(std::string_view utf8_text) {
  return DetectLanguage(utf8::Decode(utf8_text));
}

Status NormalizerStatus() {
  return internal::PipelineStatus();
}

NormalizedText Normalize(std::string_view raw) {
  const std::u32string cps = utf8::Decode(raw);
  const size_t n = cps.size();
  Builder b(n);
  std::u32string run_out;
  size_t i = 0;
  while (i < n) {
    // One NFKC run: cps[i] and the following code points that have no boundary before them.
    size_t j = i + 1;
    while (j < n && !internal::NfkcBoundaryBefore(cps[j])) {
      ++j;
    }
    const char32_t first = cps[i];
    const auto src = static_cast<uint32_t>(i);
    if (j == i + 1 && (first < 0xA0 || utf8::IsHan(first))) {
      b.Emit(first, src);  // the common case: ASCII and CJK ideographs are NFKC-inert
    } else if (internal::IsEmojiChar(first)) {
      for (size_t k = i; k < j; ++k) {
        b.EmitVerbatim(cps[k], static_cast<uint32_t>(k));
      }
    } else if (j == i + 1 && (internal::IsEmojiExtender(first) || !internal::NfkcChanges(first))) {
      b.Emit(first, src);
    } else {
      run_out.clear();
      if (internal::NfkcAppend(std::u32string_view(cps.data() + i, j - i), run_out)) {
        for (char32_t cp : run_out) {
          b.Emit(cp, src);
        }
      } else {
        for (size_t k = i; k < j; ++k) {
          b.Emit(FoldWidthFallback(cps[k]), static_cast<uint32_t>(k));
        }
      }
    }
    i = j;
  }
  Simplify(b.out(), b.src());

  NormalizedText result;
  result.lang = DetectLanguage(b.out());
  result.text = utf8::Encode(b.out());
  result.original = std::string(raw);
  result.source_index = std::move(b.src());
  return result;
}

CodePointSpan ToOriginalSpan(const NormalizedText& n, uint32_t start, uint32_t end) {
  const auto& index = n.source_index;
  if (index.empty() || start >= index.size()) {
    const auto total = static_cast<uint32_t>(utf8::Decode(n.original).size());
    return {total, total};
  }
  end = std::min<uint32_t>(end, static_cast<uint32_t>(index.size()));
  if (start >= end) {
    return {index[start], index[start]};
  }
  // The span ends where the NFKC run holding its last source code point ends.
  const std::u32string original = utf8::Decode(n.original);
  uint32_t orig_end = index[end - 1] + 1;
  while (orig_end < original.size() && !internal::NfkcBoundaryBefore(original[orig_end])) {
    ++orig_end;
  }
  return {index[start], orig_end};
}

}  // namespace kefu::text

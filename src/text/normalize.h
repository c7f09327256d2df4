// text/: turns raw shopper text into the form the understanding stage reads.
//
//   NormalizedText n = Normalize("我的订单２０２６１１０３ＡＢ到哪了？");
//   // n.text == "我的订单20261103ab到哪了?", n.lang == Language::kZh
//
// First implementation: full-width to half-width, ideographic space, Latin lower-casing,
// whitespace collapsing, and language identification by script. The understanding issue adds
// NFKC, traditional-to-simplified and PII spans.
#pragma once

#include <string>
#include <string_view>

namespace kefu::text {

enum class Language { kUnknown, kZh, kEn };

// "zh", "en" or "" for kUnknown.
std::string_view LanguageCode(Language lang);
Language LanguageFromCode(std::string_view code);

struct NormalizedText {
  std::string text;
  Language lang = Language::kUnknown;
};

// REQUIRES: `raw` is valid UTF-8 (callers validate at the edge).
NormalizedText Normalize(std::string_view raw);

// Language by script: any Han character makes it kZh; Latin letters without Han make it kEn;
// digits and punctuation alone are kUnknown.
Language DetectLanguage(std::u32string_view text);

}  // namespace kefu::text

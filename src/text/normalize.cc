#include "text/normalize.h"

#include "core/utf8.h"

namespace kefu::text {

std::string_view LanguageCode(Language lang) {
  switch (lang) {
    case Language::kZh:
      return "zh";
    case Language::kEn:
      return "en";
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
  return Language::kUnknown;
}

Language DetectLanguage(std::u32string_view text) {
  size_t han = 0;
  size_t latin = 0;
  for (char32_t cp : text) {
    if (utf8::IsHan(cp)) {
      ++han;
    } else if ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z')) {
      ++latin;
    }
  }
  if (han > 0) {
    return Language::kZh;
  }
  if (latin > 0) {
    return Language::kEn;
  }
  return Language::kUnknown;
}

NormalizedText Normalize(std::string_view raw) {
  std::u32string cps = utf8::Decode(raw);
  std::u32string out;
  out.reserve(cps.size());
  bool pending_space = false;
  for (char32_t cp : cps) {
    if (cp >= 0xFF01 && cp <= 0xFF5E) {
      cp -= 0xFEE0;  // full-width ASCII block
    } else if (cp == 0x3000 || cp == '\t' || cp == '\n' || cp == '\r' || cp == 0xA0) {
      cp = ' ';
    }
    if (cp >= 'A' && cp <= 'Z') {
      cp = cp - 'A' + 'a';
    }
    if (cp < 0x20 || cp == 0x7F) {
      continue;  // control characters carry no meaning
    }
    if (cp == ' ') {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) {
      out.push_back(' ');
      pending_space = false;
    }
    out.push_back(cp);
  }
  NormalizedText result;
  result.lang = DetectLanguage(out);
  result.text = utf8::Encode(out);
  return result;
}

}  // namespace kefu::text

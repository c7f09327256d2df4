#include "text/text_pipeline.h"

#include <cstdio>
#include <exception>
#include <memory>
#include <unordered_map>

#include <Lexicon.hpp>
#include <MarisaDict.hpp>
#include <opencc.h>
#include <unicode/normalizer2.h>
#include <unicode/unistr.h>

#include "core/logging.h"
#include "core/utf8.h"

namespace kefu::text::internal {
namespace {

constexpr char kT2sConfig[] = "t2s.json";
// Where Debian's opencc-data puts the dictionaries t2s.json names.
constexpr char kOpenCcDataDir[] = "/usr/share/opencc/";
constexpr size_t kMaxPhraseChars = 31;  // lengths are kept in a 32-bit mask per first character

struct U32Hash {
  using is_transparent = void;
  size_t operator()(std::u32string_view s) const { return std::hash<std::u32string_view>()(s); }
};
struct U32Eq {
  using is_transparent = void;
  bool operator()(std::u32string_view a, std::u32string_view b) const { return a == b; }
};

// The t2s dictionaries as code-point tables.
struct T2sTables {
  std::unordered_map<char32_t, std::u32string> chars;  // only entries that change
  std::unordered_map<std::u32string, std::u32string, U32Hash, U32Eq> phrases;
  std::unordered_map<char32_t, uint32_t> phrase_lengths;  // first char -> bit n: a phrase of n
  std::vector<bool> trigger_bmp;                          // MaybeTraditional() below U+10000
  std::unordered_map<char32_t, bool> trigger_astral;      // and above

  void SetTrigger(char32_t cp) {
    if (cp < trigger_bmp.size()) {
      trigger_bmp[cp] = true;
    } else {
      trigger_astral[cp] = true;
    }
  }
};

// Reads an OpenCC .ocd2 (marisa) dictionary: key -> default value.
Status ReadOcd2(const std::string& path,
                std::vector<std::pair<std::u32string, std::u32string>>& entries) {
  std::unique_ptr<FILE, int (*)(FILE*)> fp(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (fp == nullptr) {
    return UnavailableError("cannot open '" + path + "'");
  }
  try {
    const opencc::MarisaDictPtr dict = opencc::MarisaDict::NewFromFile(fp.get());
    for (const auto& entry : *dict->GetLexicon()) {
      entries.emplace_back(utf8::Decode(entry->Key()), utf8::Decode(entry->GetDefault()));
    }
  } catch (const std::exception& e) {
    return UnavailableError("reading '" + path + "': " + e.what());
  }
  return OkStatus();
}

Status LoadT2sTables(T2sTables& t) {
  std::vector<std::pair<std::u32string, std::u32string>> chars;
  std::vector<std::pair<std::u32string, std::u32string>> phrases;
  KEFU_RETURN_IF_ERROR(ReadOcd2(std::string(kOpenCcDataDir) + "TSCharacters.ocd2", chars));
  KEFU_RETURN_IF_ERROR(ReadOcd2(std::string(kOpenCcDataDir) + "TSPhrases.ocd2", phrases));
  constexpr size_t kBmpSize = 0x10000;
  t.trigger_bmp.assign(kBmpSize, false);
  for (auto& [key, value] : chars) {
    if (key.size() == 1 && value != key) {
      t.SetTrigger(key[0]);
      t.chars.emplace(key[0], std::move(value));
    }
  }
  for (auto& [key, value] : phrases) {
    if (key.empty() || key.size() > kMaxPhraseChars) {
      continue;
    }
    if (value.size() != key.size()) {
      for (char32_t cp : key) {
        t.SetTrigger(cp);
      }
    } else {
      // Only the characters the phrase changes: text without any of them is left as it is
      // whether the phrase matches or not (most phrases change one character of two, and the
      // other is everyday simplified text, such as 到 or 了).
      for (size_t k = 0; k < key.size(); ++k) {
        if (key[k] != value[k]) {
          t.SetTrigger(key[k]);
        }
      }
    }
    t.phrase_lengths[key[0]] |= 1u << key.size();
    t.phrases.emplace(std::move(key), std::move(value));
  }
  if (t.chars.empty()) {
    return UnavailableError("TSCharacters.ocd2 holds no conversions");
  }
  return OkStatus();
}

class Pipeline {
 public:
  Pipeline() {
    std::string problems;
    UErrorCode icu_status = U_ZERO_ERROR;
    nfkc_ = icu::Normalizer2::getNFKCInstance(icu_status);
    if (U_FAILURE(icu_status)) {
      nfkc_ = nullptr;
      problems = std::string("ICU NFKC: ") + u_errorName(icu_status);
    }
    if (Status s = LoadT2sTables(tables_); !s.ok()) {
      tables_ = T2sTables();
      problems += problems.empty() ? "" : "; ";
      problems += "OpenCC t2s dictionaries: " + s.message();
    }
    if (!problems.empty()) {
      status_ = UnavailableError("text normalizer: " + problems);
      KEFU_LOG_WARN("{}", status_.message());
    }
  }
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  const Status& status() const { return status_; }
  const icu::Normalizer2* nfkc() const { return nfkc_; }
  const T2sTables& tables() const { return tables_; }

 private:
  const icu::Normalizer2* nfkc_ = nullptr;  // owned by ICU
  T2sTables tables_;
  Status status_;
};

const Pipeline& Get() {
  static const Pipeline pipeline;  // C++11 guarantees thread-safe one-time construction
  return pipeline;
}

// Appends the character-table conversion of text[begin, end).
void ConvertChars(const T2sTables& t, std::u32string_view text, size_t begin, size_t end,
                  std::u32string& out, std::vector<uint32_t>& from) {
  for (size_t k = begin; k < end; ++k) {
    auto it = t.chars.find(text[k]);
    if (it == t.chars.end()) {
      out.push_back(text[k]);
      from.push_back(static_cast<uint32_t>(k));
      continue;
    }
    for (char32_t cp : it->second) {
      out.push_back(cp);
      from.push_back(static_cast<uint32_t>(k));
    }
  }
}

}  // namespace

const Status& PipelineStatus() {
  return Get().status();
}

bool NfkcBoundaryBefore(char32_t cp) {
  if (cp < 0x300 || utf8::IsHan(cp)) {
    return true;
  }
  const icu::Normalizer2* nfkc = Get().nfkc();
  return nfkc == nullptr || nfkc->hasBoundaryBefore(static_cast<UChar32>(cp));
}

bool NfkcChanges(char32_t cp) {
  if (cp < 0xA0) {
    return false;
  }
  const icu::Normalizer2* nfkc = Get().nfkc();
  if (nfkc == nullptr) {
    return false;
  }
  icu::UnicodeString mapping;
  return nfkc->getDecomposition(static_cast<UChar32>(cp), mapping);
}

bool NfkcAppend(std::u32string_view run, std::u32string& out) {
  const icu::Normalizer2* nfkc = Get().nfkc();
  if (nfkc == nullptr) {
    return false;
  }
  icu::UnicodeString src = icu::UnicodeString::fromUTF32(
      reinterpret_cast<const UChar32*>(run.data()), static_cast<int32_t>(run.size()));
  UErrorCode status = U_ZERO_ERROR;
  const icu::UnicodeString dst = nfkc->normalize(src, status);
  if (U_FAILURE(status)) {
    return false;
  }
  for (int32_t i = 0; i < dst.length();) {
    const UChar32 c = dst.char32At(i);
    out.push_back(static_cast<char32_t>(c));
    i += U16_LENGTH(c);
  }
  return true;
}

bool MaybeTraditional(char32_t cp) {
  const T2sTables& t = Get().tables();
  if (cp < t.trigger_bmp.size()) {
    return t.trigger_bmp[cp];
  }
  return t.trigger_astral.find(cp) != t.trigger_astral.end();
}

void T2sAppend(std::u32string_view text, std::u32string& out, std::vector<uint32_t>& from) {
  const T2sTables& t = Get().tables();
  size_t i = 0;
  while (i < text.size()) {
    // OpenCC's t2s: the longest TSPhrases key starting here, else the TSCharacters entry.
    size_t matched = 0;
    const std::u32string* value = nullptr;
    if (auto lengths = t.phrase_lengths.find(text[i]); lengths != t.phrase_lengths.end()) {
      for (size_t len = std::min(text.size() - i, kMaxPhraseChars); len >= 1; --len) {
        if ((lengths->second & (1u << len)) == 0) {
          continue;
        }
        if (auto it = t.phrases.find(text.substr(i, len)); it != t.phrases.end()) {
          matched = len;
          value = &it->second;
          break;
        }
      }
    }
    if (matched == 0) {
      ConvertChars(t, text, i, i + 1, out, from);
      ++i;
      continue;
    }
    if (value->size() == matched) {
      for (size_t k = 0; k < matched; ++k) {
        out.push_back((*value)[k]);
        from.push_back(static_cast<uint32_t>(i + k));
      }
    } else {
      ConvertChars(t, text, i, i + matched, out, from);
    }
    i += matched;
  }
}

bool T2sReference(std::string_view text, std::string& out) {
  // Created on first use: production code never needs OpenCC's converter.
  static const std::unique_ptr<opencc::SimpleConverter> reference =
      []() -> std::unique_ptr<opencc::SimpleConverter> {
    try {
      return std::make_unique<opencc::SimpleConverter>(kT2sConfig);
    } catch (const std::exception& e) {
      KEFU_LOG_WARN("text normalizer: OpenCC {}: {}", kT2sConfig, e.what());
      return nullptr;
    }
  }();
  if (reference == nullptr) {
    return false;
  }
  try {
    out = reference->Convert(text.data(), text.size());
    return true;
  } catch (const std::exception& e) {
    KEFU_LOG_WARN("text normalizer: OpenCC t2s failed: {}", e.what());
    return false;
  }
}

}  // namespace kefu::text::internal

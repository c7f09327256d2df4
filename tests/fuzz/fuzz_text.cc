// text/ on arbitrary input: normalization, language, segmentation, PII spans and masking.
// Invalid UTF-8 never reaches these functions (the HTTP edge refuses it), so the input is
// made valid the way the edge would see it: invalid inputs are skipped.
#include <cstddef>
#include <cstdint>

#include "core/utf8.h"
#include "fuzz_util.h"
#include "text/normalize.h"
#include "text/pii.h"
#include "text/segmenter.h"

using kefu::fuzz::Check;
namespace text = kefu::text;
namespace utf8 = kefu::utf8;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view raw = kefu::fuzz::AsText(data, size);
  if (size > 8192 || !utf8::IsValid(raw)) {
    return -1;  // not added to the corpus
  }
  const text::NormalizedText n = text::Normalize(raw);
  Check(n.original == raw, "Normalize keeps the original");
  Check(utf8::IsValid(n.text), "Normalize writes valid UTF-8", n.text);
  const size_t out_cps = utf8::CodePointCount(n.text);
  const size_t in_cps = utf8::CodePointCount(raw);
  Check(n.source_index.size() == out_cps, "one source index per code point", raw);
  for (size_t i = 0; i < n.source_index.size(); ++i) {
    Check(n.source_index[i] < in_cps, "source index inside the original", raw);
    Check(i == 0 || n.source_index[i - 1] <= n.source_index[i], "source index non-decreasing", raw);
  }
  Check(n.text.empty() || (n.text.front() != ' ' && n.text.back() != ' '), "trimmed", n.text);
  const text::CodePointSpan all = text::ToOriginalSpan(n, 0, uint32_t(out_cps));
  Check(all.start <= all.end && all.end <= in_cps, "ToOriginalSpan inside the original", raw);
  Check(text::DetectLanguage(n.text) == n.lang, "language of the normalized text", n.text);

  uint32_t last_end = 0;
  for (const text::Token& t : text::Segment(n.text)) {
    Check(t.start >= last_end && t.start < t.end, "tokens in order and not empty", n.text);
    Check(kefu::fuzz::CodePoints(n.text, t.start, t.end, "token span") == t.text,
          "token text is its span", n.text);
    last_end = t.end;
  }
  for (std::string_view s : {raw, std::string_view(n.text)}) {
    uint32_t end = 0;
    for (const text::PiiSpan& p : text::FindPii(s)) {
      Check(p.start >= end && p.start < p.end, "PII spans in order, not overlapping", s);
      Check(kefu::fuzz::CodePoints(s, p.start, p.end, "PII span") == p.value,
            "PII value is its span", s);
      end = p.end;
    }
    const std::string masked = text::MaskPii(s);
    Check(utf8::IsValid(masked), "MaskPii writes valid UTF-8", s);
    Check(text::FindPii(masked).size() <= text::FindPii(s).size(), "masking removes PII", s);
  }
  return 0;
}

// The process-wide converters behind Normalize(): ICU's NFKC normalizer and traditional to
// simplified Chinese (OpenCC's t2s), created once on first use. Private to text/.
//
// t2s runs on tables read from OpenCC's own dictionaries (TSPhrases, TSCharacters) and applies
// OpenCC's t2s algorithm (longest phrase first, then the character table) directly on code
// points: OpenCC's converter costs about 1 µs per call plus 0.4 µs per character, which alone
// would exceed the per-message budget. OpenCC's converter is only the reference the tests
// compare against (T2sReference), created on first use.
//
// Thread-safety: every function here is safe to call from any thread; the tables and converters
// are immutable after construction. No function throws: library exceptions become statuses.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace kefu::text::internal {

// OK when everything loaded; otherwise kUnavailable naming what failed. Normalize() then skips
// the failed step (NFKC falls back to the full-width ASCII fold; t2s is skipped).
const Status& PipelineStatus();

// NFKC works on runs: a run starts at a code point with a normalization boundary before it and
// takes every following code point without one. NFKC of a string is the concatenation of NFKC
// of its runs, so a run maps exactly to its output.
bool NfkcBoundaryBefore(char32_t cp);

// True when `cp` on its own is changed by NFKC (it has a compatibility or canonical mapping).
bool NfkcChanges(char32_t cp);

// Appends NFKC(run) to `out`. Returns false, leaving `out` as it was, when ICU is unavailable.
bool NfkcAppend(std::u32string_view run, std::u32string& out);

// True when `cp` may be changed by t2s: the character table changes it, or a phrase that t2s
// rewrites changes it (every character of a phrase whose length changes). Text without such
// characters is left exactly as it is by t2s.
bool MaybeTraditional(char32_t cp);

// t2s of `text`, appended to `out` with, for each output code point, the index into `text` of
// the code point it came from. A phrase whose conversion keeps its length maps 1:1; one that
// does not is converted character by character instead.
void T2sAppend(std::u32string_view text, std::u32string& out, std::vector<uint32_t>& from);

// OpenCC's own converter on `text`, for tests; false when OpenCC's t2s.json did not load.
bool T2sReference(std::string_view text, std::string& out);

}  // namespace kefu::text::internal

#!/usr/bin/env bash
# Fuzzes what shoppers type, with libFuzzer under AddressSanitizer and UBSan (Clang):
#   fuzz_text  text/: normalization, language, segmentation, PII spans and masking;
#   fuzz_turn  whole conversations through the engine: the shipped intent and sentiment models,
#              a small shop in SQLite and the demo knowledge base (tests/fuzz/fuzz_world.h);
#   fuzz_api   the HTTP API's handlers (no network) over that engine: every status documented,
#              every error {"error":{"code","message"}}, no customer's phone or address shown.
# Each target runs SECONDS from tests/fuzz/corpus and seeds from data/nlu and tests/dialogs; what the
# fuzzer adds is kept in BUILD_DIR/corpus/<target> for the next run. A crash, a leak or a broken
# invariant leaves its input in BUILD_DIR/findings/<target>/ and fails the run; replay one with
# `BUILD_DIR/tests/fuzz/<target> <file>`, and once fixed, add it to tests/fuzz/corpus/<target>
# so that `make test` replays it from then on. Builds everything it fuzzes with Clang in its own
# directory (about 15 minutes from a cold ccache), so it is not part of `make test`.
# Usage: scripts/fuzz.sh [seconds-per-target] [build-dir]   (default 120, build-fuzz)
set -euo pipefail
SECS=${1:-120}
BUILD_DIR=${2:-build-fuzz}
cd "$(dirname "$0")/.."
BUILD_DIR=$(realpath -m "$BUILD_DIR")
ROOT=$(pwd)
start=$(date +%s)
scripts/install-deps.sh fuzz

# The turn target loads the shipped models from the normal build.
[[ -f build/build.ninja ]] || cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build --target kefu_models
CC=clang CXX=clang++ cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DKEFU_FUZZ=ON -DKEFU_WITH_JEMALLOC=OFF >/dev/null
cmake --build "$BUILD_DIR" -j "$(nproc)" --target fuzz_text fuzz_turn fuzz_api

# Seeds: tests/fuzz/corpus/<target> (hand-written inputs and every finding, replayed by
# `make test`), plus every 20th training line (text) and each dialogue scenario's shopper lines
# (turns), written here.
seed() {  # seed DIR NAME: stdin into DIR/NAME
  mkdir -p "$1"
  cat >"$1/$2"
}
SEEDS="$BUILD_DIR/seeds"
rm -rf "$SEEDS"
mkdir -p "$SEEDS/fuzz_text" "$SEEDS/fuzz_turn" "$SEEDS/fuzz_api"
i=0
while IFS=$'\t' read -r text _; do
  if ((i++ % 20 == 0)); then printf '%s' "$text" | seed "$SEEDS/fuzz_text" "nlu_$i"; fi
done <data/nlu/intents.tsv
for f in tests/dialogs/*/*.yaml; do
  sed -n 's/^ *- user: *//p' "$f" | sed -E 's/^"(.*)"$/\1/' | seed "$SEEDS/fuzz_turn" "$(basename "$f" .yaml)"
done

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:symbolize=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
failed=0
for target in fuzz_text fuzz_turn fuzz_api; do
  corpus="$BUILD_DIR/corpus/$target"
  findings="$BUILD_DIR/findings/$target"
  mkdir -p "$corpus" "$findings"
  echo "== $target: ${SECS} s"
  # -max_len: the engine refuses messages over 2,000 characters; a few lines of that is enough.
  # The engine targets keep caches that grow with every conversation, which libFuzzer's check
  # after each input would take for a leak (and scan the whole heap for): LeakSanitizer checks
  # them once, at exit.
  leaks=1
  [[ $target == fuzz_text ]] || leaks=0
  if ! (cd "$findings" && "$BUILD_DIR/tests/fuzz/$target" -max_total_time="$SECS" \
    -max_len=8192 -rss_limit_mb=4096 -timeout=20 -detect_leaks=$leaks -print_final_stats=1 \
    -artifact_prefix="$findings/" "$corpus" "$SEEDS/$target" "$ROOT/tests/fuzz/corpus/$target" \
    >"$BUILD_DIR/$target.log" 2>&1); then
    echo "fuzz: $target found a problem; its input is in $findings/, the report in $BUILD_DIR/$target.log" >&2
    grep -m3 -E "ERROR|invariant|runtime error" "$BUILD_DIR/$target.log" >&2 || true
    failed=1
  fi
  grep -E "^(Done|stat::(number_of_executed_units|average_exec_per_sec|new_units_added))" \
    "$BUILD_DIR/$target.log" | sed 's/^/  /'
done
if ((failed)); then
  echo "== fuzz: FAILED after $(($(date +%s) - start)) s" >&2
  exit 1
fi
echo "== fuzz: nothing found, $(($(date +%s) - start)) s"

#!/usr/bin/env bash
# Knowledge-base retrieval at scale: builds kb_bench and runs it at 10k and 1M synthetic chunks,
# kefu's lexical index (kb/tokenizer.h + kb/bm25.h) beside SQLite FTS5's bm25() on the same
# pre-segmented corpus; writes bench/results/retrieval_scale.md.
#
#   bench/kb_scale.sh [build-dir]            # default build dir: build
#   SIZES="10000" bench/kb_scale.sh          # just 10k
# Env: SIZES (chunk counts, default "10000 1000000"), QUERIES (1000), SEED (1), KB_BENCH (a built
# kb_bench to use instead of building one), KB_BENCH_ARGS (extra flags, e.g. --hybrid).
# 1M takes several minutes and about 2 GB of memory plus about 1 GB of temporary disk for FTS5.
set -euo pipefail
BUILD_DIR=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SIZES=${SIZES:-"10000 1000000"}
QUERIES=${QUERIES:-1000}
SEED=${SEED:-1}
OUT="$ROOT/bench/results/retrieval_scale.md"

if [[ -z "${KB_BENCH:-}" ]]; then
  BUILD="$ROOT/$BUILD_DIR"
  if [[ ! -f "$BUILD/CMakeCache.txt" ]]; then
    cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DKEFU_BUILD_BENCH=ON >/dev/null
  else
    cmake -S "$ROOT" -B "$BUILD" -DKEFU_BUILD_BENCH=ON >/dev/null
  fi
  build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$BUILD/CMakeCache.txt")
  if [[ "$build_type" != "Release" ]]; then
    echo "kb_scale.sh: warning: $BUILD is a '$build_type' build; figures are for Release" >&2
  fi
  cmake --build "$BUILD" --target kb_bench
  KB_BENCH="$BUILD/bench/kb_bench"
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/kb_scale.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$(dirname "$OUT")"
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
{
  echo "# Knowledge-base retrieval at scale: kefu BM25 vs SQLite FTS5"
  echo
  echo "Run $(date -u '+%Y-%m-%d %H:%M UTC') by \`bench/kb_scale.sh\` on $(nproc) cores ($cpu)," \
    "$(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo) RAM;" \
    "seed $SEED, $QUERIES queries per size. Source: \`bench/kb_bench.cc\`."
  echo
  echo "Both engines index the same terms: \`KbTerms\` (NFKC, lower case, t2s, friso words plus"
  echo "Han bigrams, light English stemming, stopwords) of each chunk's title (weight 2) and body."
  echo "kefu: \`Bm25Index\` (k1 1.2, b 0.75), exact top 10 with max-score pruning. FTS5: the terms"
  echo "space-joined in an \`fts5(title, body, tokenize='unicode61')\` table in a temporary file,"
  echo "queried as \`\"t1\" OR \"t2\" ...\` \`ORDER BY bm25(chunks, 2.0, 1.0), rowid LIMIT 10\`."
  echo "Import and query rates are single-threaded; each cell gives wall clock and, in brackets,"
  echo "the benchmark thread's CPU time, which stays meaningful on a shared machine."
  echo "Goals for the full hybrid import and query (kb/retriever.h, timed later with --hybrid):"
  echo "import >= 5,000 chunks/s including embeddings; at 1M p50 <= 10 ms and p99 <= 30 ms;"
  echo "at 10k p50 <= 1 ms."
  echo
  for n in $SIZES; do
    # shellcheck disable=SC2086
    "$KB_BENCH" --chunks "$n" --queries "$QUERIES" --seed "$SEED" --work-dir "$WORK" \
      ${KB_BENCH_ARGS:-}
  done
} > "$WORK/out.md"
mv "$WORK/out.md" "$OUT"
echo "wrote $OUT"

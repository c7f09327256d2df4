#!/usr/bin/env bash
# The CPU cost of a server worker's turn, counted rather than timed: valgrind's callgrind counts
# the instructions inside one Engine::HandleTurns of 16 verified order-status turns on distinct
# conversations (bench/kefu_bench, BM_HandleTurnsBatch/16: normalize, understand, load, the flow
# with get_order on SQLite, the reply, the card, the trace, one commit). Wall-clock figures on
# these shared 2-core machines move by +-30% between identical runs; instruction counts repeat
# within 0.2%, so two builds compare in one line each. Appends a row to bench/results/turn_cost.md.
# Needs valgrind (apt-get install valgrind) and a build with -DKEFU_BUILD_BENCH=ON (make bench).
# Usage: bench/turn_cost.sh [build-dir] [label]
set -euo pipefail
BUILD_DIR=${1:-build}
LABEL=${2:-$(git -C "$(dirname "$0")/.." rev-parse --short HEAD)}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH="$ROOT/$BUILD_DIR/bench/kefu_bench"
command -v valgrind >/dev/null || { echo "turn_cost: valgrind is missing (apt-get install valgrind)" >&2; exit 1; }
[[ -x "$BENCH" ]] || { echo "turn_cost: $BENCH is missing; build with make bench" >&2; exit 1; }
OUT=$(mktemp)
trap 'rm -f "$OUT"' EXIT
echo "turn_cost: counting instructions in one batch of 16 turns (about a minute under valgrind)"
valgrind --tool=callgrind --callgrind-out-file="$OUT" \
  --toggle-collect='kefu::engine::Engine::HandleTurns*' "$BENCH" \
  --benchmark_filter='BM_HandleTurnsBatch/16' --benchmark_min_time=0.01 >/dev/null 2>&1
TOTAL=$(callgrind_annotate "$OUT" 2>/dev/null | sed -n 's/^ *\([0-9,]*\) .*PROGRAM TOTALS.*/\1/p' | tr -d ,)
CALLS=$(callgrind_annotate --tree=caller "$OUT" 2>/dev/null |
  sed -n 's/.*BM_HandleTurnsBatch.*(\([0-9,]*\)x).*/\1/p' | head -1 | tr -d ,)
CALLS=${CALLS:-1}
PER_TURN=$((TOTAL / CALLS / 16))
echo "turn_cost: $TOTAL instructions in $CALLS batch(es) of 16 turns: $PER_TURN per turn"
RESULTS="$ROOT/bench/results/turn_cost.md"
if [[ ! -f "$RESULTS" ]]; then
  cat >"$RESULTS" <<'MD'
# Instructions per server-worker turn (callgrind, bench/turn_cost.sh)

One `Engine::HandleTurns` of 16 verified order-status turns on distinct conversations
(`BM_HandleTurnsBatch/16`), counted by valgrind's callgrind; lower is better. Counts repeat within
0.2% where timings on these machines move by 30%, so builds compare row by row. The bench binary uses
glibc's malloc; `kefu serve` links jemalloc, so allocation costs less there.

| date | build | instructions / 16 turns | per turn |
|---|---|---:|---:|
MD
fi
echo "| $(date -u +%Y-%m-%d) | $LABEL | $TOTAL | $PER_TURN |" >>"$RESULTS"
echo "turn_cost: wrote $RESULTS"

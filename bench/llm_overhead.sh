#!/usr/bin/env bash
# Time to first token through kefu against calling the model server directly, in one process and
# one run (bench/llm_overhead.cc): a fake OpenAI-compatible server that answers at once, kefu's
# HTTP server in process with its model pointed at it. Writes bench/results/llm_overhead.md.
# Needs a build with -DKEFU_BUILD_BENCH=ON (RelWithDebInfo or Release for figures worth keeping).
# Usage: bench/llm_overhead.sh [build-dir]   Env: ITERATIONS (500), WARMUP (50)
set -euo pipefail
BUILD_DIR=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN="$ROOT/$BUILD_DIR/bench/llm_overhead"
OUT="$ROOT/bench/results/llm_overhead.md"
if [[ ! -x "$BIN" ]]; then
  echo "no $BIN: configure with -DKEFU_BUILD_BENCH=ON and build llm_overhead" >&2
  exit 1
fi
BUILD_TYPE=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$ROOT/$BUILD_DIR/CMakeCache.txt" || true)
# The shipped intent model and knowledge-base embedding, when the build has trained them.
MODELS=()
MODEL_DIR="$ROOT/$BUILD_DIR/models"
[[ -f "$MODEL_DIR/intent.bin" ]] && MODELS+=(--intent-model "$MODEL_DIR/intent.bin")
[[ -f "$MODEL_DIR/kb_embed.bin" ]] && MODELS+=(--kb-embedding "$MODEL_DIR/kb_embed.bin")
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
"$BIN" --data-dir "$ROOT/data" ${MODELS[@]+"${MODELS[@]}"} --build-type "${BUILD_TYPE:-unknown}" \
  --iterations "${ITERATIONS:-500}" --warmup "${WARMUP:-50}" --out "$TMP/report.md"
{
  echo "# LLM overhead: time to first token through kefu vs. the model server directly"
  echo
  echo "\`bench/llm_overhead.sh\` on $(date -u +%Y-%m-%d), $(nproc) cores, load average" \
       "$(cut -d' ' -f1 /proc/loadavg) at the end; commit $(git -C "$ROOT" describe --always --dirty)."
  echo "Acceptance: with a fake server that answers at once, kefu adds at most 2 ms p50 to the"
  echo "time to first token, against calling that server directly (same run)."
  echo
  cat "$TMP/report.md"
} >"$OUT"
echo "wrote $OUT"

#!/usr/bin/env bash
# Whole-turn latency without an LLM on the demo shop, in process (kefu bench dialog): order
# status with verification (zh, en), a return declined at its confirmation, a product search,
# knowledge-base questions, small talk. Writes bench/results/dialog.md.
# Env: ITERATIONS (default 300).
set -euo pipefail
BUILD_DIR=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT="$ROOT/bench/results/dialog.md"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
"$ROOT/$BUILD_DIR/kefu" bench dialog --data-dir "$ROOT/data" --db "$TMP/bench.db" \
  --log-level warn --iterations "${ITERATIONS:-300}" --report "$TMP/table.md" >/dev/null
{
  echo "# Dialogue turn latency (no LLM, demo shop, in process)"
  echo
  echo "\`bench/dialog_latency.sh\` on $(date -u +%Y-%m-%d), $(nproc) cores, load average" \
       "$(cut -d' ' -f1 /proc/loadavg) at the end; commit $(git -C "$ROOT" rev-parse --short HEAD)."
  echo "Each iteration holds every dialogue below in a fresh conversation; each turn is one"
  echo "\`Engine::HandleTurn\` (normalize, understand with the shipped intent model, the flow, its"
  echo "tools on SQLite, the knowledge base where asked, the reply, the stored turn). Goal: p50 at"
  echo "most 1 ms and p99 at most 5 ms over all turns."
  echo
  cat "$TMP/table.md"
} >"$OUT"
echo "wrote $OUT"

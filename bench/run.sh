#!/usr/bin/env bash
# `make bench`: per-stage micro benchmarks, then the end-to-end load run; writes
# bench/results/stages.json and bench/results/e2e.md.
# Env: CONNS, DURATION, CONVS, ROUNDS (see bench/load.sh).
set -euo pipefail
BUILD_DIR=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$ROOT/bench/results"
echo "== per-stage micro benchmarks"
"$ROOT/$BUILD_DIR/bench/kefu_bench" --benchmark_out="$ROOT/bench/results/stages.json" \
  --benchmark_out_format=json --benchmark_min_time=0.5
echo "== end-to-end load"
"$ROOT/bench/load.sh" "$BUILD_DIR"
echo "== dialogue turn latency"
"$ROOT/bench/dialog_latency.sh" "$BUILD_DIR"
echo "== intent accuracy (own data; public datasets when ../shared/datasets exists)"
"$ROOT/bench/nlu_eval.sh" "$BUILD_DIR"
echo "== LLM overhead (time to first token through kefu vs. the model server directly)"
"$ROOT/bench/llm_overhead.sh" "$BUILD_DIR"
echo "== sentiment accuracy (own held-out set; public datasets when ../shared/datasets exists)"
"$ROOT/bench/sentiment_eval.sh" "$BUILD_DIR"

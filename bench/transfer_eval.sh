#!/usr/bin/env bash
# Transfer: the shipped intent model (trained only on data/nlu) on the Bitext test split, its
# 27 intents mapped onto kefu's with bench/bitext_to_kefu.tsv. No retraining.
# Writes bench/results/nlu/transfer_bitext/ and prints the eval summary.
# Usage: bench/transfer_eval.sh [build-dir]
set -euo pipefail
BUILD_DIR=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DATASETS=${KEFU_DATASETS:-$ROOT/../shared/datasets}
SRC="$DATASETS/bitext_customer_service_intent/test.csv"
[[ -f "$SRC" ]] || { echo "transfer_eval: $SRC not found"; exit 0; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
python3 - "$SRC" "$ROOT/bench/bitext_to_kefu.tsv" "$TMP/mapped.tsv" <<'PY'
import csv, sys
src, mapping, out = sys.argv[1:]
m = dict(l.rstrip("\n").split("\t") for l in open(mapping) if l.strip() and not l.startswith("#"))
with open(out, "w", encoding="utf-8") as f:
    for r in csv.DictReader(open(src, encoding="utf-8")):
        f.write(r["utterance"].replace("\t", " ").replace("\n", " ") + "\t" + m[r["intent"]] + "\ten\n")
PY
mkdir -p "$ROOT/bench/results/nlu/transfer_bitext"
"$ROOT/$BUILD_DIR/kefu" eval intent --data "$TMP/mapped.tsv" \
  --report "$ROOT/bench/results/nlu/transfer_bitext" | tee "$ROOT/bench/results/nlu/transfer_bitext/eval.txt"

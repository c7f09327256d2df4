#!/usr/bin/env bash
# Transfer: the shipped intent model (trained only on data/nlu) on the Bitext test split, its
# 27 intents mapped onto kefu's with bench/bitext_to_kefu.tsv. No retraining.
# Writes bench/results/nlu/transfer_bitext/ (the eval report, and by_intent.md: accuracy and the
# labels predicted instead, per Bitext intent) and prints the eval summary.
# Usage: bench/transfer_eval.sh [build-dir]
set -euo pipefail
BUILD_DIR=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DATASETS=${KEFU_DATASETS:-$ROOT/../shared/datasets}
SRC="$DATASETS/bitext_customer_service_intent/test.csv"
[[ -f "$SRC" ]] || { echo "transfer_eval: $SRC not found"; exit 0; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
python3 - "$SRC" "$ROOT/bench/bitext_to_kefu.tsv" "$TMP/mapped.tsv" "$TMP/source.txt" <<'PY'
import csv, sys
src, mapping, out, source = sys.argv[1:]
m = dict(l.rstrip("\n").split("\t") for l in open(mapping) if l.strip() and not l.startswith("#"))
with open(out, "w", encoding="utf-8") as f, open(source, "w", encoding="utf-8") as s:
    for r in csv.DictReader(open(src, encoding="utf-8")):
        f.write(r["utterance"].replace("\t", " ").replace("\n", " ") + "\t" + m[r["intent"]] + "\ten\n")
        s.write(r["intent"] + "\n")
PY
OUT="$ROOT/bench/results/nlu/transfer_bitext"
mkdir -p "$OUT"
"$ROOT/$BUILD_DIR/kefu" eval intent --data "$TMP/mapped.tsv" --report "$OUT" \
  --predictions "$TMP/predictions.tsv" >"$OUT/eval.txt"
# Where the errors are, by Bitext's own intent: which kefu label each one got instead.
python3 - "$TMP/source.txt" "$TMP/predictions.tsv" "$ROOT/bench/bitext_to_kefu.tsv" "$OUT/by_intent.md" <<'PY'
import collections, sys
source, predictions, mapping, out = sys.argv[1:]
intents = [l.strip() for l in open(source, encoding="utf-8")]
rows = [l.rstrip("\n").split("\t") for l in open(predictions, encoding="utf-8")]
m = dict(l.rstrip("\n").split("\t") for l in open(mapping) if l.strip() and not l.startswith("#"))
n, ok, wrong = collections.Counter(), collections.Counter(), collections.defaultdict(collections.Counter)
for intent, row in zip(intents, rows):
    n[intent] += 1
    if row[1] == row[0]:
        ok[intent] += 1
    else:
        wrong[intent][row[1]] += 1
total = sum(n.values())
with open(out, "w", encoding="utf-8") as f:
    f.write("# Transfer errors by Bitext intent\n\n")
    f.write("The shipped model on Bitext's test split (bench/transfer_eval.sh), each Bitext intent "
            "mapped onto a kefu label by bench/bitext_to_kefu.tsv; worst first.\n\n")
    f.write(f"Overall: {sum(ok.values())} of {total} right ({sum(ok.values()) / total:.4f}).\n\n")
    f.write("| Bitext intent | kefu label | right | of | accuracy | predicted instead |\n")
    f.write("|---|---|---:|---:|---:|---|\n")
    for intent in sorted(n, key=lambda i: (ok[i] / n[i], i)):
        instead = ", ".join(f"{label} {c}" for label, c in wrong[intent].most_common(4))
        f.write(f"| {intent} | {m[intent]} | {ok[intent]} | {n[intent]} | {ok[intent] / n[intent]:.2f} | {instead} |\n")
PY
cat "$OUT/eval.txt"

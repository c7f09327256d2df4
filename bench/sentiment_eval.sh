#!/usr/bin/env bash
# Sentiment accuracy and speed. The shipped reader (lexicon + model stacked, trained at build time
# from data/sentiment only) on our held-out set and, when ../shared/datasets is there, on public
# sets with no retraining; beside it, in the same run, its two halves alone (lexicon, model) as
# baselines. Then models trained on public training data (5-fold for online_shopping_10_cats,
# which has no split; SST-2's train split for its labelled test split). Writes
# bench/results/sentiment.md and bench/results/sentiment_f1.html (held-out F1 per label).
# Usage: bench/sentiment_eval.sh [build-dir]
set -euo pipefail
BUILD_DIR=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
KEFU="$ROOT/$BUILD_DIR/kefu"
MODEL="$ROOT/$BUILD_DIR/models/sentiment.bin"
HELDOUT="$ROOT/tests/data/sentiment_heldout.tsv"
DATASETS=${KEFU_DATASETS:-$ROOT/../shared/datasets}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
SUMMARY="$TMP/summary.tsv"
: >"$SUMMARY"

measure() {  # section name data model reader
  echo "== $2 ($5)" >&2
  local json
  json=$("$KEFU" eval sentiment --data "$3" --model "$4" --reader "$5" | tail -1)
  echo -e "$1\t$2\t$5\t$json" >>"$SUMMARY"
}

for reader in shipped lexicon model; do
  measure shipped "held-out (ours, zh+en, 3 classes)" "$HELDOUT" "$MODEL" "$reader"
done
"$KEFU" eval sentiment --data "$HELDOUT" --model "$MODEL" --report "$TMP/report" >/dev/null
cp "$TMP/report/sentiment_f1.html" "$ROOT/bench/results/sentiment_f1.html"

if [[ -d "$DATASETS" ]]; then
  python3 - "$DATASETS" "$TMP" <<'PY'
import csv, random, sys
src, tmp = sys.argv[1], sys.argv[2]
def write(name, rows):
    with open(f"{tmp}/{name}", "w", encoding="utf-8") as f:
        for text, label in rows:
            text = " ".join((text or "").replace("\ufeff", "").split())
            if text and label in ("0", "1"):
                f.write(f"{text}\t{label}\n")
shop = [(r["review"], r["label"]) for r in
        csv.DictReader(open(f"{src}/chn_online_shopping_10_cats/online_shopping_10_cats.csv",
                            encoding="utf-8-sig"))]
write("shop.tsv", shop)
write("waimai.tsv", [(r["review"], r["label"]) for r in
      csv.DictReader(open(f"{src}/chn_waimai_10k/waimai_10k.csv", encoding="utf-8-sig"))])
amazon = [l.rstrip("\n").rsplit("\t", 1) for l in
          open(f"{src}/uci_sentiment_labelled_sentences/amazon_cells_labelled.txt",
               encoding="utf-8", errors="replace") if "\t" in l]
write("amazon.tsv", [(t, l.strip()) for t, l in amazon])
for split in ("train", "dev", "test_labeled"):
    rows = [l.rstrip("\n").rsplit("\t", 1) for l in
            open(f"{src}/sst2/{split}.tsv", encoding="utf-8").readlines()[1:] if "\t" in l]
    write(f"sst2_{split}.tsv", [(t, l.strip()) for t, l in rows])
# 5 folds of online_shopping_10_cats, shuffled with a fixed seed.
random.seed(20261129)
random.shuffle(shop)
k = len(shop) // 5
for f in range(5):
    write(f"shop_test{f}.tsv", shop[f * k:(f + 1) * k])
    write(f"shop_train{f}.tsv", shop[:f * k] + shop[(f + 1) * k:])
PY
  for set in "online_shopping_10_cats (zh reviews):shop" "waimai_10k (zh):waimai" \
             "UCI Amazon sentences (en):amazon" "SST-2 dev (en):sst2_dev"; do
    for reader in shipped lexicon model; do
      measure shipped "${set%%:*}" "$TMP/${set##*:}.tsv" "$MODEL" "$reader"
    done
  done
  for f in 0 1 2 3 4; do
    echo "== training on online_shopping_10_cats fold $((f + 1))/5" >&2
    "$KEFU" train sentiment --data "$TMP/shop_train$f.tsv" --out "$TMP/shop$f.bin" >/dev/null
    measure fold "online_shopping_10_cats fold $((f + 1))/5" "$TMP/shop_test$f.tsv" "$TMP/shop$f.bin" shipped
  done
  echo "== training on SST-2 train" >&2
  "$KEFU" train sentiment --data "$TMP/sst2_train.tsv" --out "$TMP/sst2.bin" >/dev/null
  measure trained "SST-2 test (trained on SST-2 train)" "$TMP/sst2_test_labeled.tsv" "$TMP/sst2.bin" shipped
else
  echo "no $DATASETS: public datasets skipped" >&2
fi

python3 - "$SUMMARY" "$ROOT/bench/results/sentiment.md" "$(git -C "$ROOT" describe --always --dirty)" \
  "$(nproc)" <<'PY'
import json, sys
summary, out, commit, cores = sys.argv[1:5]
rows = []
for l in open(summary, encoding="utf-8"):
    section, name, reader, j = l.rstrip("\n").split("\t", 3)
    rows.append((section, name, reader, json.loads(j)))
targets = {"online_shopping_10_cats (zh reviews)": 0.88, "waimai_10k (zh)": 0.85,
           "UCI Amazon sentences (en)": 0.85, "SST-2 dev (en)": 0.78,
           "online_shopping_10_cats 5-fold mean": 0.93, "SST-2 test (trained on SST-2 train)": 0.84}
folds = [j for s, n, r, j in rows if s == "fold"]
rows = [r for r in rows if r[0] != "fold"]
if folds:
    mean = {k: sum(j[k] for j in folds) / len(folds)
            for k in ("accuracy", "macro_f1", "p50_us", "p99_us", "us_per_message")}
    mean["n"] = sum(j["n"] for j in folds)
    rows.insert(len([r for r in rows if r[0] != "trained"]),
                ("trained", "online_shopping_10_cats 5-fold mean", "shipped", mean))
shipped = [r for r in rows if r[2] == "shipped"]
held = {r[2]: r[3] for r in rows if r[1].startswith("held-out")}

lines = ["# Sentiment: accuracy and speed", "",
         f"`bench/sentiment_eval.sh` at commit {commit}, {cores} cores. The shipped reader is the",
         "lexicon (data/sentiment/lexicon_*.tsv) stacked with the model trained at build time from",
         "data/sentiment/train*.tsv and reviews_*.tsv only (messages and reviews written by this",
         "project). Public sets are measured with no retraining (negative vs positive: the sign of",
         "the score). `trained` rows are trained on the public set's own training data (the same",
         "`kefu train sentiment`: classifier + stacker over our lexicon). Targets are issue 7's.", "",
         "## Accuracy (shipped reader)", "",
         "| data | model | n | accuracy | macro-F1 | target |", "|---|---|---:|---:|---:|---:|"]
for section, name, reader, j in shipped:
    t = targets.get(name)
    mark = "" if t is None else (f"{t:.2f} " + ("✓" if j["accuracy"] >= t else "✗"))
    lines.append(f"| {name} | {section} | {j['n']} | {j['accuracy']:.4f} | {j['macro_f1']:.4f} | "
                 f"{mark} |")
if "shipped" in held:
    h = held["shipped"]
    lines += ["", "## Held-out set (ours; never trains or tunes anything)", "",
              f"- Polarity macro-F1 **{h['macro_f1']:.4f}** (target 0.90 "
              f"{'✓' if h['macro_f1'] >= 0.90 else '✗'}), accuracy {h['accuracy']:.4f}.",
              f"- Anger recall **{h['anger_recall']:.4f}** (target 0.90 "
              f"{'✓' if h['anger_recall'] >= 0.90 else '✗'}), anger precision "
              f"{h['anger_precision']:.4f}, emotion accuracy {h['emotion_accuracy']:.4f}.",
              "- Per-label F1 chart: [sentiment_f1.html](sentiment_f1.html).", "",
              "| label | precision | recall | F1 | n |", "|---|---:|---:|---:|---:|"]
    for label, s in list(h["labels"].items()) + [("emotion: " + k, v) for k, v in
                                                  h.get("emotions", {}).items()]:
        lines.append(f"| {label} | {s['precision']:.3f} | {s['recall']:.3f} | {s['f1']:.3f} | "
                     f"{s['n']} |")

lines += ["", "## Baselines in the same run: each half alone", "",
          "| data | lexicon | model | shipped (both) |", "|---|---:|---:|---:|"]
by = {}
for section, name, reader, j in rows:
    by.setdefault(name, {})[reader] = j
for name, readers in by.items():
    if len(readers) < 3:
        continue
    lines.append(f"| {name} | " + " | ".join(f"{readers[r]['accuracy']:.4f}"
                                              for r in ("lexicon", "model", "shipped")) + " |")

lines += ["", "## Speed per message (µs, one thread; Normalize not included)", "",
          "Measured by `kefu eval sentiment` around each message's reading; target: p50 at most",
          "20 µs on customer-service messages (the held-out set).", "",
          "| data | reader | p50 | p99 | mean |", "|---|---|---:|---:|---:|"]
for section, name, reader, j in rows:
    if section == "shipped":
        lines.append(f"| {name} | {reader} | {j['p50_us']:.1f} | {j['p99_us']:.1f} | "
                     f"{j['us_per_message']:.1f} |")

lines += ["", "```", "accuracy, shipped reader (each # is 2 points; | marks the target)"]
for section, name, reader, j in shipped:
    bar = "#" * int(j["accuracy"] * 50)
    t = targets.get(name)
    if t is not None:
        pos = int(t * 50)
        bar = (bar + " " * 50)[:50]
        bar = bar[:pos] + "|" + bar[pos + 1:]
    lines.append(f"{name[:40]:<40} {bar.rstrip()} {j['accuracy']:.3f}")
lines.append("```")
open(out, "w", encoding="utf-8").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY

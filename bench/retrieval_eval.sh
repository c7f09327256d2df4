#!/usr/bin/env bash
# Retrieval quality: the demo shop's held-out FAQ queries (bench/retrieval/demo_queries.jsonl),
# and, when ../shared/datasets is present, StackFAQ (en FAQ retrieval) and AFQMC dev (zh question
# pairs). BM25 alone, vectors alone and hybrid side by side. Writes bench/results/retrieval.md and
# charts under bench/results/retrieval/. Usage: bench/retrieval_eval.sh [build-dir]
set -euo pipefail
BUILD_DIR=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
KEFU="$ROOT/$BUILD_DIR/kefu"
DATASETS=${KEFU_DATASETS:-$ROOT/../shared/datasets}
OUT="$ROOT/bench/results/retrieval"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$OUT"
MD="$TMP/retrieval.md"

table() {  # title, eval output file
  echo "### $1" >>"$MD"
  echo >>"$MD"
  grep '^|' "$2" >>"$MD"
  echo >>"$MD"
}

# Own demo: the shipped FAQ files imported as they are, with the shipped embedding (no training on
# the queries); the held-out queries were never used to tune anything.
echo "== own demo FAQ queries"
"$KEFU" eval retrieval --data "$ROOT/bench/retrieval/demo_queries.jsonl" \
  --import "$ROOT/data/kb" --no-train --report "$OUT/own" | tee "$TMP/own.txt"
table "Own demo: $(grep -c . "$ROOT/bench/retrieval/demo_queries.jsonl") held-out queries over data/kb (shipped embedding)" "$TMP/own.txt"

if [[ -d "$DATASETS/stackfaq" ]]; then
  echo "== StackFAQ"
  # Each FAQ becomes {id, question, answer}; its paraphrased queries are the test queries. No
  # paraphrase is stored with the FAQ, so nothing of the queries is seen before the test.
  python3 - "$DATASETS/stackfaq/faq_pairs.jsonl" "$TMP" <<'PY'
import json, sys
src, tmp = sys.argv[1], sys.argv[2]
import os
os.makedirs(f"{tmp}/stackfaq", exist_ok=True)
with open(f"{tmp}/stackfaq/faq.jsonl", "w") as faq, open(f"{tmp}/stackfaq_queries.jsonl", "w") as q:
    for line in open(src, encoding="utf-8"):
        r = json.loads(line)
        fid = f"sf-{r['faq_id']}"
        faq.write(json.dumps({"id": fid, "question": r["question"],
                              "answer": "\n\n".join(r["answers"]), "lang": "en"}, ensure_ascii=False) + "\n")
        for p in r["paraphrased_queries"]:
            q.write(json.dumps({"query": p, "relevant": [fid]}, ensure_ascii=False) + "\n")
PY
  "$KEFU" eval retrieval --data "$TMP/stackfaq_queries.jsonl" --import "$TMP/stackfaq" \
    --report "$OUT/stackfaq" | tee "$TMP/stackfaq.txt"
  table "StackFAQ: 1,249 paraphrased queries over 125 FAQs (embedding learned from the FAQs at import)" "$TMP/stackfaq.txt"
fi

if [[ -f "$DATASETS/afqmc/dev.json" ]]; then
  echo "== AFQMC dev"
  "$KEFU" eval similarity --data "$DATASETS/afqmc/dev.json" | tee "$TMP/afqmc.txt"
  table "AFQMC dev: question-pair similarity, ROC-AUC (shipped embedding)" "$TMP/afqmc.txt"
fi

{
  echo "# Retrieval"
  echo
  echo "Made by \`bench/retrieval_eval.sh\` on $(date -u +%Y-%m-%d), commit $(git -C "$ROOT" rev-parse --short HEAD)."
  echo "Figures per mode: BM25 alone (chunks and stored questions), vectors alone, and hybrid"
  echo "(reciprocal-rank fusion of both, reranked with question similarity and query coverage)."
  echo
  cat "$MD"
} >"$ROOT/bench/results/retrieval.md"
echo "wrote bench/results/retrieval.md"

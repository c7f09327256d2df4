#!/usr/bin/env bash
# The CLI end to end on a fresh database: chat --once, a two-turn session on stdin, --json,
# exit codes, demo reset, nlu, train/eval intent, the knowledge base, and serve on port 0 stopped
# by SIGTERM.
# Usage: cli_test.sh path/to/kefu path/to/data
set -euo pipefail
KEFU=$1
DATA=$2
TMP=$(mktemp -d)
SERVER_PID=""
cleanup() {
  if [[ -n "$SERVER_PID" ]]; then kill "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
export KEFU_LOG_LEVEL=warn

# Pick a shipped order and its verification digits, carrier, tracking number and latest event.
LINE=$(grep -m1 '"status": "shipped"' "$DATA/demo/orders.jsonl")
[[ -n "$LINE" ]] || fail "no shipped order in the demo shop"
field() { python3 -c "import json,sys; o=json.loads(sys.argv[1]); print(eval(sys.argv[2]))" "$LINE" "$1"; }
ORDER=$(field 'o["order_number"]')
LAST4=$(field 'o["phone"][-4:]')
CARRIER=$(field 'o["shipment"]["carrier"]')
TRACKING=$(field 'o["shipment"]["tracking_number"]')
LATEST=$(field 'o["shipment"]["events"][-1]["description_zh"]')

cd "$TMP"
# 1. One message asks for verification and gives no details.
OUT=$("$KEFU" chat --data-dir "$DATA" --once "我的订单 $ORDER 到哪了")
echo "$OUT" | grep -q "后四位" || fail "--once did not ask for verification: $OUT"
echo "$OUT" | grep -q "$TRACKING" && fail "--once leaked the tracking number"
[[ -f kefu.db ]] || fail "default database ./kefu.db was not created"

# 2. Two turns on stdin with the right digits print carrier, tracking number and latest event.
OUT=$(printf '我的订单 %s 到哪了\n%s\n' "$ORDER" "$LAST4" | "$KEFU" chat --data-dir "$DATA" --db "$TMP/a.db")
echo "$OUT" | grep -q "$CARRIER" || fail "no carrier in: $OUT"
echo "$OUT" | grep -q "$TRACKING" || fail "no tracking number in: $OUT"
echo "$OUT" | grep -qF "$LATEST" || fail "no latest event in: $OUT"

# 3. --json prints the reply with its trace.
OUT=$("$KEFU" chat --data-dir "$DATA" --db "$TMP/a.db" --json --once "hello")
echo "$OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["intent"]=="greeting" and d["trace"]["stages"], d' \
  || fail "--json output: $OUT"

# 4. Exit codes: help 0, usage errors 2, other failures 1 with a one-line message.
"$KEFU" --help >/dev/null || fail "--help did not exit 0"
"$KEFU" serve --help >/dev/null || fail "serve --help did not exit 0"
set +e
"$KEFU" --no-such-flag 2>/dev/null; [[ $? -eq 2 ]] || fail "unknown flag did not exit 2"
"$KEFU" serve --port 99999 2>/dev/null; [[ $? -eq 2 ]] || fail "bad port did not exit 2"
"$KEFU" 2>/dev/null; [[ $? -eq 2 ]] || fail "no subcommand did not exit 2"
ERR=$("$KEFU" chat --data-dir "$DATA" --db /nonexistent/dir/x.db --once hi 2>&1 >/dev/null); RC=$?
[[ $RC -eq 1 ]] || fail "unopenable db exited $RC, want 1"
[[ $(echo "$ERR" | wc -l) -eq 1 ]] || fail "error message is not one line: $ERR"
set -e

# 5. demo reset rebuilds the shop.
OUT=$("$KEFU" demo reset --data-dir "$DATA" --db "$TMP/b.db")
echo "$OUT" | grep -q "orders" || fail "demo reset: $OUT"

# 6. kefu nlu prints the understanding as JSON, with offsets into the text as typed.
OUT=$("$KEFU" nlu --data-dir "$DATA" --db "$TMP/a.db" "我的訂單２０２６１１２４６４５１８３１１昨天就該到了")
echo "$OUT" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["language"] == "zh", d
assert d["intent"]["name"] and 0 <= d["intent"]["confidence"] <= 1, d
e = [x for x in d["entities"] if x["type"] == "order_id"][0]
assert e["value"] == "2026112464518311" and e["start"] == 4 and e["end"] == 20, e
assert e["text"] == "２０２６１１２４６４５１８３１１", e
assert any(x["type"] == "date" for x in d["entities"]), d
assert isinstance(d["keywords"], list), d
' || fail "kefu nlu output: $OUT"

# 7. kefu train intent / kefu eval intent on a small file; eval's last line is JSON.
for i in 1 2 3 4 5 6; do
  printf '订单%s到哪了\torder_status\nwhere is order %s\torder_status\n我要退货%s\treturn_refund\nreturn item %s\treturn_refund\n' $i $i $i $i
done >"$TMP/tiny.tsv"
"$KEFU" train intent --data "$TMP/tiny.tsv" --out "$TMP/tiny.kim" --epochs 10 2>/dev/null || fail "train intent"
OUT=$("$KEFU" eval intent --data "$TMP/tiny.tsv" --model "$TMP/tiny.kim" --report "$TMP/report" 2>/dev/null | tail -1)
echo "$OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["accuracy"] > 0.9 and "macro_f1" in d, d' \
  || fail "eval intent: $OUT"
[[ -s "$TMP/report/intent_f1.html" ]] || fail "eval intent --report wrote no chart"
# --refit: calibrated on the dev file, then trained again on the train and dev rows together.
printf 'parcel %s whereabouts\torder_status\n退掉%s号\treturn_refund\n' 1 1 2 2 >"$TMP/tiny_dev.tsv"
ERR=$("$KEFU" train intent --data "$TMP/tiny.tsv" --dev "$TMP/tiny_dev.tsv" --refit \
  --out "$TMP/refit.kim" --epochs 10 2>&1 >/dev/null) || fail "train intent --refit: $ERR"
echo "$ERR" | grep -q "refit on 28 examples" || fail "refit did not train on train + dev: $ERR"
OUT=$("$KEFU" eval intent --data "$TMP/tiny_dev.tsv" --model "$TMP/refit.kim" 2>/dev/null | tail -1)
echo "$OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["accuracy"] == 1.0, d' \
  || fail "the refit model does not know its dev rows: $OUT"
# A shop's own model replaces the shipped one (--intent-model on chat and serve).
OUT=$("$KEFU" chat --data-dir "$DATA" --db "$TMP/a.db" --intent-model "$TMP/tiny.kim" --json --once "我要退货")
echo "$OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["intent"] == "return_refund", d' \
  || fail "--intent-model was not used: $OUT"
set +e
"$KEFU" chat --data-dir "$DATA" --db "$TMP/a.db" --intent-model "$TMP/none.kim" --once hi 2>/dev/null
[[ $? -eq 1 ]] || fail "a missing --intent-model should exit 1"
"$KEFU" eval intent --data "$TMP/none.tsv" --model "$TMP/tiny.kim" 2>/dev/null; [[ $? -eq 1 ]] || fail "missing data should exit 1"
"$KEFU" train intent --data "$TMP/tiny.tsv" 2>/dev/null; [[ $? -eq 2 ]] || fail "missing --out should exit 2"
ERR=$("$KEFU" train intent --data "$TMP/tiny.tsv" --out "$TMP/x.kim" --refit 2>&1); [[ $? -eq 1 ]] \
  || fail "--refit without calibration rows should exit 1"
[[ "$ERR" == *"--refit needs calibration rows"* ]] || fail "--refit error: $ERR"
[[ ! -e "$TMP/x.kim" ]] || fail "a failed --refit wrote a model"
set -e

# 8. Knowledge base: import (a bad file is skipped, the rest imported), list, search, answer, rm.
mkdir -p "$TMP/docs"
printf '# 以旧换新\n\n## 回收规则\n\n旧手机按成色回收，最高抵扣 800 元。\n' >"$TMP/docs/trade-in.md"
printf '\x00\x01binary' >"$TMP/docs/blob.txt"
OUT=$("$KEFU" kb import --data-dir "$DATA" --db "$TMP/kb.db" "$TMP/docs" 2>"$TMP/kb.err")
echo "$OUT" | grep -q "1 added" || fail "kb import: $OUT"
grep -q "blob.txt" "$TMP/kb.err" || fail "kb import did not report the binary file"
"$KEFU" kb list --data-dir "$DATA" --db "$TMP/kb.db" | grep -q "trade-in.md" || fail "kb list"
OUT=$("$KEFU" kb search --data-dir "$DATA" --db "$TMP/kb.db" "旧手机回收能抵多少钱" --json)
echo "$OUT" | grep -q '"heading": "以旧换新 > 回收规则"' || fail "kb search: $OUT"
OUT=$("$KEFU" chat --data-dir "$DATA" --db "$TMP/kb.db" --once "以旧换新的旧手机回收规则")
echo "$OUT" | grep -q "800" || fail "the knowledge base did not answer: $OUT"
"$KEFU" kb rm --data-dir "$DATA" --db "$TMP/kb.db" trade-in.md >/dev/null || fail "kb rm"
set +e
"$KEFU" kb rm --data-dir "$DATA" --db "$TMP/kb.db" trade-in.md 2>/dev/null; RC=$?
set -e
[[ $RC -eq 1 ]] || fail "kb rm of a missing id exited $RC, want 1"
# eval similarity: ROC-AUC per similarity, last line JSON. Here the pairs that share characters
# are the similar ones, so the character reference ranks them perfectly.
printf '%s\n' '{"sentence1":"花呗怎么还款","sentence2":"花呗如何还款","label":"1"}' \
  '{"sentence1":"退货运费谁出","sentence2":"退货的运费谁承担","label":"1"}' \
  '{"sentence1":"花呗怎么还款","sentence2":"发票抬头写错了","label":"0"}' \
  '{"sentence1":"Where is my parcel","sentence2":"退货运费谁出","label":"0"}' >"$TMP/pairs.jsonl"
OUT=$("$KEFU" eval similarity --data-dir "$DATA" --db "$TMP/kb.db" --data "$TMP/pairs.jsonl" 2>/dev/null | tail -1)
python3 -c 'import json,sys; o=json.loads(sys.argv[1]); assert o["pairs"] == 4 and o["auc_characters"] == 1.0 and 0 <= o["auc"] <= 1 and 0 <= o["auc_bm25"] <= 1, o' "$OUT" \
  || fail "eval similarity: $OUT"

# 9. serve --port 0 prints its URL, answers, and exits 0 on SIGTERM.
"$KEFU" serve --data-dir "$DATA" --db "$TMP/c.db" --port 0 >"$TMP/serve.out" 2>"$TMP/serve.err" &
SERVER_PID=$!
for _ in $(seq 1 200); do
  grep -q "http://" "$TMP/serve.out" 2>/dev/null && break
  sleep 0.05
done
URL=$(grep -o 'http://[^ ]*' "$TMP/serve.out" | head -1)
[[ -n "$URL" ]] || fail "serve printed no URL: $(cat "$TMP/serve.err")"
curl -sf "${URL}healthz" | grep -q '"ok"' || fail "healthz failed at $URL"
kill -TERM "$SERVER_PID"
set +e
wait "$SERVER_PID"; RC=$?
set -e
SERVER_PID=""
[[ $RC -eq 0 ]] || fail "serve exited $RC after SIGTERM"
echo "cli_test: ok"

#!/usr/bin/env bash
# The CPU cost of a turn in `kefu serve` itself, counted rather than timed, on both sides of the
# queue: callgrind counts the instructions of the I/O thread's Api::ReadAhead (body, normalize,
# sentiment, intent model, entities, the token's hash) and of the worker's Api::HandleBatch (the
# turn's store work and commit) over N sequential order-status turns of one verified conversation.
# bench/turn_cost.sh counts the worker's batch in kefu_bench, whose read stages use the rule
# understander; this one counts what the server runs, with the shipped models. Sequential turns
# make batches of one, so HandleBatch includes a commit's fixed cost every turn.
# Needs valgrind and curl. Usage: bench/serve_cost.sh [build-dir] [turns]   (about 3 minutes)
set -euo pipefail
BUILD_DIR=${1:-build}
TURNS=${2:-100}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
KEFU="$ROOT/$BUILD_DIR/kefu"
command -v valgrind >/dev/null || { echo "serve_cost: valgrind is missing (apt-get install valgrind)" >&2; exit 1; }
[[ -x "$KEFU" ]] || { echo "serve_cost: $KEFU is missing; run make build" >&2; exit 1; }
TMP=$(mktemp -d)
PID=""
cleanup() { if [[ -n "$PID" ]]; then kill "$PID" 2>/dev/null || true; fi; rm -rf "$TMP"; }
trap cleanup EXIT

start() {  # start [wrapper...]: kefu serve on a free port; sets PID and URL
  : >"$TMP/serve.out"
  KEFU_LOG_LEVEL=warn "$@" "$KEFU" serve --db "$TMP/cost.db" --port 0 >"$TMP/serve.out" 2>"$TMP/serve.err" &
  PID=$!
  for _ in $(seq 1 1200); do grep -q http:// "$TMP/serve.out" 2>/dev/null && break; sleep 0.25; done
  URL=$(grep -o 'http://[^ ]*' "$TMP/serve.out" | head -1)
  URL=${URL%/}
  [[ -n "$URL" ]] || { cat "$TMP/serve.err" >&2; exit 1; }
}
stop() {  # SIGTERM finishes in-flight turns; callgrind writes its file at exit
  kill -TERM "$PID"
  wait "$PID" || true
  PID=""
}

# The demo shop is loaded by a plain start, so that valgrind counts no import.
echo "serve_cost: loading the demo shop"
start
stop

echo "serve_cost: kefu serve under callgrind (a minute to start)"
start valgrind --tool=callgrind --callgrind-out-file="$TMP/cg.out" \
  --toggle-collect='kefu::server::Api::ReadAhead*' --toggle-collect='kefu::server::Api::HandleBatch*'
read -r ORDER LAST4 < <(python3 - "$ROOT/data/demo/orders.jsonl" <<'PY'
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    o = json.loads(line)
    if o["status"] == "shipped" and o.get("shipment"):
        print(o["order_number"], o["phone"][-4:])
        break
PY
)
CONV=$(curl -sf -X POST "$URL/v1/conversations" -d '{}')
ID=$(echo "$CONV" | sed -E 's/.*"conversation_id":"([^"]+)".*/\1/')
TOKEN=$(echo "$CONV" | sed -E 's/.*"token":"([^"]+)".*/\1/')
say() {
  curl -sf -X POST "$URL/v1/conversations/$ID/messages" -H "Authorization: Bearer $TOKEN" \
    -H 'Content-Type: application/json' -d "{\"text\":\"$1\"}" >/dev/null
}
say "我的订单 $ORDER 到哪了？"
say "$LAST4"
for i in $(seq 1 "$TURNS"); do
  say "我的订单 $ORDER 到哪了？"
  if ((i % 20 == 0)); then echo "serve_cost: $i / $TURNS turns"; fi
done
stop

ALL=$((TURNS + 2))
inclusive() {  # inclusive instructions of the first function matching $1
  callgrind_annotate --inclusive=yes "$TMP/cg.out" 2>/dev/null |
    sed -n "s/^ *\([0-9,]*\) .*$1.*/\1/p" | head -1 | tr -d ,
}
READ=$(inclusive 'server::Api::ReadAhead(')
BATCH=$(inclusive 'server::Api::HandleBatch(')
echo "serve_cost: $ALL turns, per turn: ReadAhead $((READ / ALL)), HandleBatch $((BATCH / ALL)), both $(((READ + BATCH) / ALL)) instructions"

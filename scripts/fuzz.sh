#!/usr/bin/env bash
# Fuzzes what shoppers type, with libFuzzer under AddressSanitizer and UBSan (Clang):
#   fuzz_text  text/: normalization, language, segmentation, PII spans and masking;
#   fuzz_turn  whole conversations through the engine: the shipped intent and sentiment models,
#              a small shop in SQLite and the demo knowledge base (tests/fuzz/fuzz_world.h);
#   fuzz_api   the HTTP API's handlers (no network) over that engine: every status documented,
#              every error {"error":{"code","message"}}, no customer's phone or address shown.
# Each target runs SECONDS from a seed corpus written from data/nlu and tests/dialogs; what the
# fuzzer adds is kept in BUILD_DIR/corpus/<target> for the next run. A crash, a leak or a broken
# invariant leaves its input in BUILD_DIR/findings/<target>/ and fails the run; replay one with
# `BUILD_DIR/tests/fuzz/<target> <file>`. Builds everything it fuzzes with Clang in its own
# directory (about 15 minutes from a cold ccache), so it is not part of `make test`.
# Usage: scripts/fuzz.sh [seconds-per-target] [build-dir]   (default 120, build-fuzz)
set -euo pipefail
SECS=${1:-120}
BUILD_DIR=${2:-build-fuzz}
cd "$(dirname "$0")/.."
BUILD_DIR=$(realpath -m "$BUILD_DIR")
start=$(date +%s)
scripts/install-deps.sh fuzz

# The turn target loads the shipped models from the normal build.
[[ -f build/build.ninja ]] || cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build --target kefu_models
CC=clang CXX=clang++ cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DKEFU_FUZZ=ON -DKEFU_WITH_JEMALLOC=OFF >/dev/null
cmake --build "$BUILD_DIR" -j "$(nproc)" --target fuzz_text fuzz_turn fuzz_api

# Seeds: every 20th training line (text), each dialogue scenario's shopper lines plus a few
# conversations on the fuzz shop's own orders (turns), and a request to every endpoint (api).
seed() {  # seed DIR NAME: stdin into DIR/NAME
  mkdir -p "$1"
  cat >"$1/$2"
}
SEEDS="$BUILD_DIR/seeds"
rm -rf "$SEEDS"
i=0
while IFS=$'\t' read -r text _; do
  if ((i++ % 20 == 0)); then printf '%s' "$text" | seed "$SEEDS/fuzz_text" "nlu_$i"; fi
done <data/nlu/intents.tsv
printf '%s' '手机+86 138-1234-5678，卡号6222 0212 3456 7890 128，身份证11010119900307123X，邮箱zhang.san@example.com，寄到浙江省杭州市西湖区文三路90号3栋2单元501室；Room 8, 99 Nanjing Rd' \
  | seed "$SEEDS/fuzz_text" pii
for f in tests/dialogs/*/*.yaml; do
  sed -n 's/^ *- user: *//p' "$f" | sed -E 's/^"(.*)"$/\1/' | seed "$SEEDS/fuzz_turn" "$(basename "$f" .yaml)"
done
printf '我的订单 2026112500000001 到哪了\n5678\n能改地址吗？改到北京市朝阳区建国路 88 号\n算了，退货吧' | seed "$SEEDS/fuzz_turn" small_zh
printf 'where is order 2026111000000003?\n1234\n0000\n9999\nI want a refund, the box was crushed' | seed "$SEEDS/fuzz_turn" small_en
printf '訂單2026112700000002可以取消嗎\n4321\n是的\n發票抬頭要改' | seed "$SEEDS/fuzz_turn" small_hant

# API requests: method, target, Authorization, Accept, Content-Type, X-Kefu-Agent, body
# (tests/fuzz/fuzz_api.cc; {conv}, {token}, {agent} and {admin} are filled in there).
api() {  # api NAME METHOD TARGET AUTH ACCEPT CONTENT_TYPE AGENT BODY
  printf '%s\n%s\n%s\n%s\n%s\n%s\n%s' "$2" "$3" "$4" "$5" "$6" "$7" "$8" | seed "$SEEDS/fuzz_api" "$1"
}
J=application/json
api turn_zh POST '/v1/conversations/{conv}/messages' 'Bearer {token}' $J $J '' '{"text":"我的订单 2026112500000001 到哪了"}'
api turn_sse POST '/v1/conversations/{conv}/messages' 'Bearer {token}' text/event-stream $J '' '{"text":"5678"}'
api turn_en POST '/v1/conversations/{conv}/messages' 'Bearer {token}' '' '' '' '{"text":"I want to return the earbuds, order 2026111000000003"}'
api history GET '/v1/conversations/{conv}/messages?after=0&limit=5' 'Bearer {token}' '' '' '' ''
api events GET '/v1/conversations/{conv}/events' 'Bearer {token}' text/event-stream '' '' ''
api create POST /v1/conversations '' '' $J '' '{"channel":"web"}'
api queue GET /v1/agent/queue 'Bearer {agent}' '' '' 'agent.li' ''
api agent_view GET '/v1/agent/conversations/{conv}' 'Bearer {agent}' '' '' 'agent.li' ''
api agent_claim POST '/v1/agent/conversations/{conv}/claim' 'Bearer {agent}' '' '' 'agent.li' ''
api agent_say POST '/v1/agent/conversations/{conv}/messages' 'Bearer {agent}' '' $J 'agent.li' '{"text":"您好，我来帮您查"}'
api suggestions GET '/v1/agent/conversations/{conv}/suggestions' 'Bearer {agent}' '' '' 'agent.li' ''
api kb_add POST /v1/kb/documents 'Bearer {admin}' '' $J '' '{"name":"gift.md","content":"# 礼品卡\n\n礼品卡不可退款。","lang":"zh","tags":["gift"]}'
api kb_search GET '/v1/kb/search?q=%E9%80%80%E8%B4%A7&k=3&mode=bm25' 'Bearer {admin}' '' '' '' ''
api kb_list GET /v1/kb/documents 'Bearer {admin}' '' '' '' ''
api kb_delete DELETE /v1/kb/documents/gift.md 'Bearer {admin}' '' '' '' ''
api stats GET '/v1/admin/stats?days=7' 'Bearer {admin}' '' '' '' ''
api healthz GET /healthz '' '' '' '' ''

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:symbolize=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
failed=0
for target in fuzz_text fuzz_turn fuzz_api; do
  corpus="$BUILD_DIR/corpus/$target"
  findings="$BUILD_DIR/findings/$target"
  mkdir -p "$corpus" "$findings"
  echo "== $target: ${SECS} s"
  # -max_len: the engine refuses messages over 2,000 characters; a few lines of that is enough.
  # The engine targets keep caches that grow with every conversation, which libFuzzer's check
  # after each input would take for a leak (and scan the whole heap for): LeakSanitizer checks
  # them once, at exit.
  leaks=1
  [[ $target == fuzz_text ]] || leaks=0
  if ! (cd "$findings" && "$BUILD_DIR/tests/fuzz/$target" -max_total_time="$SECS" \
    -max_len=8192 -rss_limit_mb=4096 -timeout=20 -detect_leaks=$leaks -print_final_stats=1 \
    -artifact_prefix="$findings/" "$corpus" "$SEEDS/$target" \
    >"$BUILD_DIR/$target.log" 2>&1); then
    echo "fuzz: $target found a problem; its input is in $findings/, the report in $BUILD_DIR/$target.log" >&2
    grep -m3 -E "ERROR|invariant|runtime error" "$BUILD_DIR/$target.log" >&2 || true
    failed=1
  fi
  grep -E "^(Done|stat::(number_of_executed_units|average_exec_per_sec|new_units_added))" \
    "$BUILD_DIR/$target.log" | sed 's/^/  /'
done
if ((failed)); then
  echo "== fuzz: FAILED after $(($(date +%s) - start)) s" >&2
  exit 1
fi
echo "== fuzz: nothing found, $(($(date +%s) - start)) s"

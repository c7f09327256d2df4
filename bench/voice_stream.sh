#!/usr/bin/env bash
# A shopper's call on the voice socket, timed from outside (bench/voice_stream.cc): starts
# `kefu serve` on a free port with a fresh demo database, streams FILES (40) utterances of the
# synthesised corpus (scripts/gen-asr-corpus.sh) as 20 ms PCM frames at real-time pace, one call
# at a time, and writes bench/results/voice_stream.md: time from the start of speech to the first
# partial transcript (target: 300 ms), reply time after the end of speech, WER, real-time factor.
# Usage: bench/voice_stream.sh [build-dir]   Env: FILES (40), CORPUS (a corpus dir to reuse)
set -euo pipefail
BUILD_DIR=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
KEFU="$ROOT/$BUILD_DIR/kefu"
BIN="$ROOT/$BUILD_DIR/bench/voice_stream"
OUT="$ROOT/bench/results/voice_stream.md"
if [[ ! -x "$BIN" ]]; then
  echo "no $BIN: configure with -DKEFU_BUILD_BENCH=ON and build voice_stream" >&2
  exit 1
fi
TMP=$(mktemp -d)
SERVER=""
cleanup() {
  [[ -n "$SERVER" ]] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT
CORPUS=${CORPUS:-}
if [[ -z "$CORPUS" ]]; then
  CORPUS="$TMP/corpus"
  "$ROOT/scripts/gen-asr-corpus.sh" "$CORPUS" >&2
fi
"$KEFU" serve --db "$TMP/kefu.db" --data-dir "$ROOT/data" --port 0 --log-level warn \
  >"$TMP/serve.out" 2>"$TMP/serve.err" &
SERVER=$!
PORT=""
for _ in $(seq 1 300); do
  PORT=$(sed -n 's|.*http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$TMP/serve.out" | head -1)
  [[ -n "$PORT" ]] && break
  kill -0 "$SERVER" 2>/dev/null || { cat "$TMP/serve.err" >&2; exit 1; }
  sleep 0.1
done
[[ -n "$PORT" ]] || { echo "kefu serve did not start" >&2; exit 1; }
"$BIN" --port "$PORT" --data "$CORPUS" --files "${FILES:-40}" --out "$TMP/report.md" | tee "$TMP/summary.json"
{
  echo "# Voice socket: partial transcripts and replies, timed by a client"
  echo
  echo "\`bench/voice_stream.sh\` on $(date -u +%Y-%m-%d), $(nproc) cores"\
       "($(lscpu | sed -n 's/^Model name: *//p')), load average $(cut -d' ' -f1 /proc/loadavg)"\
       "at the end; commit $(git -C "$ROOT" describe --always --dirty)."
  echo "\`kefu serve\` with its defaults (pocketsphinx, the domain model with a tenth of the general one, 2 decoders);"
  echo "one call at a time; each utterance of the synthesised corpus (scripts/gen-asr-corpus.sh,"
  echo "spread over both voices and speeds) sent as 20 ms frames at real-time pace, with 500 ms of"
  echo "quiet before and 1 s after."
  echo
  echo "- *first partial*: from sending the frame where speech starts (first 20 ms above -40 dBFS"
  echo "  in the file) to the first \`partial\` frame. Target: 300 ms."
  echo "- *reply after speech*: from sending the last frame of speech to the \`reply\` frame; it"
  echo "  includes the 600 ms of silence the detector waits for, then the final decoding, the"
  echo "  turn and synthesis of the reply."
  echo "- *real-time factor*: the server's decode time (streaming pass plus the final pass) over"
  echo "  the utterance's audio, from each reply's trace."
  echo
  cat "$TMP/report.md"
  echo
  echo "Summary: \`$(cat "$TMP/summary.json")\`"
} >"$OUT"
echo "wrote $OUT" >&2

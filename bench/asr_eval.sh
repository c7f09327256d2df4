#!/usr/bin/env bash
# Speech recognition: word error rate and real-time factor of pocketsphinx with kefu's domain
# language model against Debian's general model, in the same run, on the corpus that
# scripts/gen-asr-corpus.sh synthesises (data/speech/eval_en.txt: sentences the language model
# never saw; two voices, two speeds) and on its digits (the verification grammar). When
# ../shared/datasets is there, also the human English clips of speech_samples (WER reported, not
# a target). Writes bench/results/asr.md.
# Usage: bench/asr_eval.sh [build-dir]
set -euo pipefail
BUILD_DIR=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
KEFU="$ROOT/$BUILD_DIR/kefu"
DATASETS=${KEFU_DATASETS:-$ROOT/../shared/datasets}
OUT=${ASR_REPORT:-$ROOT/bench/results/asr.md}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

"$ROOT/scripts/gen-asr-corpus.sh" "$TMP/corpus" >&2
SUMMARY="$TMP/summary.tsv"
: >"$SUMMARY"
measure() {  # name dir lm
  echo "== $1 ($3)" >&2
  local json
  json=$("$KEFU" eval asr --data "$2" --lm "$3" --log-level warn | tail -1)
  echo -e "$1\t$3\t$json" >>"$SUMMARY"
}
for lm in domain domain-only general; do
  measure "synthesised customer-service sentences + digits" "$TMP/corpus" "$lm"
done

# The same sentences in espeak-ng's default voices (en-us, en-us+m3), which sound much less like
# the recordings the acoustic model was trained on: how much of the error is the synthesiser.
VOICES="en-us en-us+m3" "$ROOT/scripts/gen-asr-corpus.sh" "$TMP/default-voices" >&2
measure "the same, espeak-ng's default voices (en-us, en-us+m3)" "$TMP/default-voices" domain

SAMPLES="$DATASETS/speech_samples"
if [[ -f "$SAMPLES/transcripts.tsv" ]]; then
  mkdir -p "$TMP/human"
  # The 16 kHz WAV clips in English with their references (the FLAC and raw files are skipped).
  awk -F'\t' 'NR > 1 && $2 == "en" && $1 ~ /\.wav$/ {print $1 "\t" $3}' "$SAMPLES/transcripts.tsv" |
    while IFS=$'\t' read -r path text; do
      name=$(basename "$path" .wav)
      ln -s "$SAMPLES/$path" "$TMP/human/$name.wav"
      echo "$text" >"$TMP/human/$name.txt"
    done
  for lm in domain domain-only general; do
    measure "speech_samples en (human speech)" "$TMP/human" "$lm"
  done
fi

python3 - "$SUMMARY" "$OUT" "$TMP/corpus" <<'PY'
import datetime, json, os, subprocess, sys
summary, out, corpus = sys.argv[1:]
rows = [l.rstrip("\n").split("\t") for l in open(summary, encoding="utf-8")]
cpu = subprocess.run(["sh", "-c", "lscpu | sed -n 's/^Model name: *//p'"], capture_output=True, text=True).stdout.strip()
n_wav = len([f for f in os.listdir(corpus) if f.endswith(".wav")])
n_dig = len([f for f in os.listdir(os.path.join(corpus, "digits")) if f.endswith(".wav")]) if os.path.isdir(os.path.join(corpus, "digits")) else 0
with open(out, "w", encoding="utf-8") as f:
    f.write("# Speech recognition: domain language model vs Debian's general model\n\n")
    f.write(f"Run {datetime.datetime.now():%Y-%m-%d %H:%M} by `bench/asr_eval.sh` on {cpu}, one decoder (one core).\n")
    f.write(f"Synthesised corpus: {n_wav} sentence files and {n_dig} digit files from scripts/gen-asr-corpus.sh "
            "(data/speech/eval_en.txt, never in the language model's text).\n\n")
    f.write("| data | language model | WER | digits WER (grammar) | real-time factor | files | audio s |\n|---|---|---:|---:|---:|---:|---:|\n")
    for name, lm, js in rows:
        j = json.loads(js)
        digits = "–" if "speech_samples" in name else f"{j['digits_wer']*100:.1f}%"
        f.write(f"| {name} | {lm} | {j['wer']*100:.1f}% | {digits} | {j['rtf']:.3f} | {j['files']} | {j['audio_seconds']:.0f} |\n")
    f.write("\n`domain` is what kefu serves: its own model interpolated with a tenth of Debian's general model, "
            "the search over the domain words and the general model's 10,000 most frequent; `domain-only` is kefu's model alone. "
            "The corpus uses espeak-ng's Klatt voices (en-us+klatt2, en-us+benjamin; see scripts/gen-asr-corpus.sh).\n")
    f.write("\nTargets: WER at most 15% with the domain model, digits at most 2%, real-time factor at most 0.2.\n")
print(open(out, encoding="utf-8").read())
PY

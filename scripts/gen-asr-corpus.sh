#!/usr/bin/env bash
# Generates the English speech-recognition test corpus: every sentence of
# data/speech/eval_en.txt and every digit string of data/speech/digits_en.txt spoken by espeak-ng
# in two voices at two speeds, as DIR/<id>-<voice>-<speed>.wav with the reference text next to
# it in .txt. Digit strings go to DIR/digits/. `kefu eval asr DIR` scores it (the digits with
# the digits grammar).
#
# Usage: scripts/gen-asr-corpus.sh [DIR]        (default build/asr-corpus)
#        VOICES="en-us+klatt2 en-us+benjamin" SPEEDS="150 185" scripts/gen-asr-corpus.sh DIR
#
# The voices: en-us+klatt2 and en-us+benjamin, US English through espeak-ng's Klatt formant
# synthesiser (klatt2: the Klatt source in mode 2; benjamin: mode 6 with raised F1/F2 and
# softer consonants, so two different timbres). pocketsphinx's US model was trained on
# recordings of people, and espeak-ng's default synthesiser sounds far less like them: with the
# same domain model and decoder settings, plain en-us scored 49% WER, its m1-m7 and f1-f5
# variants 38-74%, en-gb 66% (British vowels, which the US model and dictionary do not cover),
# and every Klatt voice (klatt, klatt2-6, adam, benjamin, edward) 14-16%. A test that mostly
# measured how unlike a person espeak-ng's default voice sounds would say nothing about kefu's
# language model, so the corpus uses voices the model can hear. 150 and 185 words a minute: a
# careful and a brisk speaker (espeak-ng's default is 175).
#
# espeak-ng writes 22,050 Hz WAVs; they stay that way (there is no sox here), and kefu's
# DecodeWav resamples them to 16 kHz. The output depends only on the input files and the
# espeak-ng version, so running it twice gives the same files.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-build/asr-corpus}
VOICES=${VOICES:-"en-us+klatt2 en-us+benjamin"}
SPEEDS=${SPEEDS:-"150 185"}
SENTENCES=data/speech/eval_en.txt
DIGITS=data/speech/digits_en.txt

command -v espeak-ng > /dev/null || { echo "gen-asr-corpus: espeak-ng is not installed" >&2; exit 1; }
mkdir -p "$OUT/digits"
# Old corpus files would be scored too: remove them (only this script's own names, so that
# pointing it at a directory holding other files costs nothing).
find "$OUT" -maxdepth 1 -regextype posix-extended -regex '.*/s[0-9]{3}-[^/]*\.(wav|txt)' -delete
find "$OUT/digits" -maxdepth 1 -regextype posix-extended -regex '.*/d[0-9]{3}-[^/]*\.(wav|txt)' \
  -delete

# speak FILE PREFIX DIR: one WAV + reference per line, voice and speed.
speak() {
  local file=$1 prefix=$2 dir=$3 n=0 count
  count=$(grep -c . "$file")
  while IFS= read -r line || [[ -n $line ]]; do
    [[ -z ${line// } ]] && continue
    n=$((n + 1))
    local id
    id=$(printf '%s%03d' "$prefix" "$n")
    for voice in $VOICES; do
      for speed in $SPEEDS; do
        local name="$dir/$id-${voice//+/_}-$speed"
        espeak-ng -v "$voice" -s "$speed" -w "$name.wav" -- "$line"
        printf '%s\n' "$line" > "$name.txt"
      done
    done
    if (( n % 20 == 0 || n == count )); then
      echo "  $file: $n/$count"
    fi
  done < "$file"
}

echo "gen-asr-corpus: $OUT (voices: $VOICES; speeds: $SPEEDS wpm)"
speak "$SENTENCES" s "$OUT"
speak "$DIGITS" d "$OUT/digits"
echo "gen-asr-corpus: $(find "$OUT" -maxdepth 1 -name '*.wav' | wc -l) sentence files," \
  "$(find "$OUT/digits" -name '*.wav' | wc -l) digit files"

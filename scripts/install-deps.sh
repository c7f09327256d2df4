#!/usr/bin/env bash
# Installs every Debian package kefu needs to build, run and test. Idempotent: when nothing is
# missing it only runs dpkg-query and exits in well under a second.
# Usage: scripts/install-deps.sh [fuzz]   (fuzz: also Clang with libFuzzer, for scripts/fuzz.sh)
# Never add libboost-dev: it is the 1.74 metapackage and conflicts with libboost1.81-dev.
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config git python3
  # libraries
  libboost1.81-dev nlohmann-json3-dev libsqlite3-dev sqlite3
  libspdlog-dev libfmt-dev libcli11-dev libtomlplusplus-dev libjemalloc-dev
  libcpp-httplib-dev libssl-dev zlib1g-dev libbrotli-dev libzstd-dev
  libicu-dev libopencc-dev opencc libfriso-dev friso-dict libfasttext-dev fasttext libhnswlib-dev
  libyaml-cpp-dev
  # pinyin readings of Han characters (text/pinyin.h reads the table from its Go source)
  golang-github-mozillazg-go-pinyin-dev
  # voice: pocketsphinx (en-US acoustic model) for recognition, espeak-ng for synthesis
  libpocketsphinx-dev libsphinxbase-dev pocketsphinx-en-us libespeak-ng-dev espeak-ng
  # tests and benchmarks
  libgtest-dev libgmock-dev googletest libbenchmark-dev wrk curl
  # browser tests: Debian's Chromium driven by playwright-core (npm), CJK fonts for screenshots
  chromium fonts-wqy-zenhei nodejs
)
if [[ "${1:-}" == fuzz ]]; then
  # libFuzzer ships with Clang's runtime libraries; llvm-symbolizer names the frames of a report
  PACKAGES+=(clang libclang-rt-14-dev llvm)
fi

missing=()
for pkg in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  if [[ "$status" != "install ok installed" ]]; then
    missing+=("$pkg")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

echo "install-deps: installing ${#missing[@]} package(s): ${missing[*]}"
SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"

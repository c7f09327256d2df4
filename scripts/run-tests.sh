#!/usr/bin/env bash
# Runs the whole test suite: unit tests (fast), integration tests (real HTTP server, real
# binary, SQLite), then browser tests (the chat page in Debian's Chromium).
# Usage: scripts/run-tests.sh [build-dir]
set -euo pipefail
BUILD_DIR=${1:-build}
cd "$(dirname "$0")/.."
start=$(date +%s)

if [[ ! -d tests/browser/node_modules/playwright-core ]]; then
  echo "== installing playwright-core for the browser tests (npm ci)"
  npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error
fi

echo "== unit tests"
ctest --test-dir "$BUILD_DIR" -L unit --output-on-failure -j "$(nproc)" --timeout 120
echo "== integration tests"
ctest --test-dir "$BUILD_DIR" -L integration --output-on-failure -j "$(nproc)" --timeout 300
echo "== browser tests"
ctest --test-dir "$BUILD_DIR" -L browser --output-on-failure --timeout 300 --no-tests=error
echo "== all tests passed in $(( $(date +%s) - start )) s"

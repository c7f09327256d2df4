#!/usr/bin/env bash
# Runs the whole test suite: unit tests first (fast), then integration tests.
# Usage: scripts/run-tests.sh [build-dir]
set -euo pipefail
BUILD_DIR=${1:-build}
cd "$(dirname "$0")/.."
start=$(date +%s)
echo "== unit tests"
ctest --test-dir "$BUILD_DIR" -L unit --output-on-failure -j "$(nproc)" --timeout 120
echo "== integration tests"
ctest --test-dir "$BUILD_DIR" -L integration --output-on-failure -j "$(nproc)" --timeout 300
echo "== all tests passed in $(( $(date +%s) - start )) s"

#!/usr/bin/env bash
# Regenerates docs/screenshots/ (the widget, the agent console and the dashboard in zh and en)
# with Debian's Chromium against the built binary. Usage: scripts/screenshots.sh [build-dir]
set -euo pipefail
BUILD_DIR=${1:-build}
cd "$(dirname "$0")/.."
if [[ ! -d tests/browser/node_modules/playwright-core ]]; then
  npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error
fi
node tests/browser/screenshots.mjs "$BUILD_DIR/kefu" data docs/screenshots

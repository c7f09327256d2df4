#!/usr/bin/env bash
# Builds web/ (the chat widget, the agent console, the dashboard) into OUT with the packages
# pinned in web/package-lock.json. Called by CMake; `npm ci` runs only when node_modules is
# missing or older than the lock file.
# Usage: scripts/build-web.sh OUT
set -euo pipefail
OUT=${1:?usage: scripts/build-web.sh OUT}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT/web"
if ! command -v npm >/dev/null; then
  echo "build-web: npm is missing; run scripts/install-deps.sh" >&2
  exit 1
fi
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "build-web: installing the web packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi
rm -rf "$OUT"
mkdir -p "$OUT"
KEFU_WEB_OUT="$OUT" npm run --silent build

#!/usr/bin/env bash
# The turn path under AddressSanitizer (with LeakSanitizer) and UndefinedBehaviorSanitizer: the
# store, tools, dialogue, engine, scenario and HTTP server tests, then every dialogue scenario in
# tests/dialogs, all built in their own directory with -fsanitize=address,undefined (the intent
# model there is trained by the sanitized binary too). Any report fails the run. Slow: about an
# hour on two cores from a cold ccache, so not part of `make test`.
# Usage: scripts/sanitize.sh [build-dir]   (default build-san)
set -euo pipefail
BUILD_DIR=${1:-build-san}
cd "$(dirname "$0")/.."
start=$(date +%s)
TESTS=(store_test tools_test dialog_test engine_test scenario_test server_integration_test)

cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DKEFU_SANITIZE="address;undefined"
cmake --build "$BUILD_DIR" -j "$(nproc)" --target kefu "${TESTS[@]}"

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=23
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=24
failed=0
for t in "${TESTS[@]}"; do
  echo "== $t"
  if ! (cd "$BUILD_DIR/tests" && "./$t" --gtest_brief=1); then
    echo "sanitize: $t failed" >&2
    failed=1
  fi
done
echo "== dialogue scenarios"
if ! "$BUILD_DIR/kefu" test-dialogs tests/dialogs --data-dir data \
  --intent-model "$BUILD_DIR/models/intent.bin"; then
  echo "sanitize: dialogue scenarios failed" >&2
  failed=1
fi
if ((failed)); then
  echo "== sanitize: FAILED after $(($(date +%s) - start)) s" >&2
  exit 1
fi
echo "== sanitize: no reports, all passed in $(($(date +%s) - start)) s"

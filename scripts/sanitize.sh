#!/usr/bin/env bash
# The unit and integration tests once more, built with clang under AddressSanitizer and
# UndefinedBehaviorSanitizer (any report fails the test), then every libFuzzer target for a
# bounded time from its corpus in tests/fuzz/corpus. Run by scripts/test.sh after the main suite.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/compiler-cache.sh
. scripts/compiler-cache.sh
CC=clang CXX=clang++ cmake -S . -B build-asan -G Ninja "${cmake_launcher[@]}" -DCMAKE_BUILD_TYPE=None -DCMAKE_CXX_FLAGS="-O1 -gline-tables-only" \
  -DCHRONICLE_SANITIZE=ON -DCHRONICLE_FUZZ=ON -DCHRONICLE_FUZZ_SCALE="${CHRONICLE_FUZZ_SCALE:-1}" > /dev/null
# scripts/lint.sh needs only clang's compile commands. --build-only and --test-only split the rest
# (scripts/test.sh times them apart); other arguments go to ctest.
step=all
case "${1:-}" in
  --configure-only) exit 0 ;;
  --build-only) step="build"; shift ;;
  --test-only) step="test"; shift ;;
esac
if [ "$step" != test ]; then
  cmake --build build-asan -j "$(nproc)"
fi
if [ "$step" = build ]; then exit 0; fi
cd build-asan
# The dashboard's own tests (npm) and the offline checks of the deployment files are not C++: the
# main run has them.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export CHRONICLE_WEB_ROOT="$PWD/../web/dist"
ctest --output-on-failure --timeout 900 -j "$(nproc)" -L 'unit|integration|fuzz' -E 'web_components|_offline$' "$@"

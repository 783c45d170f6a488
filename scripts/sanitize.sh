#!/usr/bin/env bash
# The unit and integration tests once more, built with clang under AddressSanitizer and
# UndefinedBehaviorSanitizer (any report fails the test), then every libFuzzer target for a
# bounded time from its corpus in tests/fuzz/corpus. Run by scripts/test.sh after the main suite.
set -euo pipefail
cd "$(dirname "$0")/.."
CC=clang CXX=clang++ cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=None -DCMAKE_CXX_FLAGS="-O1 -gline-tables-only" \
  -DCHRONICLE_SANITIZE=ON -DCHRONICLE_FUZZ=ON -DCHRONICLE_FUZZ_SECONDS="${CHRONICLE_FUZZ_SECONDS:-60}" > /dev/null
# scripts/lint.sh needs only clang's compile commands.
if [ "${1:-}" = "--configure-only" ]; then exit 0; fi
cmake --build build-asan -j "$(nproc)"
cd build-asan
# The dashboard's own tests (npm) are not C++: the main run has them.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export CHRONICLE_WEB_ROOT="$PWD/../web/dist"
ctest --output-on-failure --timeout 900 -L 'unit|integration|fuzz' -E 'web_components|deploy_offline' "$@"

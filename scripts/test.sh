#!/usr/bin/env bash
# Installs, checks the C++ formatting and clang-tidy's checks, builds and runs the whole test suite
# (unit, integration, e2e, browser) under CTest, then the unit and integration tests under
# ASan/UBSan and the fuzz targets; prints the time of each phase at the end (also when one fails).
# Tests run side by side: CHRONICLE_TEST_JOBS at once (default three per core, since most e2e
# tests wait on live streams in real time); arguments go to the main ctest run.
# Screenshots of the dashboard are written to build/artifacts/screenshots.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS
phases=()
report() {
  local status=$?
  echo
  echo "test.sh: time per phase"
  printf '  %s\n' "${phases[@]}"
  printf '  %-34s %5d s  (exit %d)\n' "total" $((SECONDS - started)) "$status"
}
trap report EXIT
phase() {
  local name=$1 start=$SECONDS
  shift
  "$@"
  phases+=("$(printf '%-34s %5d s' "$name" $((SECONDS - start)))")
}
test_tools() {
  (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
  (cd tests/deploy && npm ci --no-audit --no-fund --loglevel=error)
}
main_tests() {
  (cd build && ctest --output-on-failure --timeout 900 -j "${CHRONICLE_TEST_JOBS:-$(($(nproc) * 3))}" "$@")
}

phase "install (apt, moto)" ./scripts/install-deps.sh
phase "format (clang-format)" ./scripts/check-format.sh
phase "lint (clang-tidy)" ./scripts/lint.sh
phase "build (gcc, dashboard)" ./scripts/build.sh
phase "test tools (npm)" test_tools
phase "tests" main_tests "$@"
# Again under ASan/UBSan, and the fuzzers.
phase "ASan/UBSan build (clang)" ./scripts/sanitize.sh --build-only
phase "ASan/UBSan tests, fuzzers" ./scripts/sanitize.sh --test-only

#!/usr/bin/env bash
# Installs, checks the C++ formatting and clang-tidy's checks, builds and runs the whole test suite (unit, integration,
# e2e, browser) under CTest, then the unit and integration tests under AddressSanitizer/UBSan and
# the fuzz targets.
# Screenshots of the dashboard are written to build/artifacts/screenshots.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/check-format.sh
./scripts/lint.sh
./scripts/build.sh
(cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
(cd tests/deploy && npm ci --no-audit --no-fund --loglevel=error)
(cd build && ctest --output-on-failure --timeout 900 "$@")
# Again under ASan/UBSan, and the fuzzers.
./scripts/sanitize.sh

#!/usr/bin/env bash
# Configures and builds chronicle into ./build (RelWithDebInfo, warnings as errors), and the
# dashboard. `--server-only` builds only the `chronicle` executable (what scripts/run.sh needs);
# without it, everything: the tests and benchmarks too (scripts/test.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
targets=()
if [ "${1:-}" = "--server-only" ]; then
  targets=(--target chronicle)
fi
# shellcheck source=scripts/compiler-cache.sh
. scripts/compiler-cache.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "${cmake_launcher[@]}"
cmake --build build -j "$(nproc)" "${targets[@]}"
# The dashboard: static files that `chronicle serve` hands out (found at build/../web/dist).
(cd web && npm ci --no-audit --no-fund --loglevel=error && npm run build)

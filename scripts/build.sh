#!/usr/bin/env bash
# Configures and builds chronicle into ./build (RelWithDebInfo, warnings as errors).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j "$(nproc)"
# The dashboard: static files that `chronicle serve` hands out (found at build/../web/dist).
(cd web && npm ci --no-audit --no-fund --loglevel=error && npm run build)

#!/usr/bin/env bash
# Installs, builds and runs the whole test suite (unit, integration, e2e) under CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh
cd build
ctest --output-on-failure --timeout 900 "$@"

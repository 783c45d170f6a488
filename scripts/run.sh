#!/usr/bin/env bash
# Installs, builds and starts chronicle on its embedded default (http://127.0.0.1:8080).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh --server-only
exec ./build/chronicle serve "$@"

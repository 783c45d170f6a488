#!/usr/bin/env bash
# Fails when a C++ source of the project is not formatted as .clang-format says;
# `clang-format -i FILE` fixes one.
set -euo pipefail
cd "$(dirname "$0")/.."
git ls-files -z '*.cpp' '*.hpp' | xargs -0 clang-format --dry-run --Werror
echo "formatting: $(git ls-files '*.cpp' '*.hpp' | wc -l) C++ files as .clang-format says"

#!/usr/bin/env bash
# Fails when a source file in src/ does not pass the checks in .clang-tidy. clang-tidy reads the
# compile commands of the clang build (build-asan, configured by scripts/sanitize.sh): with GCC's,
# clang does not see Boost.Asio's coroutine support. A file whose translation unit has not changed
# since it last passed is not checked again (scripts/tidy_cached.py).
set -euo pipefail
cd "$(dirname "$0")/.."
build="build-asan"
./scripts/sanitize.sh --configure-only
mapfile -t files < <(git ls-files 'src/*.cpp')
./scripts/tidy_cached.py "$build" "${files[@]}" > "$build/clang-tidy.log" || {
  sort -u "$build/clang-tidy.log" | head -100
  echo "lint: clang-tidy found problems (all of them in $build/clang-tidy.log)" >&2
  exit 1
}
echo "lint: ${#files[@]} files pass .clang-tidy"

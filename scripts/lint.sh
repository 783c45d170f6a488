#!/usr/bin/env bash
# Fails when a source file in src/ does not pass the checks in .clang-tidy. Uses the compile
# commands of a configured build directory (default: build, as scripts/build.sh makes it).
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
if [ ! -f "$build/compile_commands.json" ]; then
  echo "lint: no $build/compile_commands.json; configure first (scripts/build.sh)" >&2
  exit 2
fi
mapfile -t files < <(git ls-files 'src/*.cpp')
# GCC's own warning flags mean nothing to clang-tidy; the checks are in .clang-tidy.
run-clang-tidy -quiet -p "$build" -j "$(nproc)" -extra-arg=-Wno-unknown-warning-option "${files[@]}" \
  > "$build/clang-tidy.log" 2>&1 || {
  grep -E "(warning|error):" "$build/clang-tidy.log" | sort -u | head -100
  echo "lint: clang-tidy found problems (all of them in $build/clang-tidy.log)" >&2
  exit 1
}
echo "lint: ${#files[@]} files pass .clang-tidy"

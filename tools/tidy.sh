#!/usr/bin/env bash
# The .clang-tidy checks (designated initialisers for aggregates) over every source under src/.
# Run by `make test`; skipped, with a message, without clang-tidy >= 19.
# Usage: tools/tidy.sh BUILD_DIR (its compile_commands.json gives the flags).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
tidy=$(command -v clang-tidy-19 || command -v clang-tidy-20 || command -v clang-tidy-21 || command -v clang-tidy-22 || true)
if [ -z "$tidy" ]; then
  echo "tidy: no clang-tidy >= 19 (tools/setup.sh installs clang-tidy-19): skipped"
  exit 0
fi
files=(src/*/*.cpp src/*/*/*.cpp)
echo "tidy: $(basename "$tidy") on ${#files[@]} files"
printf '%s\n' "${files[@]}" | xargs -P "$(nproc)" -n 4 "$tidy" -p "$build" --quiet 2> /dev/null

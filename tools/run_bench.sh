#!/usr/bin/env bash
# Runs every benchmark program in the build tree and prints the speed ratios the issues ask for,
# each against a reference measured in the same run. Usage: tools/run_bench.sh [BUILD_DIR]
set -euo pipefail
build=${1:-build}
out=$(mktemp -d)
for b in "$build"/bench/bench_*; do
  [ -x "$b" ] || continue
  name=$(basename "$b")
  echo "== $name"
  "$b" --benchmark_min_time=0.5 --benchmark_format=console --benchmark_out="$out/$name.json" \
       --benchmark_out_format=json
done
/usr/bin/python3 "$(dirname "$0")/bench_ratios.py" "$out"/*.json

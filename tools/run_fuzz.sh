#!/usr/bin/env bash
# tools/run_fuzz.sh BUILD SECONDS TARGET...: runs each libFuzzer target (built by `make fuzz`) for
# SECONDS (or until FUZZ_RUNS executions, when set) on a corpus seeded from the repository, one
# after the other, and prints the executions per target. Exits non-zero when a target finds a crash, a hang (> 10 s per input), a sanitizer
# report or a leak; the input is kept in BUILD/crashes/TARGET/.
set -uo pipefail
build=$1 seconds=$2
shift 2
root=$(cd "$(dirname "$0")/.." && pwd)

# Seeds: the kept regressions plus real files of each kind.
seed() {  # seed TARGET: fills BUILD/corpus/TARGET
  local dir=$build/corpus/$1
  mkdir -p "$dir"
  cp -n "$root"/fuzz/regressions/"$1"/* "$dir"/ 2>/dev/null
  case $1 in
    onnx_import)
      for f in /usr/share/libonnx-testdata/data/node/*/model.onnx; do
        [ -f "$f" ] && cp -n "$f" "$dir/$(basename "$(dirname "$f")").onnx"
      done ;;
    npy) for f in "$root"/models/*/*.npy; do cp -n "$f" "$dir/$(basename "$(dirname "$f")")-$(basename "$f")"; done ;;
    config) for f in "$root"/configs/*/*.yaml; do cp -n "$f" "$dir/$(basename "$(dirname "$f")")-$(basename "$f")"; done ;;
    *) ;;
  esac
}

# Longest input per target: real configuration files and expressions are a few kB, and yaml-cpp's
# cost grows with the input, so those two are capped lower to spend the executions on plausible files.
max_len() {
  case $1 in
    config) echo 8192 ;;
    expression) echo 4096 ;;
    *) echo 65536 ;;
  esac
}

status=0
for target in "$@"; do
  seed "$target"
  mkdir -p "$build/crashes/$target"
  log=$build/fuzz-$target.log
  nice "$build/fuzz/fuzz_$target" -max_total_time="$seconds" -runs="${FUZZ_RUNS:--1}" -timeout=10 -rss_limit_mb=2048 -max_len="$(max_len "$target")" \
    -print_final_stats=1 -artifact_prefix="$build/crashes/$target/" "$build/corpus/$target" >"$log" 2>&1
  rc=$?
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
  echo "fuzz $target: ${runs:-?} executions in ${seconds} s, exit $rc (log $log)"
  [ "$rc" -eq 0 ] || { status=1; tail -30 "$log"; }
done
exit $status

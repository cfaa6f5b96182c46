#!/usr/bin/env bash
# A real sweep killed with SIGKILL at growing delays and restarted with the same command until it
# finishes: every point exactly once, with the results of an uninterrupted run.
set -uo pipefail
raceit=$1
here=$(dirname "$0")
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

spec=$dir/spec.yaml
cat > "$spec" <<YAML
model: bert-base
axes:
  crossbar.rows: [64, 128, 256]
  tile.race_units: [1, 2, 4]
  seq: [64, 128, 256]
YAML
count_done() {
  python3 -c "import sqlite3,sys; print(sqlite3.connect('file:'+sys.argv[1]+'?mode=ro',uri=True).execute(\"SELECT count(*) FROM points WHERE status!='pending'\").fetchone()[0])" "$1" 2>/dev/null || echo 0
}

start=$(date +%s.%N)
"$raceit" sweep "$spec" --store "$dir/reference.db" --quiet --threads 1 || fail "uninterrupted sweep"
whole=$(python3 -c "import sys; print(float(sys.argv[2]) - float(sys.argv[1]))" "$start" "$(date +%s.%N)")
echo "uninterrupted sweep: 27 points in ${whole}s"

mid=0
for fraction in 0.15 0.3 0.45 0.6 0.75 0.9 1.2 1.6 2 3 5; do
  delay=$(python3 -c "import sys; print(float(sys.argv[1]) * float(sys.argv[2]))" "$whole" "$fraction")
  "$raceit" sweep "$spec" --store "$dir/killed.db" --quiet --threads 1 > "$dir/out.txt" 2>&1 &
  pid=$!
  sleep "$delay"
  killed=0
  kill -KILL "$pid" 2>/dev/null && killed=1
  wait "$pid" 2>/dev/null
  done=$(count_done "$dir/killed.db")
  echo "after $delay s: $done of 27 points stored$([ $killed = 1 ] && echo ' (killed)')"
  if [ $killed = 1 ] && [ "$done" -gt 0 ] && [ "$done" -lt 27 ]; then mid=$((mid + 1)); fi
  [ "$done" = 27 ] && break
done
[ $mid -gt 0 ] || fail "no kill landed in the middle of the sweep"
# The same command once more: nothing left to run.
"$raceit" sweep "$spec" --store "$dir/killed.db" --quiet > "$dir/out.txt" || fail "resume: $(cat "$dir/out.txt")"
grep -q "27 already in the store, 0 run now" "$dir/out.txt" || fail "resume ran points again: $(cat "$dir/out.txt")"
python3 "$here/compare_stores.py" "$dir/reference.db" "$dir/killed.db" || fail "killed and resumed store differs"

# A changed spec on the store is refused with a clear message, exit 2; a comment changes nothing.
sed -i 's/256\]$/512]/' "$spec"
"$raceit" sweep "$spec" --store "$dir/killed.db" > "$dir/out.txt" 2>&1
rc=$?
[ $rc = 2 ] || fail "changed spec: exit $rc"
grep -q "holds another sweep" "$dir/out.txt" || fail "changed spec: $(cat "$dir/out.txt")"
echo "killed $mid time(s) mid-sweep; resumed with every point once"

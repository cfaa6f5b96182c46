#!/usr/bin/env bash
# The same sweep under mpirun -n 2 (rank 0 writes, rank 1 computes) and in one process: the same
# store contents. Skipped (77) without mpirun or in a build without MPI.
set -uo pipefail
raceit=$1
built_with_mpi=$2
here=$(dirname "$0")
command -v mpirun > /dev/null || { echo "SKIP: mpirun is not installed (tools/setup.sh installs openmpi-bin)"; exit 77; }
case "$built_with_mpi" in 1|ON|TRUE|YES|true) ;; *) echo "SKIP: raceit was built without MPI"; exit 77 ;; esac
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
# CI runs as root; containers have no shared-memory single-copy support.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl_vader_single_copy_mechanism=none
export OMPI_MCA_rmaps_base_oversubscribe=1
# Under LeakSanitizer (make test-asan) Open MPI's runtime leaks at MPI_Finalize, mostly from components
# it has dlclose()d (unnamed frames no suppression can match): leak checks stay on for the
# one-process sweep above and every other test, and are off only for the mpirun ranks.
mpi_asan_options=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0

# Cost and accuracy under frozen noise: the noise draws depend on the seeds, not on the process.
cat > "$dir/spec.yaml" <<YAML
model: vit-digits
std_scale: 2
accuracy: {limit: 20, calibration: 8, seeds: 2}
axes:
  crossbar.rows: [64, 128]
YAML
"$raceit" sweep "$dir/spec.yaml" --store "$dir/one.db" --quiet || fail "one-process sweep"
timeout 240 mpirun -n 2 --oversubscribe -x ASAN_OPTIONS="$mpi_asan_options" "$raceit" sweep "$dir/spec.yaml" --store "$dir/mpi.db" > "$dir/out.txt" 2>&1 ||
  fail "mpirun: $(cat "$dir/out.txt")"
cat "$dir/out.txt"
grep -q "on 2 MPI ranks" "$dir/out.txt" || fail "the sweep did not run on 2 ranks"
python3 "$here/compare_stores.py" "$dir/one.db" "$dir/mpi.db" || fail "MPI store differs from the one-process store"
ranks=$(python3 -c "import sqlite3,sys; print(sorted({r for (r,) in sqlite3.connect(sys.argv[1]).execute('SELECT rank FROM points')}))" "$dir/mpi.db")
[ "$ranks" = "[1]" ] || fail "points computed on ranks $ranks, expected [1]"
# Resumed under MPI: nothing runs twice.
timeout 240 mpirun -n 2 --oversubscribe -x ASAN_OPTIONS="$mpi_asan_options" "$raceit" sweep "$dir/spec.yaml" --store "$dir/mpi.db" --quiet > "$dir/out.txt" 2>&1 ||
  fail "mpirun resume: $(cat "$dir/out.txt")"
grep -q "2 already in the store, 0 run now" "$dir/out.txt" || fail "resume: $(cat "$dir/out.txt")"
echo "mpirun -n 2: same store as one process"

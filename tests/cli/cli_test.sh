#!/usr/bin/env bash
# Runs the raceit binary ($1) as a user would and checks exit codes, messages and JSON output.
# Prints "N passed, M failed" and exits non-zero on any failure.
set -u
RACEIT=$1
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
passed=0
failed=0

check() {  # check NAME EXPECTED_RC PATTERN -- COMMAND...
  local name=$1 rc_expected=$2 pattern=$3
  shift 4
  "$@" >"$TMP/out" 2>"$TMP/err"
  local rc=$?
  if [ "$rc" -ne "$rc_expected" ]; then
    echo "FAIL $name: exit $rc, expected $rc_expected"; sed 's/^/  | /' "$TMP/err" | head -5
    failed=$((failed + 1)); return
  fi
  if [ -n "$pattern" ] && ! grep -qE -- "$pattern" "$TMP/out" "$TMP/err"; then
    echo "FAIL $name: output lacks /$pattern/"; head -5 "$TMP/out" "$TMP/err" | sed 's/^/  | /'
    failed=$((failed + 1)); return
  fi
  passed=$((passed + 1))
}

printf '\x93NUMPY\x01\x00' >"$TMP/truncated.npy"
echo "not yaml: [" >"$TMP/bad.yaml"
printf 'conductance:\n  g_max: 150uS\n  g_maks: 1uS\n' >"$TMP/unknown.yaml"

check help 0 "Compute-ACAM" -- "$RACEIT" --help
check no-command 2 "subcommand is required" -- "$RACEIT"
check params 0 "conductance.g_max +S +150uS" -- "$RACEIT" params
check xbar-ideal-exact 0 '"exact_vs_integer": true' -- \
  "$RACEIT" xbar --in 100 --out 40 --batch 4 --mode ideal --readout adc:16 --full-scale 1 --json
check xbar-json-keys 0 '"snr_db"' -- "$RACEIT" xbar --in 64 --out 16 --batch 2 --json
check xbar-events 0 '"adc_conversions": ' -- "$RACEIT" xbar --in 64 --out 16 --batch 2 --json
check xbar-acam-ideal-exact 0 '"exact_vs_integer": true' -- \
  "$RACEIT" xbar --in 100 --out 40 --batch 4 --rows 8 --w-bits 5 --mode ideal --readout acam:12 --full-scale 1 --json
check xbar-fused-gelu 0 "readout acam:8 fused gelu" -- \
  "$RACEIT" xbar --in 64 --out 16 --batch 4 --readout acam --inputs multi-level --encoding single --sign differential --fuse gelu
check xbar-fused-illegal 2 "needs one Compute-ACAM conversion per output" -- "$RACEIT" xbar --in 300 --readout acam --fuse gelu
check xbar-truncated-npy 2 "truncated.npy" -- "$RACEIT" xbar --weights "$TMP/truncated.npy"
check xbar-bad-encoding 2 "unknown weight encoding 'ternary'" -- "$RACEIT" xbar --encoding ternary
check xbar-bad-readout 2 "adc:BITS" -- "$RACEIT" xbar --readout adc
check xbar-bad-device 2 "bad.yaml:[0-9]+: malformed YAML" -- "$RACEIT" xbar --device "$TMP/bad.yaml"
check xbar-unknown-key 2 "unknown.yaml:3: unknown key 'conductance.g_maks'" -- "$RACEIT" xbar --device "$TMP/unknown.yaml"

echo "cli: $passed passed, $failed failed"
[ "$failed" -eq 0 ]

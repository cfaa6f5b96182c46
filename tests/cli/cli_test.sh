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
printf 'include: %s/configs/arch/isaac.yaml\ncomponents:\n  adc:\n    energy: 2pV\n' "$PWD" >"$TMP/badunit.yaml"

check help 0 "Compute-ACAM" -- "$RACEIT" --help
check no-command 2 "subcommand is required" -- "$RACEIT"
check params 0 "conductance.g_max +S +150uS" -- "$RACEIT" params
# Columns line up in characters, not bytes: a range with "…" starts its description where the header's does.
check params-aligned 0 "" -- python3 -c '
import subprocess, sys
lines = subprocess.run([sys.argv[1], "params"], capture_output=True, text=True, check=True).stdout.splitlines()
header = [l for l in lines if l.startswith("key ")][-1]
row = next(l for l in lines if l.startswith("mapping.weight_bits "))
assert "…" in row and row.index("bits of signed") == header.index("description"), (header, row)
' "$RACEIT"
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

check params-arch 0 "components.adc.energy +J +\(required\)" -- "$RACEIT" params
check arch-list 0 "^retransformer +ReTransformer" -- "$RACEIT" arch list
check arch-show 0 "acam_readout +search" -- "$RACEIT" arch show raceit
check arch-show-json 0 '"peak_power_w": ' -- "$RACEIT" arch show isaac --json
check arch-show-gpu 0 '"peak_fp16_flops": 989400000000000' -- "$RACEIT" arch show h100 --json
check arch-set 0 "chip +128 tiles" -- "$RACEIT" arch show raceit --set chip.tiles=128
check arch-set-unknown 2 "--set: unknown key 'chip.tilez'" -- "$RACEIT" arch show raceit --set chip.tilez=1
check arch-unknown 2 "unknown architecture 'tpu'" -- "$RACEIT" arch show tpu

check info-bert-base 0 '"parameters": 109482240' -- "$RACEIT" info bert-base --json
check info-vit-digits 0 "weight matmul +10" -- "$RACEIT" info vit-digits
check info-graph 0 "= Gelu\(" -- "$RACEIT" info vit-digits --graph
check infer-vit-digits 0 "wrote logits float32\[8, 10\]" -- \
  "$RACEIT" infer --model vit-digits --input models/vit-digits/golden_input.npy --output "$TMP/logits.npy"
check infer-malformed-npy 2 "metrics.json: not a valid .npy file" -- \
  "$RACEIT" infer --model vit-digits --input models/vit-digits/metrics.json --output "$TMP/bad.npy"
check infer-truncated-npy 2 "truncated.npy" -- "$RACEIT" infer --model vit-digits --input "$TMP/truncated.npy" --output "$TMP/bad.npy"
check infer-wrong-shape 2 "expects float32\[\?, 1, 8, 8\]" -- \
  "$RACEIT" infer --model vit-digits --input models/spam-transformer/golden_input.npy --output "$TMP/bad.npy"
check eval-digits-json 0 '"accuracy": 0.9888888' -- "$RACEIT" eval --model vit-digits --data digits --fp32 --json
check eval-unknown-model 2 "'no-such-model' is neither a built-in model" -- "$RACEIT" eval --model no-such-model --data digits --fp32
check eval-unknown-data 2 "unknown data set 'cifar-10'" -- "$RACEIT" eval --model vit-digits --data cifar-10 --fp32
check arch-bad-unit 2 "badunit.yaml:4: key 'components.adc.energy'" -- "$RACEIT" arch show "$TMP/badunit.yaml"
check arch-no-file 2 "no such configuration file" -- "$RACEIT" arch show "$TMP/none.yaml"

check compile-digits 0 "wrote .*/program.json" -- \
  "$RACEIT" compile --model vit-digits --arch raceit --calibration 8 -o "$TMP/program.json"
check show-program 0 "acam-softmax" -- "$RACEIT" show "$TMP/program.json"
check show-program-json 0 '"format": "raceit-program"' -- "$RACEIT" show "$TMP/program.json" --json
check show-not-a-program 2 "truncated.npy: not JSON" -- "$RACEIT" show "$TMP/truncated.npy"
check compile-set-unknown 2 "--set: unknown key 'mapping.softmaks'" -- \
  "$RACEIT" compile --model vit-digits --set mapping.softmaks=digital -o "$TMP/bad.json"
check compile-set-bad-choice 2 "--set: key 'mapping.softmax': 'bogus' is not one of acam, digital" -- \
  "$RACEIT" compile --model vit-digits --set mapping.softmax=bogus -o "$TMP/bad.json"
check compile-set-bad-dac 2 "--set: key 'crossbar.dac_bits'" -- \
  "$RACEIT" compile --model vit-digits --set crossbar.dac_bits=4 -o "$TMP/bad.json"
printf 'include: %s/configs/arch/raceit.yaml\ntile:\n  crossbars: 0\n' "$PWD" >"$TMP/no-crossbars.yaml"
check compile-no-crossbars 2 "no-crossbars.yaml:3: key 'tile.crossbars': operator '.*' needs crossbars" -- \
  "$RACEIT" compile --model vit-digits --arch "$TMP/no-crossbars.yaml" --calibration 4 -o "$TMP/bad.json"
check compile-gpu 2 "'h100' is a GPU architecture" -- "$RACEIT" compile --model vit-digits --arch h100 -o "$TMP/bad.json"
check compile-no-data 0 "no calibration data: nominal ranges" -- \
  "$RACEIT" compile --model models/vit-digits/model.onnx -o "$TMP/nominal.json"
check compile-digital-softmax 0 "wrote" -- \
  "$RACEIT" compile --model vit-digits --set mapping.softmax=digital --set mapping.data_matmul=crossbar-write \
  --calibration 4 -o "$TMP/digital.json"
check eval-raceit-json 0 '"accuracy_mean"' -- \
  "$RACEIT" eval --model vit-digits --data digits --arch raceit --mode frozen --seeds 2 --limit 24 --calibration 8 --json
# --threads reaches the compile request as the thread count (not as a sequence length).
check eval-raceit-threads 0 "frozen 0\.[0-9]+ ± " -- \
  "$RACEIT" eval --model vit-digits --data digits --arch raceit --mode frozen --limit 8 --calibration 4 --threads 2
check eval-raceit-set-unknown 2 "--set: unknown key 'mapping.nope'" -- \
  "$RACEIT" eval --model vit-digits --data digits --set mapping.nope=1 --limit 8
for key in accuracy_fp32 accuracy_ideal accuracy_std seeds ops; do
  check "eval-raceit-key-$key" 0 "\"$key\"" -- \
    "$RACEIT" eval --model vit-digits --data digits --program "$TMP/program.json" --mode frozen --limit 8 --json
done
check eval-raceit-text 0 "acam-norm" -- "$RACEIT" eval --model vit-digits --data digits --program "$TMP/program.json" --mode ideal --limit 8
# Without --data: a built-in model's (or a program's built-in model's) data set; an ONNX file needs --data.
check eval-default-data-fp32 0 "^data: digits \(the model's data set" -- "$RACEIT" eval --model vit-digits --fp32 --limit 4
check eval-default-data-program 0 "^vit-digits on digits through RACE-IT" -- \
  "$RACEIT" eval --program "$TMP/program.json" --mode ideal --limit 8
check eval-onnx-needs-data 2 "pass --data with a data set \(digits, fashion-mnist, spamassassin" -- \
  "$RACEIT" eval --model models/vit-digits/model.onnx --limit 4
check eval-onnx-program-needs-data 2 "model.onnx' has no built-in data set: pass --data" -- \
  "$RACEIT" eval --program "$TMP/nominal.json" --mode ideal --limit 4
check eval-raceit-wrong-model 2 "compiled for model 'vit-digits'" -- \
  "$RACEIT" eval --model spam-transformer --data spamassassin --program "$TMP/program.json" --limit 8
check eval-raceit-bad-mode 2 "per_read" -- "$RACEIT" eval --model vit-digits --data digits --mode noisy --limit 8 --calibration 4

# Cost model: ppa and compare.
"$RACEIT" ppa --model bert-base --arch raceit --json >"$TMP/ppa.json" 2>/dev/null
for key in latency_s throughput_inf_per_s energy_j power_w area_mm2 chips breakdown by_component by_op assumptions; do
  check "ppa-key-$key" 0 "\"$key\"" -- cat "$TMP/ppa.json"
done
check ppa-text 0 "energy per inference by component" -- "$RACEIT" ppa --model bert-base --arch raceit --seq 64
check ppa-gpu 0 "h100" -- "$RACEIT" ppa --model bert-base --arch h100 --batch 8
check ppa-trained-model 0 "calibration  4 train samples of digits" -- \
  "$RACEIT" ppa --model vit-digits --arch isaac --calibration 4
check ppa-trained-threads 0 "energy per inference" -- \
  "$RACEIT" ppa --model vit-digits --arch raceit --calibration 4 --threads 2
check ppa-bad-set 2 "unknown key 'crossbar.rowz'" -- "$RACEIT" ppa --model bert-base --set crossbar.rowz=64
check ppa-seq-for-trained 2 "sequence length comes from its data set" -- "$RACEIT" ppa --model vit-digits --seq 64
check ppa-bad-arch 2 "nope" -- "$RACEIT" ppa --model bert-base --arch nope
check compare-table 0 "retransformer" -- "$RACEIT" compare --model bert-base --archs raceit,retransformer,h100
check compare-json 0 '"energy_ratio"' -- "$RACEIT" compare --model bert-base --archs raceit,h100 --json
check compare-empty 2 "at least one" -- "$RACEIT" compare --model bert-base --archs ,
# Generation (issue 15): the README's command, JSON keys, refusals.
check generation-compare 0 "h100 \\[graph int8\\] +[0-9.]+ ms" -- "$RACEIT" compare --model llama-3.2-1b --prefill 128 --decode 128 --archs raceit,h100
check generation-json 0 '"kv_cache_placement": "tile buffers' -- "$RACEIT" ppa --model gpt2 --prefill 16 --decode 8 --json
check generation-curve 0 '"decode_curve"' -- "$RACEIT" ppa --model gpt2 --prefill 16 --decode 8 --json
check generation-encoder 2 "built-in decoders" -- "$RACEIT" ppa --model bert-base --decode 8
check generation-seq 2 "the prompt's length is --prefill" -- "$RACEIT" ppa --model gpt2 --seq 8 --decode 8
check compile-built-in 0 "nominal ranges" -- "$RACEIT" compile --model gpt2 --seq 32 -o "$TMP/gpt2.json"
check compile-built-in-data 2 "without weights" -- "$RACEIT" compile --model bert-base --data digits -o "$TMP/x.json"

# Bad input and interrupted runs (issue 16): exit 2 naming the file and problem, atomic outputs.
npy_header() {  # npy_header DESCR HEADER_SHAPE: a .npy header; the data follows
  local h="{'descr': '$1', 'fortran_order': False, 'shape': $2, }"
  printf '\x93NUMPY\x01\x00'; printf "\\x$(printf %02x ${#h})\\x00"; printf '%s' "$h"
}
npy() {  # npy HEADER_SHAPE DATA_BYTES: a float32 .npy with that shape text and that many zero bytes
  npy_header '<f4' "$1"; head -c "$2" /dev/zero
}
npy "(-8, 1, 8, 8)" 2048 >"$TMP/negative.npy"
npy "(30000, 25000)" 16 >"$TMP/huge.npy"
printf 'include: %s/configs/devices/taox.yaml\nstd_scale: 1e300\n' "$PWD" >"$TMP/infinite.yaml"
check infer-negative-dim 2 "negative.npy: .*dimension '-8'" -- \
  "$RACEIT" infer --model vit-digits --input "$TMP/negative.npy" --output "$TMP/bad.npy"
check infer-huge-header 2 "huge.npy: .*needs 3000000000 bytes, the file holds 16" -- \
  "$RACEIT" infer --model vit-digits --input "$TMP/huge.npy" --output "$TMP/bad.npy"
check infer-dev-full 2 "/dev/full: cannot write: No space left on device" -- \
  "$RACEIT" infer --model vit-digits --input models/vit-digits/golden_input.npy --output /dev/full
check compile-dev-full 2 "/dev/full: cannot write" -- \
  "$RACEIT" compile --model vit-digits --calibration 4 -o /dev/full
check infer-directory-model 2 "is a directory" -- \
  "$RACEIT" infer --model "$TMP" --input models/vit-digits/golden_input.npy --output "$TMP/bad.npy"
check show-directory 2 "is a directory" -- "$RACEIT" show "$TMP"
{ npy_header '<f4' "(1, 1, 8, 8)"; head -c 256 /dev/zero | tr '\0' '\377'; } >"$TMP/nan.npy"  # 0xffffffff: NaN
npy "(1, 1, 8, 8)" 256 >"$TMP/one.npy"
{ npy_header '<i8' "(1,)"; printf 'c\0\0\0\0\0\0\0'; } >"$TMP/label99.npy"
{ npy_header '<i8' "(1, 128)"; printf '\0\312\232;\0\0\0\0'; head -c 1016 /dev/zero; } >"$TMP/id1e9.npy"  # id 10^9
check infer-nan-input 2 "nan.npy: graph input 'input': .*nan.npy holds -?nan at sample 0 \\(element 0 of it\\); inputs must be finite" -- \
  "$RACEIT" infer --model vit-digits --input "$TMP/nan.npy" --output "$TMP/bad.npy"
check eval-label-out-of-range 2 "label99.npy: label 99 at position 0 is not a class of output 'logits' \\[\\?, 10\\]" -- \
  "$RACEIT" eval --model vit-digits --data "$TMP/one.npy" --labels "$TMP/label99.npy" --fp32
check infer-token-outside-vocabulary 2 "running on .*id1e9.npy: node '/embed/Gather' \\(Gather\\): index 1000000000 out of range" -- \
  "$RACEIT" infer --model spam-transformer --input "$TMP/id1e9.npy" --output "$TMP/bad.npy"
check xbar-infinite-noise 2 "infinite.yaml:2: key 'std_scale': must be in \\[0, 100\\]" -- \
  "$RACEIT" xbar --device "$TMP/infinite.yaml"
check acam-deep-fn 2 "nest" -- "$RACEIT" acam eval --range 0:1 \
  --fn "$(printf '(%.0s' $(seq 25000))x$(printf ')%.0s' $(seq 25000))"
sed '0,/"bits": [0-9]*/s//"bits": 31/' "$TMP/program.json" >"$TMP/bits31.json"
check program-bits-31 2 "bits31.json: program: field '\\\$\.ops\[[0-9]+\]\..*bits': must be 1…[0-9]+, got 31" -- \
  "$RACEIT" show "$TMP/bits31.json"
# One check for every numeric option: out of range is exit 2 naming the option; --help states the range.
check eval-stuck-range 2 "--stuck: Value 2 not in range 0.0+ to 1.0+" -- "$RACEIT" eval --model vit-digits --data digits --stuck 2
check eval-std-scale-negative 2 "--std-scale" -- "$RACEIT" eval --model vit-digits --data digits --std-scale -1
check eval-seeds-zero 2 "--seeds: Value 0 not in range" -- "$RACEIT" eval --model vit-digits --data digits --seeds 0
check acam-bits-zero 2 "--bits: Value 0 not in range 1 to 12" -- "$RACEIT" acam eval --fn exp --bits 0
check ppa-seq-zero 2 "--seq: Value 0 not in range" -- "$RACEIT" ppa --model bert-base --seq 0
check xbar-help-range 0 "--w-bits INT:INT in \[2 - 16\]" -- "$RACEIT" xbar --help
# kill -9 during `compile -o` leaves a complete program: the old one, or the new one once renamed.
cp "$TMP/program.json" "$TMP/killed.json"
for delay in 0.2 0.5 1.0 1.5; do
  "$RACEIT" compile --model vit-digits --calibration 8 --set mapping.softmax=digital -o "$TMP/killed.json" >/dev/null 2>&1 &
  sleep "$delay"; kill -9 $! 2>/dev/null; wait $! 2>/dev/null
  check "compile-killed-after-${delay}s" 0 "acam|digital" -- "$RACEIT" show "$TMP/killed.json"
done
# Your own model and data (README "Your own model and data"): the committed examples of
# tools/export_examples.py, costed without data and evaluated on their .npy files.
EC=models/encoder-classifier
LM=models/tiny-lm
for onnx in models/*/model.onnx; do
  check "ppa-no-data-$onnx" 0 "energy per inference" -- "$RACEIT" ppa --model "$onnx" --arch raceit --calibration 4
  check "compare-no-data-$onnx" 0 "h100" -- "$RACEIT" compare --model "$onnx" --archs raceit,isaac,h100 --calibration 4
done
check ppa-nominal-says-so 0 "nominal" -- "$RACEIT" ppa --model $LM/model.onnx --arch raceit --dim seq=8
check ppa-dim-unknown 2 "no input dimension of that name \(named: batch, seq\)" -- \
  "$RACEIT" ppa --model $LM/model.onnx --dim length=8
check ppa-dim-malformed 2 "expected NAME=VALUE" -- "$RACEIT" ppa --model $LM/model.onnx --dim seq
check ppa-user-data 0 "calibration .*4 given samples of $LM/ids.npy" -- \
  "$RACEIT" ppa --model $LM/model.onnx --data $LM/ids.npy --calibration 4 --arch isaac
check info-model-option 0 "input +values: float32\[\?, \?, 8\]" -- "$RACEIT" info --model $EC/model.onnx
check compile-user-spec 0 "calibrated on 16 given samples of $EC/data.yaml" -- \
  "$RACEIT" compile --model $EC/model.onnx --data $EC/data.yaml --calibration 16 -o "$TMP/ec.json"
check infer-program-folder 0 "wrote logits float32\[64, 2\] to $TMP/ec-out/logits.npy" -- \
  "$RACEIT" infer --program "$TMP/ec.json" --input values=$EC/values.npy --input mask=$EC/mask.npy \
  --output "$TMP/ec-out/" --mode frozen --seed 3
check infer-program-two-inputs 2 "give each as --input NAME=FILE.npy" -- \
  "$RACEIT" infer --program "$TMP/ec.json" --input $EC/values.npy --output "$TMP/x.npy"
check infer-program-wrong-shape 2 "graph input 'mask' expects float32\[\?, \?\]" -- \
  "$RACEIT" infer --program "$TMP/ec.json" --input values=$EC/values.npy --input mask=$EC/values.npy --output "$TMP/x.npy"
check eval-user-spec 0 "accuracy +fp32 [01]\.[0-9]+ +ideal" -- \
  "$RACEIT" eval --program "$TMP/ec.json" --data $EC/data.yaml --mode frozen --seeds 2
"$RACEIT" eval --model $EC/model.onnx --data $EC/data.yaml --calibration 16 --mode frozen --json --limit 16 \
  >"$TMP/ec-eval.json" 2>"$TMP/ec-eval.err"
for key in fidelity nmse snr_db cosine top1_agreement accuracy_mean; do
  check "eval-user-key-$key" 0 "\"$key\"" -- cat "$TMP/ec-eval.json"
done
check eval-user-json-clean 0 "" -- python3 -c "import json,sys; json.load(open(sys.argv[1]))" "$TMP/ec-eval.json"
check eval-user-npy-labels 0 "accuracy +fp32" -- \
  "$RACEIT" eval --model $LM/model.onnx --data $LM/ids.npy --labels $LM/ids.npy --calibration 8 --mode ideal --limit 8
check eval-user-npy-no-labels 0 "fidelity of every output" -- \
  "$RACEIT" eval --model $LM/model.onnx --data $LM/ids.npy --calibration 8 --mode ideal --limit 8
check eval-lm-perplexity 0 '"perplexity_std"' -- \
  "$RACEIT" eval --model $LM/model.onnx --data $LM/ids.npy --task lm --calibration 8 --mode frozen --seeds 2 --limit 8 --json
check eval-lm-not-a-lm 2 "needs logits \[N, T, vocabulary\]" -- \
  "$RACEIT" eval --model $EC/model.onnx --data $EC/data.yaml --task lm --calibration 4
check eval-program-other-path 0 "accuracy" -- \
  "$RACEIT" eval --model ./$EC/../encoder-classifier/model.onnx --program "$TMP/ec.json" --data $EC/data.yaml --mode ideal
check eval-labels-for-data-set 2 "has its own labels" -- \
  "$RACEIT" eval --model vit-digits --data digits --labels $EC/labels.npy --fp32
check eval-fp32-user-labels 0 "accuracy" -- "$RACEIT" eval --model $EC/model.onnx --data $EC/data.yaml --fp32
check eval-help-lists-data 0 "fashion-mnist +Fashion-MNIST" -- "$RACEIT" eval --help

# The README's commands of "Your own model and data", as shown there.
check readme-compare-lm 0 "h100 \\[graph int8\\] +gpu" -- "$RACEIT" compare --model $LM/model.onnx --dim seq=16
check readme-eval-lm 0 "perplexity +fp32 2\.6892 +ideal [0-9.]+ +frozen [0-9.]+ ± " -- \
  "$RACEIT" eval --model $LM/model.onnx --data $LM/ids.npy --task lm --mode frozen --seeds 3
check readme-eval-spec 0 "accuracy +fp32 0\.9219 +ideal [0-9.]+ +frozen [0-9.]+ ± " -- \
  "$RACEIT" eval --model $EC/model.onnx --data $EC/data.yaml --mode frozen --seeds 3
check readme-compile 0 "calibrated on 64 given samples of $EC/data.yaml" -- \
  "$RACEIT" compile --model $EC/model.onnx --data $EC/data.yaml -o "$TMP/ec64.json"
check readme-infer 0 "wrote logits float32\[64, 2\] to $TMP/readme/logits.npy" -- \
  "$RACEIT" infer --program "$TMP/ec64.json" --input values=$EC/values.npy --input mask=$EC/mask.npy --output "$TMP/readme/" \
  --mode frozen --seed 1
check infer-output-folder-is-a-file 2 "cannot create the output folder" -- \
  "$RACEIT" infer --program "$TMP/ec64.json" --input values=$EC/values.npy --input mask=$EC/mask.npy --output "$TMP/ec64.json/"
# Generation (README "Generation"): the shipped char-lm, greedy, FP32 and RACE-IT with a KV cache.
npy_ids() {  # npy_ids FILE ID... : the ids (< 256) as an int64 [N] .npy
  local file=$1; shift
  local header="{'descr': '<i8', 'fortran_order': False, 'shape': ($#,), }"
  while [ $(((10 + ${#header} + 1) % 64)) -ne 0 ]; do header="$header "; done
  { printf '\x93NUMPY\x01\x00'; printf "\\x$(printf %02x $((${#header} + 1)))\\x00"; printf '%s\n' "$header"
    for id in "$@"; do printf "\\x$(printf %02x "$id")\\x00\\x00\\x00\\x00\\x00\\x00\\x00"; done; } >"$file"
}
npy_ids "$TMP/ids.npy" 41 70 77 77 80  # "Hello"
npy_ids "$TMP/badids.npy" 53 120
check generate-ideal 0 "^raceit ideal +Subject: " -- \
  "$RACEIT" generate --model char-lm --prompt "Subject: " --tokens 4 --mode ideal --calibration 4
check generate-ids-json 0 '"first_divergence": ' -- \
  "$RACEIT" generate --model char-lm --ids "$TMP/ids.npy" --tokens 3 --calibration 4 --json
check generate-not-causal 2 "'vit-digits' is not a trained causal language model" -- \
  "$RACEIT" generate --model vit-digits --prompt x --tokens 2
check generate-built-in 2 "ppa --model M --prefill L --decode N" -- "$RACEIT" generate --model gpt2 --prompt x --tokens 2
check generate-unknown-byte 2 "prompt byte .* at offset 3 is not in the vocabulary" -- \
  "$RACEIT" generate --model char-lm --prompt $'caf\xc3\xa9' --tokens 2
check generate-ids-vocab 2 "badids.npy: token id 120 at position 1 is outside the vocabulary of 96" -- \
  "$RACEIT" generate --model char-lm --ids "$TMP/badids.npy" --tokens 2
check generate-too-long 2 "context of 64" -- "$RACEIT" generate --model char-lm --prompt Hello --tokens 64
check generate-no-prompt 2 "give the prompt as --prompt TEXT or as --ids" -- "$RACEIT" generate --model char-lm --tokens 2
check eval-char-lm 0 "perplexity +fp32 [0-9.]+ +ideal [0-9.]+" -- \
  "$RACEIT" eval --model char-lm --data spamassassin-text --task lm --limit 4 --calibration 4 --mode ideal
# Sweeps, reports, sensitivity (docs/sweep.md).
printf 'model: bert-base\naxes:\n  crossbar.rows: [64, 12x]\n' >"$TMP/badsweep.yaml"
printf 'model: bert-base\naxes:\n  tile.race_units: [1, 2]\n' >"$TMP/sweep.yaml"
check sweep-bad-value 2 "badsweep.yaml:3: .*crossbar.rows" -- "$RACEIT" sweep "$TMP/badsweep.yaml" --store "$TMP/bad.db"
check sweep-missing-spec 2 "nope.yaml" -- "$RACEIT" sweep "$TMP/nope.yaml"
check sweep-jobs 0 "2 points, 0 already in the store, 2 run now" -- "$RACEIT" sweep "$TMP/sweep.yaml" --store "$TMP/s.db" --jobs 2
check sweep-threads-negative 2 "--threads: Value -1 not in range" -- "$RACEIT" sweep "$TMP/sweep.yaml" --store "$TMP/s.db" --threads -1
check sweep-jobs-too-many 2 "--jobs: Value 100000 not in range" -- "$RACEIT" sweep "$TMP/sweep.yaml" --store "$TMP/s.db" --jobs 100000
check sweep-resume 0 "2 already in the store, 0 run now" -- "$RACEIT" sweep "$TMP/sweep.yaml" --store "$TMP/s.db"
check report-text 0 "tile.race_units +status" -- "$RACEIT" report "$TMP/s.db"
check report-csv 0 "wrote" -- "$RACEIT" report "$TMP/s.db" --csv "$TMP/s.csv"
check report-not-a-store 2 "not a sweep store" -- "$RACEIT" report "$TMP/bad.yaml"
check sensitivity-json 0 '"speedup_vs"' -- "$RACEIT" sensitivity --model bert-base --vs h100 --vary crossbar.rows=64 --json
check sensitivity-unknown-key 2 "crossbar.rowz" -- "$RACEIT" sensitivity --model bert-base --vary crossbar.rowz=64

echo "cli: $passed passed, $failed failed"
[ "$failed" -eq 0 ]

#!/usr/bin/env bash
# make results: runs every measurement the docs cite and writes docs/results.md, the one
# page that holds measured figures (times, memory, speeds, core counts, energies,
# accuracies, errors). Each value in it is parsed from the output of the command printed
# beside it; nothing is typed in. The page is overwritten whole.
#
#   tools/results/results.sh            everything (default of `make results`): the small
#                                       networks, the benchmarks, Brian2 beside Tessera,
#                                       MPI, and the full-size compiles, frames and reports
#                                       (about an hour on 2 cores, up to 13 GB of memory)
#   RESULTS_QUICK=1 tools/results/results.sh
#                                       only the rows that take seconds each (a few
#                                       minutes in all): no full-size network, no Brian2,
#                                       no MPI, no NIR or QCFS segmentation
#
# Needs a release build (.build/release/tessera and tessera-bench: `make build`) and
# /usr/bin/time (Debian package time). Maps, outputs and one log per command go to
# RESULTS_DIR (default .build-results); a command that fails is named on standard error,
# its rows say "not measured" with its log, and the script exits 1 after writing the page.
set -uo pipefail
cd "$(dirname "$0")/../.."
T=.build/release/tessera
B=.build/release/tessera-bench
OUT=${RESULTS_DIR:-.build-results}
QUICK=${RESULTS_QUICK:-0}
DOC=docs/results.md
LOG=$OUT/logs
mkdir -p "$OUT" "$LOG"
[ -x "$T" ] && [ -x "$B" ] || { echo "results: build first (make build): $T and $B are needed" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "results: needs /usr/bin/time (Debian package time)" >&2; exit 1; }

BODY=$(mktemp)
trap 'rm -f "$BODY"' EXIT
FAILED=()
declare -A CMD

# run NAME CMD...: runs CMD with its standard output and error in $LOG/NAME.log, and its
# wall time and peak memory in $LOG/NAME.time; remembers the command for the rows.
run() {
    local name=$1; shift
    CMD[$name]="$*"
    echo "results: $*" >&2
    if ! /usr/bin/time -f '%e %M' -o "$LOG/$name.time" "$@" > "$LOG/$name.log" 2>&1; then
        echo "results: FAILED: $* (see $LOG/$name.log)" >&2
        FAILED+=("$name")
        return 1
    fi
}
# A shell pipeline as one command (shown as written).
run_sh() { local name=$1; shift; run "$name" bash -c "$1"; CMD[$name]="$1"; }

log() { failed "$1" || cat "$LOG/$1.log" 2>/dev/null; }
failed() { [[ " ${FAILED[*]:-} " == *" $1 "* ]]; }
seconds() { ! failed "$1" && [ -f "$LOG/$1.time" ] && tail -1 "$LOG/$1.time" | awk '{ printf "%.1f s", $1 }'; }
peak() { ! failed "$1" && [ -f "$LOG/$1.time" ] && tail -1 "$LOG/$1.time" | awk '{ printf "%.2f GB", $2 * 1024 / 1e9 }'; }
time_and_peak() { local s p; s=$(seconds "$1"); p=$(peak "$1"); [ -n "$s" ] && echo "$s, $p peak"; }

# section TITLE [TEXT]: a heading, a sentence, and the table's head.
section() {
    { echo; echo "## $1"; echo; [ -n "${2:-}" ] && { echo "$2"; echo; }
      echo "| figure | value | command |"; echo "|---|---|---|"; } >> "$BODY"
}
# row FIGURE VALUE NAME: one row; the command is NAME's. An empty value is "not measured".
row() {
    local value=$2 command=${CMD[$3]:-}
    if failed "$3" || [ -z "$value" ]; then value="not measured (see \`$LOG/$3.log\`)"; fi
    command=${command//|/\\|}
    printf '| %s | %s | `%s` |\n' "$1" "$value" "$command" >> "$BODY"
}
# block NAME TITLE LINES...: command output lines as a text block after a table.
block() {
    local name=$1 title=$2; shift 2
    [ -n "$*" ] || return 0
    { echo; echo "$title (\`${CMD[$name]}\`):"; echo; echo '```text'; printf '%s\n' "$@"; echo '```'; } >> "$BODY"
}

# What `tessera compile` prints.
cores_of() { log "$1" | sed -n 's/^\([0-9]*\) cores on \([0-9]*\) chip(s) of target .*/\1/p' | tail -1; }
chips_of() { log "$1" | sed -n 's/^[0-9]* cores on \([0-9]*\) chip(s) of target .*/\1/p' | tail -1; }
latency_of() { log "$1" | sed -n 's/^[0-9]* cores on .*; latency in ticks: \(.*\)/\1/p' | sed 's/; wrote .*//' | tail -1; }
# The per-layer table's total row: neurons, hw neurons, cores, lower bound, tight bound.
bounds_of() { log "$1" | awk '$1 == "total" && NF >= 6 { printf "lower bound %s, tight bound %s", $5, $6 }' | tail -1; }
map_bytes_of() { log "$1" | sed -n 's/^core map v2: \([0-9]*\) bytes; shared tables: \(.*\)/\1 bytes; \2/p' | tail -1; }
crossings_of() { log "$1" | sed -n 's/^placement: expected \([0-9.]*\) spike hops and \([0-9.]*\) chip crossings per tick (row-major: \([0-9.]*\) and \([0-9.]*\))/\2 (row-major \4); spike hops \1 (row-major \3)/p' | tail -1; }
# The placed and the row-major figure are read apart: with --profile, the profile table on
# standard error can land inside the line in the log.
links_of() {
    local placed rowmajor
    placed=$(log "$1" | sed -n 's/^placement: chip links: expected \([0-9.]*\) spikes per tick on the busiest link.*/\1/p' | tail -1)
    rowmajor=$(log "$1" | sed -n 's/.*(row-major: \([0-9.]*\) on the busiest link).*/\1/p' | tail -1)
    [ -n "$placed" ] && echo "$placed${rowmajor:+ (row-major $rowmajor)}"
}
measured_error_of() { log "$1" | sed -n 's/^measured on .*: \([0-9]* of [0-9]*\) output neurons differ, mean rate error \([0-9.]*\), max \([0-9.]*\) spikes\/tick/mean \2, max \3 spikes per tick (\1 outputs differ)/p' | tail -1; }
kept_of() { log "$1" | sed -n 's/^ *partial sums: \([a-z-]*\) kept (mean \(sampled \)\{0,1\}rate error \([0-9.]*\)), against \([a-z-]*\) (\(mean rate error \)\{0,1\}\([0-9.]*\))/\1 kept, \3; \4 \6/p' | head -1; }
samples_of() { log "$1" | grep -E '^  [^ ].*mean rate error [0-9.]+, max' ; }
table_of() { log "$1" | awk '/^layer +op +neurons +hw neurons/ { on = 1 } on { print } on && /^total / { exit }'; }
profile_of() { log "$1" | awk '/^stage +seconds +share +peak GB/ { on = 1 } on { print } on && /^total / { exit }'; }
# What `tessera report` prints.
energy_of() { log "$1" | sed -n 's/^energy per frame: \(.*\)/\1/p' | tail -1; }
terms_of() { log "$1" | sed -n 's/^  \([a-z][a-z ]*\): .* ([A-Za-z0-9]*) = \(.*\)/\1 \2/p' | paste -sd ';' - | sed 's/;/; /g'; }
fps_of() { log "$1" | sed -n 's/^timing: .* = \([0-9.]*\) frames\/s; .*last output \([0-9]*\) ticks after a frame starts/\1 frames\/s, last output \2 ticks after a frame starts/p' | tail -1; }
activity_of() { log "$1" | sed -n 's/^activity per frame ([^)]*): //p' | tail -1; }
report_links_of() { log "$1" | sed -n 's/^chip links: expected \([0-9.]*\) spikes per tick on the busiest link.*, mean \([0-9.]*\) over the \([0-9]*\) of.*/\1 on the busiest link, mean \2 over \3 links/p' | tail -1; }
sustain_of() { log "$1" | sed -n 's/^warning: chip link .*it could sustain \(.*\)/\1/p' | tail -1; }
ann_of() { log "$1" | sed -n 's/^ANN comparison (45 nm): \(.*\)/\1/p' | tail -1; }
# What `tessera evaluate` prints: the float line and the rows of its table, as
# "T=8 91.94%, T=16 ..." (column COL of each row whose first field is a tick count).
float_of() { log "$1" | sed -n 's/^float (ANN) accuracy: //p; s/^float (ANN): //p; s/^framework ([^)]*): //p' | head -1; }
curve_of() { log "$1" | awk -v col="$2" '$1 ~ /^[0-9]+$/ && $2 ~ /^[0-9]+$/ && $NF ~ /%$/ { printf "%sT=%s %s", sep, $1, $(col); sep = ", " }'; }
# What `tessera compile` says about partial sums: every choice it made, with the errors
# it measured (the line on bounds that do not hold left out).
choices_of() { log "$1" | sed -n 's/^partial sums: //p' | grep -v "bound does not hold" | awk '{ printf "%s%s", sep, $0; sep = "; " }'; }
tight_of() { log "$1" | awk '$1 == "total" && NF >= 6 { print $6 }' | tail -1; }
# What `tessera evaluate --layer-errors` prints: the table, and the first split layer's row.
layer_errors_of() { log "$1" | awk '/^layer +parts +reference rate/ { on = 1 } on && NF == 0 { exit } on { print }'; }
first_split_of() { log "$1" | awk '/^layer +parts +reference rate/ { on = 1; next } on && NF == 5 && $2 > 1 { printf "%s: mean error %s, bias %s", $1, $4, $5; exit }'; }
eval_cores_of() { log "$1" | sed -n 's/^\([0-9]*\) cores on \([^;]*\); output latency \([0-9]*\) ticks.*/\1 cores on \2, latency \3 ticks/p' | head -1; }
# What `tessera emulate --timing` prints.
timing_of() { log "$1" | sed -n 's/^timing: \([0-9]*\) ticks in \([0-9.]*\) s = \([0-9.]*\) ticks\/s.*/\3 ticks\/s (\1 ticks in \2 s)/p' | tail -1; }
exchange_of() { log "$1" | sed -n 's/^timing: .*exchanging spikes: //p' | tail -1; }

MODE=$([ "$QUICK" = 1 ] && echo "quick: no full-size rows" || echo "full")
echo "results: $MODE; logs in $LOG" >&2

# ---------------------------------------------------------------------------------------
section "Emulator on a full synthetic chip" \
"4,096 cores of 256 neurons, crossbars half full, every neuron sending to a random axon; 1,000 ticks with no input, five runs (docs/performance.md). The median run counts; real time is 1,000 ticks per second."
run bench_emulator $B 1000 emulator
E=$(log bench_emulator)
row "ticks per second (median of 5), threads and kernels" "$(echo "$E" | sed -n 's/^fast emulator (\([^)]*\)), 5 runs of .* = \([0-9.]*\) ticks\/s,.*/\2 (\1)/p')" bench_emulator
row "x real time: median, fastest, slowest" "$(echo "$E" | sed -n 's/.*, \([0-9.]*\) x real time ([0-9]* ticks\/s); fastest \([0-9.]*\) x, slowest \([0-9.]*\) x.*/\1, \2, \3/p')" bench_emulator
row "synaptic events per second" "$(echo "$E" | sed -n 's/^fast emulator .*, \([0-9.]*\) G synaptic events\/s,.*/\1 G/p')" bench_emulator
row "mean firing rate; synaptic events per tick" "$(echo "$E" | sed -n 's/^activity: mean rate \([0-9.]*\) Hz, .*(\([0-9]*\) per tick).*/\1 Hz; \2/p')" bench_emulator
row "one thread: ticks per second; speed-up of all threads" "$(echo "$E" | sed -n 's/^fast emulator (1 thread): \([0-9.]*\) ticks\/s; \(.*\) x one/\1; \2 x/p')" bench_emulator
row "each kernel version (identical results)" "$(echo "$E" | sed -n 's/^kernel versions ([^)]*): //p')" bench_emulator
row "scalar reference; fast against scalar" "$(echo "$E" | sed -n 's/^scalar reference: .* = \([0-9.]*\) ticks\/s; fast \/ scalar = \([0-9.]*\) x.*/\1 ticks\/s; \2 x/p')" bench_emulator
row "memory bound: bytes per tick, pass bandwidth, ticks/s allowed, share reached" "$(echo "$E" | sed -n 's/^machine limit: \([0-9.]*\) MB per tick at least; .* runs at \([0-9.]*\) GB\/s, so at most \([0-9]*\) ticks\/s; the emulator reaches \([0-9]*%\) of it/\1 MB; \2 GB\/s; \3; \4/p')" bench_emulator
row "whole benchmark: wall time, peak memory" "$(time_and_peak bench_emulator)" bench_emulator

section "Core map loading" \
"Synthetic fully used TrueNorth cores written as JSON (v1) and as core map v2, then loaded and validated; a bare \`JSONSerialization\` parse of the 1,000-core file is the baseline (docs/performance.md)."
run bench_load $B 1 load
for n in 1000 10000; do
    line=$(log bench_load | grep "^$n cores, ")
    row "$n cores, v1: size, load + validate, write" "$(echo "$line" | sed -n 's/^[0-9]* cores, \([0-9.]*\) MB: load + validate \([0-9.]*\) s ([^)]*), write \([0-9.]*\) s.*/\1 MB, \2 s, \3 s/p')" bench_load
    row "$n cores, v2: size, load + validate, write" "$(echo "$line" | sed -n 's/.*; v2: \([0-9.]*\) MB (\([0-9.]*\) x smaller), load + validate \([0-9.]*\) s (\([0-9.]*\) x faster), write \([0-9.]*\) s.*/\1 MB (\2 x smaller), \3 s (\4 x faster than v1), \5 s/p')" bench_load
done
row "1,000 cores: bare JSONSerialization parse against the full load" "$(log bench_load | sed -n 's/.*a bare JSONSerialization parse takes \([0-9.]*\) s = \([0-9.]*\) x the full load/\1 s, \2 x/p')" bench_load
row "whole benchmark: peak memory" "$(peak bench_load)" bench_load

# ---------------------------------------------------------------------------------------
D=Tests/TesseraTests/Fixtures/digits
S=Tests/TesseraTests/Fixtures/segmentation
section "Small networks: accuracy, mean IoU, cores, error" \
"Converted by their \`compile:\` sections, compiled for one TrueNorth chip and emulated on the held-out samples (docs/conversion.md, docs/workloads.md). Accuracies and mean IoUs are per number of ticks T."
for net in mlp cnn; do
    run "digits_$net" $T evaluate $D/$net.yaml --images $D/test_images.npy --labels $D/test_labels.npy
    row "digits $net: cores, latency" "$(eval_cores_of "digits_$net")" "digits_$net"
    row "digits $net: float accuracy" "$(float_of "digits_$net")" "digits_$net"
    row "digits $net: accuracy on the chip" "$(curve_of "digits_$net" 3)" "digits_$net"
done
for net in deeplab fcn; do
    run "seg_$net" $T evaluate $S/$net.yaml --images $S/test_images.npy --masks $S/test_masks.npy --ticks 16,32,64,128
    row "trained segmentation $net: cores, latency" "$(eval_cores_of "seg_$net")" "seg_$net"
    row "trained segmentation $net: float" "$(float_of "seg_$net")" "seg_$net"
    row "trained segmentation $net: mean IoU on the chip" "$(curve_of "seg_$net" 3)" "seg_$net"
    row "trained segmentation $net: mean IoU against the float segmentation" "$(curve_of "seg_$net" 5)" "seg_$net"
done
run deeplab_small $T compile examples/deeplab/deeplab-small.yaml --target truenorth-32x32
row "deeplab-small (3x32x32): cores, chips" "$(cores_of deeplab_small) cores on $(chips_of deeplab_small) chip(s)" deeplab_small
row "deeplab-small: compile time, peak memory" "$(time_and_peak deeplab_small)" deeplab_small
row "deeplab-small: partial sums kept" "$(kept_of deeplab_small)" deeplab_small
row "deeplab-small: rate error of the kept map" "$(measured_error_of deeplab_small)" deeplab_small
run deeplab_small_bysign $T compile examples/deeplab/deeplab-small.yaml --target truenorth-32x32 --partial-sums by-sign
row "deeplab-small, \`--partial-sums by-sign\`: cores; rate error" "$(cores_of deeplab_small_bysign); $(measured_error_of deeplab_small_bysign)" deeplab_small_bysign

section "Energy of a small map, measured" \
"The digits MLP on one TrueNorth chip, 32 ticks per frame, the 360 test images rate-coded (docs/estimates.md)."
run mlp_compile $T compile $D/mlp.yaml -o "$OUT/mlp.map.json"
run mlp_emulate $T emulate "$OUT/mlp.map.json" --input $D/test_images.npy --encoding rate --ticks 32 -o "$OUT/mlp.out.json"
run mlp_report $T report "$OUT/mlp.map.json" --activity "$OUT/mlp.out.json" --ticks 32 --ann $D/mlp.yaml
row "activity per frame" "$(activity_of mlp_report)" mlp_report
row "energy per frame" "$(energy_of mlp_report)" mlp_report
row "energy terms" "$(terms_of mlp_report)" mlp_report
row "ANN comparison" "$(ann_of mlp_report)" mlp_report

# ---------------------------------------------------------------------------------------
F=Tests/TesseraTests/Fixtures/trained
C=$D/calibration.npy
DS=examples/deeplab/deeplab-small.yaml
# The digits networks without their compile: sections, so that the options given convert them.
run_sh bare "mkdir -p $OUT/bare && for n in mlp cnn; do sed '/^compile:/,\$d' $D/\$n.yaml > $OUT/bare/\$n.yaml && cp $D/\$n.npz $OUT/bare/; done"
section "Mapping: partial sums by sign" \
"deeplab-small on one TrueNorth chip with each scheme forced. Errors are compile's own check: 64 ticks of random rate-coded input, seed 1 (docs/mapping.md, \"Fan-in splitting\")."
for s in net by-sign; do
    k="map_ds_${s/-/_}"
    run "$k" $T compile $DS --target truenorth --partial-sums $s
    row "deeplab-small, $s: cores; tight bound" "$(cores_of "$k"); $(tight_of "$k")" "$k"
    row "deeplab-small, $s: rate error" "$(measured_error_of "$k")" "$k"
    row "deeplab-small, $s: compile time, peak memory" "$(time_and_peak "$k")" "$k"
done

section "Mapping: what compile keeps (rounding, stagger, scheme)" \
"Each network compiled for one TrueNorth chip with no partial-sum option: compile measures the schemes, steps, starts and staggers on 64 ticks of random rate-coded input (seed 1) and keeps the lowest error; each row gives what it kept against what it measured (docs/mapping.md, \"Rounding\", \"Stagger\" and \"Offset coding\")."
KEEP=(
    "keep_qcfs|QCFS CNN|$F/qcfs-cnn.onnx"
    "keep_cnn|digits CNN, --calibration|$OUT/bare/cnn.yaml --calibration $C"
    "keep_mlp|digits MLP, --calibration|$OUT/bare/mlp.yaml --calibration $C"
    "keep_resnet|ResNet, --calibration digits.input.npy|$F/resnet-cnn.onnx --calibration $F/digits.input.npy"
    "keep_keras|Keras CNN, --calibration|$F/keras-cnn.onnx --calibration $C"
    "keep_seg_deeplab|trained segmentation DeepLab|$S/deeplab.yaml"
    "keep_seg_fcn|trained segmentation FCN|$S/fcn.yaml"
    "keep_bars|bars-sinabs, --quantise 8|examples/nir/bars-sinabs.nir --from sinabs --quantise 8"
    "keep_ds|deeplab-small|$DS"
    "keep_ds_256|deeplab-small, --measure-ticks 256|$DS --measure-ticks 256"
)
for e in "${KEEP[@]}"; do
    IFS='|' read -r k title args <<< "$e"
    # shellcheck disable=SC2086
    run "$k" $T compile $args --target truenorth
    row "$title: cores; kept, against" "$(cores_of "$k"); $(choices_of "$k")" "$k"
done

section "Mapping: offset coding" \
"deeplab-small offset-coded with each stagger, and a copy of it whose output is conv2 (its first split layer) under each scheme and check length; errors are compile's check on random rate-coded input, seed 1 (docs/mapping.md, \"Offset coding\")."
for n in 1 2 4 8; do
    run "offset_ds_$n" $T compile $DS --target truenorth --partial-sums offset --partial-stagger $n
    row "deeplab-small, offset, stagger $n: cores; rate error" "$(cores_of "offset_ds_$n"); $(measured_error_of "offset_ds_$n")" "offset_ds_$n"
done
run_sh conv2 "sed 's/^outputs: \[up\]/outputs: [conv2]/' $DS > $OUT/deeplab-small-conv2.yaml"
for s in net offset; do
    for t in 64 256; do
        run "conv2_${s}_$t" $T compile "$OUT/deeplab-small-conv2.yaml" --target truenorth --partial-sums $s --measure-ticks $t
        row "deeplab-small's conv2 as the output, $s, $t ticks: rate error" "$(measured_error_of "conv2_${s}_$t")" "conv2_${s}_$t"
    done
done
run "conv2_bysign" $T compile "$OUT/deeplab-small-conv2.yaml" --target truenorth --partial-sums by-sign
row "deeplab-small's conv2 as the output, by-sign, 64 ticks: rate error" "$(measured_error_of conv2_bysign)" conv2_bysign

if [ "$QUICK" != 1 ]; then
# ---------------------------------------------------------------------------------------
section "Mapping: rounding and stagger, on accuracy" \
"\`tessera evaluate\` on the 360 digits test images (mean IoU on the 100 segmentation canvases) with the partial neurons floored (evaluate's default), rounded (\`--partial-rounding\`) and staggered by 2 (\`--partial-stagger 2\`); accuracy per number of ticks T, and the cores of each map (docs/mapping.md, \"Rounding\" and \"Stagger\")."
DIGITS="--images $D/test_images.npy --labels $D/test_labels.npy"
TRAINED="--images $F/digits.input.npy --labels $F/digits.labels.npy"
SEG="--images $S/test_images.npy --masks $S/test_masks.npy --ticks 32,64"
RESNET_OPTS="--calibration $F/digits.input.npy --initial-potential 0.5 --balance-per channel"
ACC=(
    "acc_mlp|digits MLP, --calibration|$OUT/bare/mlp.yaml $DIGITS --ticks 8,16,32,64 --calibration $C"
    "acc_cnn|digits CNN, --calibration|$OUT/bare/cnn.yaml $DIGITS --ticks 8,16,32,64 --calibration $C"
    "acc_qcfs|QCFS CNN|$F/qcfs-cnn.onnx $TRAINED --ticks 4,8,16,32"
    "acc_qcfs_ip|QCFS CNN, --calibration --initial-potential 0.5|$F/qcfs-cnn.onnx $TRAINED --ticks 4,8,16,32 --calibration $C --initial-potential 0.5"
    "acc_keras|Keras CNN, --calibration|$F/keras-cnn.onnx $TRAINED --ticks 8,16,32,64 --calibration $C"
    "acc_resnet|ResNet, --calibration|$F/resnet-cnn.onnx $TRAINED --ticks 16,32,64 --calibration $C"
    "acc_resnet_ch|ResNet, $RESNET_OPTS|$F/resnet-cnn.onnx $TRAINED --ticks 16,32,64 $RESNET_OPTS"
    "acc_seg_fcn|trained segmentation FCN, mean IoU|$S/fcn.yaml $SEG"
    "acc_seg_deeplab|trained segmentation DeepLab, mean IoU|$S/deeplab.yaml $SEG"
)
for e in "${ACC[@]}"; do
    IFS='|' read -r k title args <<< "$e"
    for v in "floored|" "rounded|--partial-rounding" "stagger 2|--partial-stagger 2" "rounded, half-weight step|--partial-rounding --partial-step half-weight"; do
        IFS='|' read -r vt vo <<< "$v"
        # The half step only beside rounding, on the ResNet and the FCN.
        [ "$vt" = "rounded, half-weight step" ] && [[ "$k" != acc_resnet* && "$k" != acc_seg_fcn ]] && continue
        vk="${k}_${vt//[ ,-]/_}"
        # shellcheck disable=SC2086
        run "$vk" $T evaluate $args $vo
        c=$(eval_cores_of "$vk")
        row "$title, $vt" "$(curve_of "$vk" 3)${c:+ (${c%% on*})}" "$vk"
    done
done

section "Mapping: where the error comes from, layer by layer" \
"The ResNet converted with \`$RESNET_OPTS\`, every neuron layer made an output and each layer's spike counts compared with the integer reference's on the 360 images (\`--layer-errors\`, shown for the longest \`--ticks\`; spikes per neuron per tick). Rows give the first split layer, which reads exact input (docs/mapping.md, \"Stagger\")."
LE="$F/resnet-cnn.onnx $TRAINED $RESNET_OPTS --layer-errors"
run_sh axons1024 "sed 's/^  axons: 256 .*/  axons: 1024/; s/^name: truenorth/name: truenorth-1024/' targets/truenorth.yaml > $OUT/truenorth-1024.yaml"
LAYER=(
    "le_32|rounded, 32 ticks|--ticks 32 --partial-rounding"
    "le_8|rounded, 8 ticks|--ticks 8 --partial-rounding"
    "le_128|rounded, 128 ticks|--ticks 128 --partial-rounding"
    "le_floored|floored, 32 ticks|--ticks 32"
    "le_stagger|rounded, stagger 2, 32 ticks|--ticks 32 --partial-rounding --partial-stagger 2"
    "le_half|rounded, half-weight step, 32 ticks|--ticks 32 --partial-rounding --partial-step half-weight"
    "le_1024|rounded, cores of 1,024 axons, 32 ticks|--ticks 32 --partial-rounding --target $OUT/truenorth-1024.yaml"
)
for e in "${LAYER[@]}"; do
    IFS='|' read -r k title opts <<< "$e"
    # shellcheck disable=SC2086
    run "$k" $T evaluate $LE $opts
    row "ResNet, $title: first split layer" "$(first_split_of "$k")" "$k"
done
block le_32 "Every layer, rounded, 32 ticks" "$(layer_errors_of le_32)"
block le_1024 "Every layer on cores of 1,024 axons" "$(layer_errors_of le_1024)"

# ---------------------------------------------------------------------------------------
section "Beside Brian2" \
"\`make bench\`'s second part: the benchmark network in Brian2's C++ standalone mode (2 OpenMP threads) and in Tessera, spike for spike (docs/performance.md). Brian2 comes from PyPI into .build-bench/venv; without it these rows say so."
rm -f .build-bench/peer-256/peer.json .build-bench/peer-4096/peer.json
run peer tools/bench/peer.sh 256 4096
for n in 256 4096; do
    j=.build-bench/peer-$n/peer.json
    if [ -f "$j" ]; then
        v=$(python3 - "$j" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
loop = r.get("brian2_loop_seconds")
print(f"{r['spikes']:,} spikes, {'identical' if r['identical'] else 'NOT identical'}; Tessera's run {r['tessera_run_seconds']:.3f} s, "
      f"Brian2's loop {loop:.2f} s ({loop / r['tessera_run_seconds']:.1f} x); " if loop else "", end="")
print(f"Brian2's binary {r['brian2_binary_seconds']:.2f} s against `tessera emulate` as a whole process {r['tessera_process_seconds']:.2f} s "
      f"({r['brian2_binary_seconds'] / r['tessera_process_seconds']:.1f} x)")
EOF
)
    else
        v=$(log peer | grep -m1 "skipped")
    fi
    row "$n fully used cores ($([ "$n" = 256 ] && echo 500 || echo 1,000) ticks)" "$v" peer
done
row "both comparisons: wall time, peak memory" "$(time_and_peak peer)" peer

section "Over several processes (MPI)" \
"The benchmark network over two full chips of a 4x4 board (8,192 cores), each neuron sending to a random core of either chip, so half the spikes cross between two ranks; 500 ticks (docs/performance.md, docs/emulator.md)."
MPI=$OUT/mpi
run mpi_map $B 500 peer "$MPI" 8192 truenorth-4x4
echo '{"ticks": 0, "spikes": {}}' > "$OUT/no-input.json"
run mpi_1 $T emulate "$MPI/map.npz" --spikes "$OUT/no-input.json" --ticks 500 --threads 1 --timing -o "$MPI/out-1.json"
run mpi_2 $T emulate "$MPI/map.npz" --spikes "$OUT/no-input.json" --ticks 500 --threads 2 --timing -o "$MPI/out-2.json"
ROOT=$([ "$(id -u)" = 0 ] && echo --allow-run-as-root)
if ! command -v mpirun > /dev/null; then
    CMD[mpi_ranks]="mpirun --oversubscribe -np 2 $T emulate ..."; echo "mpirun not found (make deps installs Open MPI)" > "$LOG/mpi_ranks.log"; FAILED+=(mpi_ranks)
else
    run mpi_ranks mpirun $ROOT --oversubscribe -np 2 $T emulate "$MPI/map.npz" --spikes "$OUT/no-input.json" --ticks 500 --timing -o "$MPI/out-mpi.json"
fi
row "one process, one thread" "$(timing_of mpi_1)" mpi_1
row "one process, two threads" "$(timing_of mpi_2)" mpi_2
row "two ranks, one thread each" "$(timing_of mpi_ranks)" mpi_ranks
row "two ranks: time in the exchanges and bytes sent" "$(exchange_of mpi_ranks)" mpi_ranks
row "two ranks: output the same bytes as one process's" "$(cmp -s "$MPI/out-1.json" "$MPI/out-mpi.json" && echo yes || echo no)" mpi_ranks

# ---------------------------------------------------------------------------------------
section "Segmentation trained directly, from NIR" \
"The Sinabs and snnTorch segmenters of examples/segmentation, compiled with the defaults for truenorth-4x4 and emulated on the 100 test canvases, 20 ticks of events each (docs/workloads.md, \"Segmentation, end to end\")."
G=examples/segmentation
for fw in sinabs snntorch; do
    run "nir_$fw" $T evaluate $G/$fw.nir --from $fw --target truenorth-4x4 --encoding events \
        --images $G/test-events.npy --masks $G/test-masks.npy --framework $G/$fw-counts.npy
    row "$fw: cores, latency" "$(eval_cores_of "nir_$fw")" "nir_$fw"
    row "$fw: the framework's own output" "$(float_of "nir_$fw")" "nir_$fw"
    row "$fw: chip, mean IoU; pixel accuracy" "$(curve_of "nir_$fw" 3); $(curve_of "nir_$fw" 4)" "nir_$fw"
    row "$fw: chip against the framework, pixels that agree; mean IoU" "$(curve_of "nir_$fw" 6); $(curve_of "nir_$fw" 5)" "nir_$fw"
    row "$fw: whole evaluate, wall time and peak memory" "$(time_and_peak "nir_$fw")" "nir_$fw"
done
run seg_compile $T compile $G/sinabs.nir --from sinabs --target truenorth-4x4 -o "$OUT/seg.npz"
run seg_emulate $T emulate "$OUT/seg.npz" --input $G/test-events.npy --encoding events --ticks 25 -o "$OUT/seg-out.json"
run seg_report $T report "$OUT/seg.npz" --activity "$OUT/seg-out.json" --ticks 25
row "sinabs: energy per frame (25 ticks), measured" "$(energy_of seg_report)" seg_report
row "sinabs: energy terms" "$(terms_of seg_report)" seg_report

section "Segmentation by conversion: QCFS" \
"The QCFS DeepLab and FCN (ONNX), balanced on the 200 calibration canvases, compiled for one chip, emulated on the 100 test canvases (docs/workloads.md, \"The conversion route: QCFS\")."
for net in deeplab fcn; do
    run "qcfs_$net" $T evaluate $S/qcfs-$net.onnx --images $S/test_images.npy --masks $S/test_masks.npy --ticks 4,8,16,32,64 --calibration $S/calibration.npy
    row "QCFS $net: cores, latency" "$(eval_cores_of "qcfs_$net")" "qcfs_$net"
    row "QCFS $net: float" "$(float_of "qcfs_$net")" "qcfs_$net"
    row "QCFS $net: mean IoU on the chip" "$(curve_of "qcfs_$net" 3)" "qcfs_$net"
done

# ---------------------------------------------------------------------------------------
# full_compile KEY TITLE NET [OPTIONS...]: one full-size compile with -o and --profile, and
# its rows; the map is $OUT/KEY.npz.
full_compile() {
    local key=$1 title=$2 net=$3; shift 3
    run "${key}_compile" $T compile "$net" --target truenorth-32x32 -o "$OUT/$key.npz" --profile "$@"
    local c="${key}_compile"
    row "$title: cores, chips" "$(cores_of $c) cores on $(chips_of $c) chips" $c
    row "$title: bounds on the cores" "$(bounds_of $c)" $c
    row "$title: latency in ticks" "$(latency_of $c)" $c
    row "$title: compile with the map written, wall time and peak memory" "$(time_and_peak $c)" $c
    row "$title: time and memory per core" "$(tail -1 "$LOG/$c.time" 2>/dev/null | awk -v n="$(cores_of $c)" 'n > 0 { printf "%.1f us, %.2f KB", $1 * 1e6 / n, $2 * 1024 / 1e3 / n }')" $c
    row "$title: map file and its shared tables" "$(map_bytes_of $c)" $c
    row "$title: expected chip crossings per tick, placed" "$(crossings_of $c)" $c
    row "$title: expected spikes per tick on the busiest chip link" "$(links_of $c)" $c
    row "$title: partial sums kept, mean sampled rate error" "$(kept_of $c)" $c
}
# full_report KEY TITLE ANN [TICKS]: the analytic report of $OUT/KEY.npz at rate 0.05,
# TICKS (64) ticks a frame.
full_report() {
    local key=$1 title=$2 ann=$3 ticks=${4:-64} r="${1}_report"
    run $r $T report "$OUT/$key.npz" --rate 0.05 --ticks $ticks --ann "$ann"
    row "$title: frame rate and latency ($ticks ticks a frame)" "$(fps_of $r)" $r
    row "$title: energy per frame at rate 0.05" "$(energy_of $r)" $r
    row "$title: energy terms at rate 0.05" "$(terms_of $r)" $r
    row "$title: chip links at rate 0.05 (spikes per tick)" "$(report_links_of $r)" $r
    row "$title: fastest tick the busiest link sustains" "$(sustain_of $r)" $r
    row "$title: ANN comparison" "$(ann_of $r)" $r
    row "$title: report (load, validate, count), wall time and peak memory" "$(time_and_peak $r)" $r
}

section "Full size: SiamSNN" \
"examples/siamsnn/siamsnn.yaml (synthetic trinary weights) on truenorth-32x32; one frame is the bundled photograph rate-coded for 64 ticks, run to tick 77 (docs/workloads.md)."
full_compile siamsnn SiamSNN examples/siamsnn/siamsnn.yaml
block siamsnn_compile "Per layer" "$(table_of siamsnn_compile)"
block siamsnn_compile "Stage profile" "$(profile_of siamsnn_compile)"
block siamsnn_compile "Sampled error of each split layer" "$(samples_of siamsnn_compile)"
section "Full size: SiamSNN, frame and energy"
run siamsnn_frame $T emulate "$OUT/siamsnn.npz" --input exemplar=examples/siamsnn/frame-exemplar.npy \
    --input search=examples/siamsnn/frame-search.npy --encoding rate --present 64 --ticks 77 -o "$OUT/siamsnn.frame.json"
row "SiamSNN: one frame, wall time and peak memory" "$(time_and_peak siamsnn_frame)" siamsnn_frame
full_report siamsnn SiamSNN examples/siamsnn/siamsnn.yaml
run siamsnn_measured $T report "$OUT/siamsnn.npz" --activity "$OUT/siamsnn.frame.json" --ticks 64
row "SiamSNN: activity per 64-tick frame, measured on the photograph" "$(activity_of siamsnn_measured)" siamsnn_measured
row "SiamSNN: energy per frame, measured" "$(energy_of siamsnn_measured)" siamsnn_measured
row "SiamSNN: energy terms, measured" "$(terms_of siamsnn_measured)" siamsnn_measured
run siamsnn_bysign $T compile examples/siamsnn/siamsnn.yaml --target truenorth-32x32 --partial-sums by-sign --measure-ticks 0
row "SiamSNN, \`--partial-sums by-sign\`: cores, chips; bounds" "$(cores_of siamsnn_bysign) cores on $(chips_of siamsnn_bysign) chips; $(bounds_of siamsnn_bysign)" siamsnn_bysign

section "Full size: DeepLab" \
"examples/deeplab/deeplab.yaml (VGG-16 DeepLab-LargeFOV, 3x224x224, synthetic trinary weights) on truenorth-32x32; one frame is the photograph at 3x224x224, rate-coded for 64 ticks, run to tick 100."
full_compile deeplab DeepLab examples/deeplab/deeplab.yaml
block deeplab_compile "Per layer" "$(table_of deeplab_compile)"
block deeplab_compile "Stage profile" "$(profile_of deeplab_compile)"
block deeplab_compile "Sampled error of each split layer" "$(samples_of deeplab_compile)"
section "Full size: DeepLab, frame and energy"
run deeplab_frame $T emulate "$OUT/deeplab.npz" --input examples/deeplab/frame-image.npy --encoding rate --present 64 --ticks 100 -o "$OUT/deeplab.frame.json"
row "DeepLab: one frame, wall time and peak memory" "$(time_and_peak deeplab_frame)" deeplab_frame
full_report deeplab DeepLab examples/deeplab/deeplab.yaml

section "Full size: FCN" \
"examples/fcn/fcn.yaml (FCN-8s on the VGG-16 encoder, 3x224x224, synthetic trinary weights) on truenorth-32x32."
full_compile fcn FCN examples/fcn/fcn.yaml
block fcn_compile "Per layer" "$(table_of fcn_compile)"
full_report fcn FCN examples/fcn/fcn.yaml

section "Full size: dl-vgg9" \
"Kim, Chough & Panda's spiking DeepLab as their code builds it. Its LIF decay becomes a fractional leak that integer weights cannot hold without scaling, and a neuron's leak changes no core count, so these copies use \`model: if\`; the 3x64x64 copy also sets the input shape (docs/workloads.md)."
for size in 64 256; do
    run_sh "vgg$size" "sed 's/shape: \[3, 256, 256\]/shape: [3, $size, $size]/; s/model: lif, decay: 0.99,/model: if,/' examples/deeplab/dl-vgg9.yaml > $OUT/dl-vgg9-$size.yaml"
    full_compile "dl-vgg9-$size" "dl-vgg9 3x${size}x${size}" "$OUT/dl-vgg9-$size.yaml"
done
block dl-vgg9-256_compile "Sampled error of each split layer, 3x256x256" "$(samples_of dl-vgg9-256_compile)"
full_report dl-vgg9-256 "dl-vgg9 3x256x256" "$OUT/dl-vgg9-256.yaml" 20
run_sh vggddd "sed 's/model: lif, decay: 0.99,/model: if,/' examples/deeplab/dl-vgg9-ddd17.yaml > $OUT/dl-vgg9-ddd17.yaml"
run vggddd_compile $T compile "$OUT/dl-vgg9-ddd17.yaml" --target truenorth-32x32
row "dl-vgg9 2x200x346 (DDD17): cores, chips; bounds" "$(cores_of vggddd_compile) cores on $(chips_of vggddd_compile) chips; $(bounds_of vggddd_compile)" vggddd_compile
row "dl-vgg9 2x200x346 (DDD17): latency in ticks" "$(latency_of vggddd_compile)" vggddd_compile
row "dl-vgg9 2x200x346 (DDD17): compile, wall time and peak memory" "$(time_and_peak vggddd_compile)" vggddd_compile
fi

# ---------------------------------------------------------------------------------------
CPU=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
MEM=$(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)
OS=$( . /etc/os-release 2>/dev/null; echo "${PRETTY_NAME:-$(uname -s)}, kernel $(uname -r)")
SWIFT_VERSION=$(swift --version 2>&1 | head -1)
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
DIRTY=$(git status --porcelain --untracked-files=no 2>/dev/null | grep -v ' docs/results.md$' | grep -q . && echo " (with uncommitted changes)")
KERNELS=$(log bench_emulator | sed -n 's/^fast emulator ([0-9]* threads, \([a-z0-9]*\) kernels).*/\1/p')
{
    echo "# Results"
    echo
    echo "Every measured figure the other pages refer to: times, memory, speeds, core counts,"
    echo "energies, accuracies and errors. This page is written whole by \`make results\`"
    echo "(\`tools/results/results.sh\`); each value is parsed from the output of the command beside it,"
    echo "run from the repository root on a release build. Logs of the last run: \`$LOG/\`."
    echo
    echo "- Generated: $(date -u '+%Y-%m-%d %H:%M UTC') by \`$([ "$QUICK" = 1 ] && echo "RESULTS_QUICK=1 make results" || echo "make results")\` ($MODE)"
    echo "- Commit: $COMMIT$DIRTY"
    echo "- Machine: $CPU; $(nproc) CPUs; $MEM; $OS"
    echo "- Swift: $SWIFT_VERSION; emulator kernels chosen at run time: ${KERNELS:-unknown}"
    echo
    echo "The machine may be shared: times vary from run to run (by up to a quarter on a shared"
    echo "2-core machine). Commands name \`.build/release/tessera\`; maps and outputs are written to \`$OUT/\`."
    [ "$QUICK" = 1 ] && { echo; echo "This run left out the full-size networks, Brian2, MPI and the NIR and QCFS segmentation: \`make results\` runs them."; }
    cat "$BODY"
} > "$DOC.tmp" && mv "$DOC.tmp" "$DOC"
echo "results: wrote $DOC" >&2
if [ ${#FAILED[@]} -gt 0 ]; then
    echo "results: ${#FAILED[@]} command(s) failed: ${FAILED[*]} (logs in $LOG)" >&2
    exit 1
fi

#!/usr/bin/env bash
# make bench-full: compiles and emulates the full-size examples on truenorth-32x32 and
# prints each figure beside its target (docs/performance.md, "Full size"). Release build,
# one run at a time: a full-size DeepLab compile and frame take minutes and gigabytes.
# Not part of CI. Usage: tools/bench/full.sh [OUT_DIR] (default /tmp/tessera-bench-full;
# the maps and emulation outputs are written there).
set -euo pipefail
cd "$(dirname "$0")/../.."
T=.build/release/tessera
OUT=${1:-/tmp/tessera-bench-full}
mkdir -p "$OUT"
[ -x "$T" ] || { echo "build first: swift build -c release" >&2; exit 1; }
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (Debian package time)" >&2; exit 1; }

ROWS=()
# row NAME MEASURED TARGET MET
row() { ROWS+=("$(printf '| %s | %s | %s | %s |' "$1" "$2" "$3" "$4")"); }
# timed LOG CMD...: runs CMD with its output in LOG; sets SECONDS_TAKEN and PEAK_GB.
timed() {
    local log=$1; shift
    /usr/bin/time -f "bench-full: %e s %M KB" -o "$log.time" "$@" > "$log" 2>&1 || { echo "failed: $* (see $log)" >&2; tail -5 "$log" >&2; exit 1; }
    SECONDS_TAKEN=$(awk '{print $2}' "$log.time")
    PEAK_GB=$(awk '{printf "%.2f", $4 * 1024 / 1e9}' "$log.time")
}
# at_most X LIMIT: "yes" when X <= LIMIT.
at_most() { awk -v x="$1" -v l="$2" 'BEGIN { print (x <= l ? "yes" : "no") }'; }
cores_of() { sed -n 's/^\([0-9]*\) cores on .*/\1/p' "$1" | tail -1; }
crossings_of() { sed -n 's/^placement: expected .* spike hops and \([0-9.]*\) chip crossings per tick.*/\1/p' "$1" | tail -1; }

echo "compiling full-size SiamSNN"
timed "$OUT/siamsnn.compile.log" $T compile examples/siamsnn/siamsnn.yaml --target truenorth-32x32 -o "$OUT/siamsnn.npz" --profile
row "SiamSNN compile -o: seconds ($(cores_of "$OUT/siamsnn.compile.log") cores)" "$SECONDS_TAKEN" "at most 15" "$(at_most "$SECONDS_TAKEN" 15)"
row "SiamSNN compile -o: peak GB" "$PEAK_GB" "at most 1" "$(at_most "$PEAK_GB" 1)"

echo "emulating one SiamSNN frame"
timed "$OUT/siamsnn.emulate.log" $T emulate "$OUT/siamsnn.npz" --input exemplar=examples/siamsnn/frame-exemplar.npy \
    --input search=examples/siamsnn/frame-search.npy --encoding rate --present 64 --ticks 77 -o "$OUT/siamsnn.frame.json"
row "SiamSNN frame: seconds" "$SECONDS_TAKEN" "at most 40" "$(at_most "$SECONDS_TAKEN" 40)"

# dl-vgg9 at 3x64x64 and 3x256x256: time and memory per core within 1.5x (O(cores)). Its
# LIF decay becomes a fractional leak, which integer weights cannot hold without scaling,
# so the copies use `model: if` (a neuron's leak changes no core count; docs/workloads.md).
declare -A US KB
for size in 64 256; do
    net="$OUT/dl-vgg9-$size.yaml"
    sed "s/shape: \[3, 256, 256\]/shape: [3, $size, $size]/; s/model: lif, decay: 0.99,/model: if,/" examples/deeplab/dl-vgg9.yaml > "$net"
    echo "compiling dl-vgg9 at 3x${size}x${size}"
    timed "$OUT/dl-vgg9-$size.compile.log" $T compile "$net" --target truenorth-32x32 -o "$OUT/dl-vgg9-$size.npz" --profile
    cores=$(cores_of "$OUT/dl-vgg9-$size.compile.log")
    US[$size]=$(awk -v s="$SECONDS_TAKEN" -v c="$cores" 'BEGIN { printf "%.1f", s * 1e6 / c }')
    KB[$size]=$(awk -v m="$PEAK_GB" -v c="$cores" 'BEGIN { printf "%.2f", m * 1e6 / c }')
    row "dl-vgg9 3x${size}x${size} compile -o ($cores cores): µs and KB per core" "${US[$size]} µs, ${KB[$size]} KB" "" ""
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { r = a > b ? a / b : b / a; printf "%.2f", r }'; }
row "dl-vgg9 256 against 64: time per core" "$(ratio "${US[256]}" "${US[64]}")x" "within 1.5x" "$(at_most "$(ratio "${US[256]}" "${US[64]}")" 1.5)"
row "dl-vgg9 256 against 64: memory per core" "$(ratio "${KB[256]}" "${KB[64]}")x" "within 1.5x" "$(at_most "$(ratio "${KB[256]}" "${KB[64]}")" 1.5)"

echo "compiling full-size DeepLab"
timed "$OUT/deeplab.compile.log" $T compile examples/deeplab/deeplab.yaml --target truenorth-32x32 -o "$OUT/deeplab.npz" --profile
row "DeepLab compile -o: seconds ($(cores_of "$OUT/deeplab.compile.log") cores)" "$SECONDS_TAKEN" "at most 60" "$(at_most "$SECONDS_TAKEN" 60)"
row "DeepLab compile -o: peak GB" "$PEAK_GB" "at most 4" "$(at_most "$PEAK_GB" 4)"
crossings=$(crossings_of "$OUT/deeplab.compile.log")
row "DeepLab expected chip crossings per tick" "$crossings" "at most ${DEEPLAB_CROSSINGS_BASELINE:=94603430}" "$(at_most "$crossings" "$DEEPLAB_CROSSINGS_BASELINE")"

echo "emulating one DeepLab frame"
timed "$OUT/deeplab.emulate.log" $T emulate "$OUT/deeplab.npz" --input examples/deeplab/frame-image.npy --encoding rate --present 64 --ticks 100 -o "$OUT/deeplab.frame.json"
row "DeepLab frame: seconds" "$SECONDS_TAKEN" "at most 240" "$(at_most "$SECONDS_TAKEN" 240)"
row "DeepLab frame: peak GB" "$PEAK_GB" "at most 8" "$(at_most "$PEAK_GB" 8)"

echo
echo "Full size on $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(date -u +%Y-%m-%d):"
echo "| figure | measured | target | met |"
echo "|---|---|---|---|"
printf '%s\n' "${ROWS[@]}"
echo "Each compile's stage profile is at the end of its log in $OUT (*.compile.log)."

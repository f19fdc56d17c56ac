#!/bin/sh
# Replays the inputs a fuzz run reported (crash-*, timeout-*, oom-* in DIR) through the
# release `tessera check`, as a user's run would read them, and says how each ends. A file
# refused with an error (exit 1) is handled; a signal (exit >= 128) or a hang past 30 s is
# a bug of Tessera's. Used for the NIR target, whose fuzz build leaves out the structure
# walk in a child process that the release binary does (docs/reliability.md).
#
#     tools/fuzz/triage.sh /tmp/fuzz-nir nir
set -u
dir=$1 ext=$2
tessera=${TESSERA:-.build/release/tessera}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
status=0
for f in "$dir"/crash-* "$dir"/timeout-* "$dir"/oom-*; do
    [ -f "$f" ] || continue
    cp "$f" "$scratch/input.$ext"
    timeout 30 "$tessera" check "$scratch/input.$ext" > /dev/null 2> "$scratch/err"
    code=$?
    if [ $code -eq 1 ]; then
        echo "refused: $(basename "$f"): $(grep -m1 error "$scratch/err" | sed "s|$scratch/input.$ext|FILE|" | cut -c1-160)"
    else
        echo "BUG ($code): $(basename "$f")"
        status=1
    fi
done
exit $status

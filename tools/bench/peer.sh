#!/bin/sh
# `make bench`, second part: the benchmark network in Brian2, the simulator a user would
# otherwise pick, beside Tessera (tools/bench/brian2_peer.py): a fully used 256-core network
# and the full 4,096-core chip, spike for spike, with the time ratio. Brian2 comes from PyPI
# into a virtual environment of its own (.build-bench/venv); without Python or PyPI the
# comparison is skipped with a message and the benchmark still succeeds.
#
#   tools/bench/peer.sh [CORES...]      default: 256 4096 (the full chip takes about 3
#                                       minutes and 11 GB, most of it Brian2's)
set -u
VENV=.build-bench/venv
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import brian2" 2>/dev/null; then
    echo "== brian2 peer: creating $VENV (brian2 from PyPI, tools/bench/requirements.txt)"
    if ! { python3 -m venv "$VENV" && "$VENV/bin/pip" install -q -r tools/bench/requirements.txt; } >/dev/null 2>&1; then
        echo "brian2 peer skipped: could not install Brian2 (python3 -m venv, pip install -r tools/bench/requirements.txt)"
        exit 0
    fi
fi
status=0
for cores in ${@:-256 4096}; do
    ticks=1000 repeat=1
    [ "$cores" -le 256 ] && ticks=500 repeat=3
    echo "== brian2 peer: $cores fully used TrueNorth cores, $ticks ticks"
    .build/release/tessera-bench "$ticks" peer ".build-bench/peer-$cores" "$cores" || exit 1
    "$VENV/bin/python" tools/bench/brian2_peer.py ".build-bench/peer-$cores" --tessera .build/release/tessera --repeat "$repeat" || status=1
done
exit $status

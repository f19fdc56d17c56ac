#!/usr/bin/env python3
"""Runs a Tessera core map in Brian2, the simulator a user would otherwise pick, and
compares it with Tessera's own run: spike for spike, and in time.

    python brian2_peer.py DIR [--threads 2] [--tessera .build/release/tessera]

DIR holds what `tessera-bench TICKS peer DIR CORES` wrote: `map.npz` (core map v2),
`tessera.json` (Tessera's timed run) and `tessera-spikes.i32` (every spike it fired, as
int32 pairs tick, core * neurons + index). The script builds the same network in Brian2's
C++ standalone mode (its fastest on this machine), runs it for the same ticks, checks that
every neuron fires in the same ticks as in Tessera, and prints both times and their ratio.
With --tessera it also times the whole `tessera emulate DIR/map.npz` process, which, like
Brian2's binary, loads the network from disk before running it.

The model, tick for tick, as docs/emulator.md gives it: an axon spike adds the weight of
its axon type to every neuron its crossbar row connects; then each neuron's potential is
clamped to the membrane range, leaks, is clamped, and is compared with its thresholds (a
neuron that fires is reset, one below -beta saturates or is reset); a spike reaches its
axon `delay` ticks later. In Brian2, one time step of 1 ms is one tick:

- Axons are a group of their own (`hit`), so that several neurons sending to one axon in
  one tick merge into one axon spike, as on the chip. An axon fires in the thresholds slot
  if hit, and is cleared in the resets slot.
- Axon-to-neuron synapses (the crossbars, weight per synapse) add `w` in the synapses slot.
- The neurons' clamp, leak and negative side run after the resets slot, then their
  threshold and reset, in that order.
- Neuron-to-axon synapses (one per neuron) run in the end slot with delay (d - 1) ms, so
  the axon fires d steps after its neuron.

What differs: Brian2 holds potentials and weights as float64 (every value here is an
integer far below 2^53, so sums are exact); it records spikes with a SpikeMonitor, which
Tessera's timed run does not (its spikes are recorded in a second, untimed run).
Stochastic neurons, leak reversal and threshold masks are refused: their random draws
follow Tessera's own generator, which Brian2 does not have.
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np


def load_map(path):
    z = np.load(path)
    header = json.loads(bytes(z["header"]).decode())
    return header, {k: z[k] for k in z.files if k != "header"}


def build_network(header, a, membrane):
    """The map as flat arrays: per neuron its parameters and code, axon-to-neuron synapses
    (pre axon, post neuron, weight) and neuron-to-axon synapses (neuron, axon, delay)."""
    axons = header["core"]["axons"]
    neurons_per_core = header["core"]["neurons"]
    block_start = a["block_start"]
    flags = a["block_flags"]
    if np.any(flags != 0) or np.any(a["block_threshold_mask"] != 0):
        sys.exit("brian2 peer: the map has stochastic neurons, leak reversal or threshold masks, "
                 "whose random draws Brian2 cannot repeat; only deterministic maps are compared")
    if len(a["input_start"]) > 1:
        sys.exit("brian2 peer: the map has input ports; only self-driven maps (no external input) are compared")
    cores = len(a["core_neurons"])
    start = a["core_neuron_start"]
    count = int(start[-1])
    # Neuron g of the network is destination entry g: core c's neurons are entries
    # start[c] ..< start[c + 1], in its block's order.
    bits = np.unpackbits(a["crossbars"].view(np.uint8), axis=-1, bitorder="little")[:, :, :neurons_per_core]
    params = {k: np.empty(count, dtype=np.float64) for k in ["leak", "alpha", "beta", "R", "v"]}
    modes = {k: np.empty(count, dtype=np.float64) for k in ["rlin", "rnorm", "nsat"]}
    code = np.empty(count, dtype=np.int64)
    pre, post, weight = [], [], []
    cache = {}
    for c in range(cores):
        b = int(a["core_neurons"][c])
        lo, hi = int(block_start[b]), int(block_start[b + 1])
        g0 = int(start[c])
        index = a["block_index"][lo:hi]
        sl = slice(g0, g0 + hi - lo)
        params["leak"][sl] = a["block_leak"][lo:hi]
        params["alpha"][sl] = a["block_threshold"][lo:hi]
        params["beta"][sl] = a["block_neg_threshold"][lo:hi]
        params["R"][sl] = a["block_reset_potential"][lo:hi]
        params["v"][sl] = a["block_initial_potential"][lo:hi]
        modes["rlin"][sl] = a["block_reset"][lo:hi] == 1
        modes["rnorm"][sl] = a["block_reset"][lo:hi] == 0
        modes["nsat"][sl] = a["block_negative"][lo:hi] == 0
        code[sl] = c * neurons_per_core + index
        key = (int(a["core_crossbar"][c]), int(a["core_axon_types"][c]), b)
        if key not in cache:
            rows, ks = np.nonzero(bits[key[0]][:, index])
            types = a["axon_types"][key[1]][rows]
            cache[key] = (rows.astype(np.int64), ks.astype(np.int64), a["block_weights"][lo + ks, types].astype(np.float64))
        rows, ks, w = cache[key]
        pre.append(c * axons + rows)
        post.append(g0 + ks)
        weight.append(w)
    kind = a["dest_kind"]
    to_axon = np.nonzero(kind == 1)[0]
    send = (to_axon, a["dest_target"][to_axon].astype(np.int64) * axons + a["dest_index"][to_axon],
            a["dest_delay"][to_axon].astype(np.int64))
    return dict(count=count, axon_count=cores * axons, params=params, modes=modes, code=code,
                pre=np.concatenate(pre), post=np.concatenate(post), weight=np.concatenate(weight), send=send,
                membrane=membrane)


def run_brian2(net, ticks, threads, directory, repeat):
    import brian2 as b2
    # Brian2 warns that its OpenMP code is "not yet well tested"; the spikes are compared below.
    b2.BrianLogger.suppress_name("openmp")
    b2.set_device("cpp_standalone", directory=directory, build_on_run=False)
    b2.prefs.devices.cpp_standalone.openmp_threads = threads
    b2.defaultclock.dt = 1 * b2.ms
    lo, hi = (float(x) for x in net["membrane"])
    namespace = {"lo": lo, "hi": hi}
    eqs = """v : 1
    leak : 1 (constant)
    alpha : 1 (constant)
    beta : 1 (constant)
    R : 1 (constant)
    rlin : 1 (constant)
    rnorm : 1 (constant)
    nsat : 1 (constant)"""
    N = b2.NeuronGroup(net["count"], eqs, threshold="v >= alpha",
                       reset="v = clip(rlin * (v - alpha) + rnorm * R + (1 - rlin - rnorm) * v, lo, hi)",
                       namespace=namespace, name="neurons")
    # Clamp after integration, leak, clamp, then the negative side (a neuron below -beta
    # cannot also be at alpha, as alpha >= 0 >= -beta): saturate at -beta, or the mirror of
    # the positive reset.
    N.run_regularly("""v = clip(clip(v, lo, hi) + leak, lo, hi)
    below = int(v < -beta)
    v = below * (nsat * (-beta) + (1 - nsat) * (rlin * (v + beta) + rnorm * (-R) + (1 - rlin - rnorm) * v)) + (1 - below) * v""",
                    when="after_resets", order=0, name="leak")
    N.thresholder["spike"].when = "after_resets"
    N.thresholder["spike"].order = 1
    N.resetter["spike"].when = "after_resets"
    N.resetter["spike"].order = 2
    for k, value in net["params"].items():
        setattr(N, k, value)
    for k, value in net["modes"].items():
        setattr(N, k, value)
    A = b2.NeuronGroup(net["axon_count"], "hit : 1", threshold="hit > 0", reset="hit = 0", name="axons")
    crossbar = b2.Synapses(A, N, "w : 1 (constant)", on_pre="v_post += w", name="crossbar")
    crossbar.connect(i=net["pre"], j=net["post"])
    crossbar.w = net["weight"]
    source, target, delay = net["send"]
    routes = b2.Synapses(N, A, on_pre="hit_post = 1", name="routes")
    routes.connect(i=source, j=target)
    routes.delay = (delay - 1) * b2.ms
    routes.pre.when = "end"
    monitor = b2.SpikeMonitor(N, name="spikes")
    b2.run(ticks * b2.ms)
    started = time.perf_counter()
    b2.device.build(directory=directory, compile=True, run=False)
    compile_seconds = time.perf_counter() - started
    # The best of `repeat` runs of the binary (and of its loop): this machine is shared.
    binary_seconds, loop_seconds = float("inf"), None
    info = os.path.join(directory, "results", "last_run_info.txt")
    for _ in range(repeat):
        started = time.perf_counter()
        b2.device.run(directory=directory, with_output=False, run_args=[])
        binary_seconds = min(binary_seconds, time.perf_counter() - started)
        if os.path.exists(info):
            loop = float(open(info).read().split()[0])
            loop_seconds = loop if loop_seconds is None else min(loop_seconds, loop)
    return np.asarray(monitor.i[:], dtype=np.int64), np.rint(np.asarray(monitor.t[:] / b2.ms)).astype(np.int64), \
        compile_seconds, binary_seconds, loop_seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--tessera", help="the tessera binary, to time `tessera emulate MAP` as a whole process")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each binary; the best counts (default 1)")
    args = parser.parse_args()
    d = args.directory
    figures = json.load(open(os.path.join(d, "tessera.json")))
    ticks = figures["ticks"]
    header, arrays = load_map(os.path.join(d, "map.npz"))
    started = time.perf_counter()
    net = build_network(header, arrays, figures["membrane"])
    print(f"brian2 peer: {figures['cores']} cores, {net['count']} neurons, {len(net['pre'])} synapses, "
          f"{ticks} ticks; network built from the map in {time.perf_counter() - started:.1f} s")
    i, t, compile_seconds, binary_seconds, loop_seconds = run_brian2(net, ticks, args.threads, os.path.join(d, "brian2"), args.repeat)

    # Spike for spike: the same (tick, neuron) pairs.
    ours = np.fromfile(os.path.join(d, "tessera-spikes.i32"), dtype=np.int32).reshape(-1, 2).astype(np.int64)
    theirs = np.stack([t, net["code"][i]], axis=1)
    ours = ours[np.lexsort((ours[:, 1], ours[:, 0]))]
    theirs = theirs[np.lexsort((theirs[:, 1], theirs[:, 0]))]
    identical = ours.shape == theirs.shape and bool(np.all(ours == theirs))
    if not identical:
        common = min(len(ours), len(theirs))
        first = next((k for k in range(common) if not np.array_equal(ours[k], theirs[k])), common)
        print(f"brian2 peer: SPIKES DIFFER: tessera {len(ours)}, brian2 {len(theirs)}; first difference at spike {first} "
              f"(tessera {ours[first].tolist() if first < len(ours) else None}, brian2 {theirs[first].tolist() if first < len(theirs) else None})")

    result = dict(cores=figures["cores"], ticks=ticks, spikes=len(theirs), identical=identical,
                  tessera_run_seconds=figures["seconds"], tessera_threads=figures["threads"], tessera_kernels=figures["kernels"],
                  brian2_threads=args.threads, brian2_compile_seconds=compile_seconds,
                  brian2_binary_seconds=binary_seconds, brian2_loop_seconds=loop_seconds)
    line = (f"brian2 peer: {len(theirs)} spikes, {'identical to Tessera' if identical else 'NOT identical'}; "
            f"Brian2 {b2_version()} C++ standalone ({args.threads} OpenMP threads, best of {args.repeat}): binary {binary_seconds:.2f} s"
            + (f" (its run loop {loop_seconds:.2f} s)" if loop_seconds is not None else "")
            + f", compiled in {compile_seconds:.1f} s; Tessera's run {figures['seconds']:.3f} s "
            f"({figures['threads']} threads, {figures['kernels']}): "
            + (f"{loop_seconds / figures['seconds']:.1f} x faster than Brian2's loop, " if loop_seconds else "")
            + f"{binary_seconds / figures['seconds']:.1f} x faster than its binary")
    if args.tessera:
        # The benchmark networks drive themselves: an input file with no spikes.
        no_input = os.path.join(d, "no-input.json")
        json.dump({"ticks": 0, "spikes": {}}, open(no_input, "w"))
        whole = float("inf")
        for _ in range(args.repeat):
            started = time.perf_counter()
            subprocess.run([args.tessera, "emulate", os.path.join(d, "map.npz"), "--spikes", no_input, "--ticks", str(ticks),
                            "-o", os.path.join(d, "tessera-out.json")],
                           check=True, stdout=subprocess.DEVNULL)
            whole = min(whole, time.perf_counter() - started)
        result["tessera_process_seconds"] = whole
        line += f"; `tessera emulate` as a whole process (load + run) {whole:.2f} s = {binary_seconds / whole:.1f} x faster than Brian2's binary"
    print(line)
    json.dump(result, open(os.path.join(d, "peer.json"), "w"), indent=1, sort_keys=True)
    sys.exit(0 if identical else 1)


def b2_version():
    import brian2
    return brian2.__version__


if __name__ == "__main__":
    main()

"""How often a compiled NIR network decides as its float reference: the figure docs/nir.md
gives for the framework fixtures (class = the output neuron with the most spikes).

Draws N Bernoulli(p) event inputs of T ticks (numpy default_rng(seed), the shape of the
fixture's own input), compiles the network with the given options, emulates the map and
runs `tessera simulate` (the float reference, which equals the framework on the fixtures),
and prints how many of the N decisions agree. Needs numpy only.

    python3 tools/nir/chip_decisions.py Tests/TesseraTests/Fixtures/nir/frameworks/sinabs-float.nir \
        --from sinabs --quantise 8
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

parser = argparse.ArgumentParser()
parser.add_argument("nir")
parser.add_argument("--tessera", default=".build/release/tessera")
parser.add_argument("--samples", type=int, default=200)
parser.add_argument("--ticks", type=int, default=20)
parser.add_argument("--p", type=float, default=0.3)
parser.add_argument("--seed", type=int, default=5)
parser.add_argument("--from", dest="writer", required=True, help="the writer's semantics, for compile and simulate")
parser.add_argument("--reset", help="a reset mode, for compile and simulate")
args, options = parser.parse_known_args()  # the rest go to compile only (--quantise 8, ...)
semantics = ["--from", args.writer] + (["--reset", args.reset] if args.reset else [])

like = np.load(args.nir[: -len(".nir")] + ".input.npy")
shape = (args.samples, args.ticks) + like.shape[2:]
events = (np.random.default_rng(args.seed).random(shape) < args.p).astype(np.uint8)


def decisions(result, latency=0):
    """Per sample, the output neuron with the most spikes in ticks latency ..< latency + T."""
    out = []
    for sample in result["samples"]:
        (port,) = sample["outputs"].values()
        counts = np.zeros(port["shape"][0], dtype=int)
        for t, i in port["spikes"]:
            if latency <= t < latency + args.ticks:
                counts[i] += 1
        out.append(int(np.argmax(counts)))
    return out


with tempfile.TemporaryDirectory() as tmp:
    inputs = os.path.join(tmp, "events.npy")
    np.save(inputs, events)
    core_map = os.path.join(tmp, "map.npz")
    run = lambda *a: subprocess.run([args.tessera, *a], check=True, capture_output=True, text=True)
    compiled = run("compile", args.nir, *semantics, *options, "-o", core_map).stdout
    # "latency in ticks: PORT TICKS; ...": the map's output lags the input by that much.
    latency = int(compiled.split("latency in ticks: ")[1].split(";")[0].split()[-1])
    run("emulate", core_map, "--input", inputs, "--encoding", "events", "--ticks", str(args.ticks + latency), "-o", os.path.join(tmp, "chip.json"))
    run("simulate", args.nir, *semantics, "--input", inputs, "--encoding", "events", "--ticks", str(args.ticks), "-o", os.path.join(tmp, "float.json"))
    chip = decisions(json.load(open(os.path.join(tmp, "chip.json"))), latency)
    ref = decisions(json.load(open(os.path.join(tmp, "float.json"))))
agree = sum(a == b for a, b in zip(chip, ref))
print(f"{os.path.basename(args.nir)} {' '.join(semantics + options)}: {agree} / {len(ref)} decisions agree with the float reference")
sys.exit(0 if len(chip) == len(ref) else 1)

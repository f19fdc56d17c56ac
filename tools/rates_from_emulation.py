"""Per-layer firing rates measured by `tessera emulate`, as a rates file for
`tessera report --rates` (the analytic estimate at the measured rates).

A layer's rate is its cores' spikes over the run divided by their used neurons (copies for
fan-out, partial sums and merges included, as the analytic report counts them) and by the
ticks run. Reads a v2 core map (.npz) with numpy only.

    python3 tools/rates_from_emulation.py siamsnn.npz frame.json > rates.json
    tessera report siamsnn.npz --rates rates.json --ticks 64
"""
import json
import sys

import numpy as np

map_path, run_path = sys.argv[1], sys.argv[2]
z = np.load(map_path)
header = json.loads(z["header"].tobytes())
layer = z["core_layer"]
used = np.diff(z["core_neuron_start"])
run = json.load(open(run_path))
names = run["layerSpikes"]["names"]
spikes = np.asarray(run["layerSpikes"]["perTick"], dtype=np.int64).sum(axis=0)
ticks = run["ticks"]
rates = {}
for k, label in enumerate(header["layers"]):
    neurons = int(used[layer == k].sum())
    if label["name"] in names and neurons > 0:
        rates[label["name"]] = float(spikes[names.index(label["name"])]) / (neurons * ticks)
print(json.dumps({"rates": rates, "source": f"measured by tessera emulate ({run_path}, {ticks} ticks)"}, indent=1, sort_keys=True))

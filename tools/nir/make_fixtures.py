"""Writes the NIR fixtures under Tests/TesseraTests/Fixtures/nir with the real `nir` package
(pip install -r tools/nir/requirements.txt). Run from the repository root:

    python3 -m venv /tmp/nirvenv && /tmp/nirvenv/bin/pip install -r tools/nir/requirements.txt
    /tmp/nirvenv/bin/python tools/nir/make_fixtures.py
"""
import os
import numpy as np
import nir

out = "Tests/TesseraTests/Fixtures/nir"
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(7)

# Conv2d 3x3 to 4 channels, stride 1, padding 1; nir.write compresses with gzip (1.0.8).
conv_w = rng.integers(-2, 3, size=(4, 2, 3, 3)).astype(np.float32)


def conv_pool_dense(fc_weight, fc_bias, last, neuron):
    """The fixtures' topology: input (2, 6, 6) -> Conv2d (conv_w) -> IF (threshold 2) ->
    SumPool2d 2 -> Flatten -> Affine 36 -> 3 -> `neuron` named `last` -> Output."""
    return nir.NIRGraph(
        nodes={
            "input": nir.Input(input_type=np.array([2, 6, 6])),
            "conv": nir.Conv2d(input_shape=(6, 6), weight=conv_w, stride=1, padding=1, dilation=1, groups=1, bias=np.zeros(4, np.float32)),
            "if1": nir.IF(r=np.ones((4, 6, 6), np.float32), v_threshold=np.full((4, 6, 6), 2.0, np.float32), v_reset=np.zeros((4, 6, 6), np.float32)),
            "pool": nir.SumPool2d(kernel_size=np.array([2, 2]), stride=np.array([2, 2]), padding=np.array([0, 0])),
            "flat": nir.Flatten(input_type={"input": np.array([4, 3, 3])}, start_dim=0, end_dim=-1),
            "fc": nir.Affine(weight=fc_weight, bias=fc_bias),
            last: neuron,
            "output": nir.Output(output_type=np.array([3])),
        },
        edges=[("input", "conv"), ("conv", "if1"), ("if1", "pool"), ("pool", "flat"), ("flat", "fc"), ("fc", last), (last, "output")],
    )


# The LIF output (tau 0.02, r 1, threshold 1) and float biases.
graph = conv_pool_dense(rng.integers(-1, 2, size=(3, 36)).astype(np.float32), np.array([0.0, 0.5, -0.5], np.float32), "lif",
                        nir.LIF(tau=np.full(3, 0.02), r=np.ones(3), v_leak=np.zeros(3), v_threshold=np.ones(3), v_reset=np.zeros(3)))
nir.write(f"{out}/conv-if-lif.nir", graph)

# Whole-number weights, zero biases and IF neurons only (thresholds 2 and 3, reset to 0):
# an integer network, which compiles without conversion. (Biases are zero because the IR
# adds a layer's bias from tick 0, before the first spikes reach a deeper layer;
# docs/nir.md.)
graph_int = conv_pool_dense(rng.integers(-1, 2, size=(3, 36)).astype(np.float32), np.zeros(3, np.float32), "if2",
                            nir.IF(r=np.ones(3, np.float32), v_threshold=np.full(3, 3.0, np.float32), v_reset=np.zeros(3, np.float32)))
nir.write(f"{out}/conv-if-int.nir", graph_int)

# The published defect (paper/03_rnn/extras): a nested graph whose edges name "lif" while
# its node is stored as "lif1". Built without the constructor's type check.
inner = nir.NIRGraph(
    nodes={"input": nir.Input(input_type=np.array([2])), "lif1": nir.LIF(tau=np.full(2, 0.02), r=np.ones(2), v_leak=np.zeros(2), v_threshold=np.ones(2), v_reset=np.zeros(2)),
           "output": nir.Output(output_type=np.array([2]))},
    edges=[("input", "lif"), ("lif", "output")], type_check=False)
outer = nir.NIRGraph(
    nodes={"input": nir.Input(input_type=np.array([2])), "fc": nir.Linear(weight=np.eye(2, dtype=np.float32)), "sub": inner, "output": nir.Output(output_type=np.array([2]))},
    edges=[("input", "fc"), ("fc", "sub"), ("sub", "output")], type_check=False)
nir.write(f"{out}/dangling-edge.nir", outer)
print("wrote", os.listdir(out))

# Malformed files, edited with h5py from the good one: an unknown primitive, a NaN weight,
# no version.
import shutil
import h5py

for name, edit in [
    ("unknown-primitive.nir", lambda f: (f["node/nodes/conv"].__delitem__("type"), f["node/nodes/conv"].create_dataset("type", data="Conv3d"))),
    ("non-finite.nir", lambda f: f["node/nodes/fc/weight"].__setitem__((1, 2), np.nan)),
    ("no-version.nir", lambda f: f.__delitem__("version")),
]:
    shutil.copy(f"{out}/conv-if-lif.nir", f"{out}/{name}")
    with h5py.File(f"{out}/{name}", "r+") as f:
        edit(f)
with h5py.File(f"{out}/conv-if-lif.nir") as f:
    print("fc weight row 0:", f["node/nodes/fc/weight"][0, :6], "conv weight [0,0,0]:", f["node/nodes/conv/weight"][0, 0, 0], "version:", f["version"][()])

# Files that read but do not lower, each edited from the good one (h5py) or built with the
# constructor's type check off: Tessera must name the node and field, and exit 1.
def edited(name, edit):
    shutil.copy(f"{out}/conv-if-lif.nir", f"{out}/{name}")
    with h5py.File(f"{out}/{name}", "r+") as f:
        edit(f)

def replace(f, path, data):
    del f[path]
    f.create_dataset(path, data=data)

edited("missing-weight.nir", lambda f: f["node/nodes/conv"].__delitem__("weight"))
edited("wrong-shape.nir", lambda f: replace(f, "node/nodes/fc/weight", np.ones((3, 35), np.float32)))
edited("wrong-groups.nir", lambda f: replace(f, "node/nodes/conv/groups", np.int64(3)))
edited("v-reset.nir", lambda f: replace(f, "node/nodes/if1/v_reset", np.full((4, 6, 6), 0.5, np.float32)))
edited("negative-tau.nir", lambda f: replace(f, "node/nodes/lif/tau", np.full(3, -0.02)))
edited("threshold-varies.nir", lambda f: replace(f, "node/nodes/if1/v_threshold", np.arange(144, dtype=np.float32).reshape(4, 6, 6)))
edited("bad-padding.nir", lambda f: replace(f, "node/nodes/conv/padding", "full"))

def write_unchecked(name, nodes, edges):
    nir.write(f"{out}/{name}", nir.NIRGraph(nodes=nodes, edges=edges, type_check=False))

lif3 = lambda: nir.LIF(tau=np.full(3, 0.02), r=np.ones(3), v_leak=np.zeros(3), v_threshold=np.ones(3), v_reset=np.zeros(3))
# A recurrent edge: the LIF layer feeds its own Affine.
write_unchecked("cycle.nir", {"input": nir.Input(input_type=np.array([3])), "fc": nir.Affine(weight=np.eye(3, dtype=np.float32), bias=np.zeros(3, np.float32)),
                "lif": lif3(), "output": nir.Output(output_type=np.array([3]))},
                [("input", "fc"), ("fc", "lif"), ("lif", "fc"), ("lif", "output")])
# CubaLIF, which Tessera does not lower.
write_unchecked("cubalif.nir", {"input": nir.Input(input_type=np.array([3])), "fc": nir.Linear(weight=np.eye(3, dtype=np.float32)),
                "cuba": nir.CubaLIF(tau_syn=np.full(3, 0.01), tau_mem=np.full(3, 0.02), r=np.ones(3), v_leak=np.zeros(3), v_threshold=np.ones(3), v_reset=np.zeros(3)),
                "output": nir.Output(output_type=np.array([3]))},
                [("input", "fc"), ("fc", "cuba"), ("cuba", "output")])
# The output reads a linear node, which does not spike.
write_unchecked("linear-output.nir", {"input": nir.Input(input_type=np.array([3])), "fc": nir.Linear(weight=np.eye(3, dtype=np.float32)),
                "output": nir.Output(output_type=np.array([3]))},
                [("input", "fc"), ("fc", "output")])
# A neuron node summing two chains.
write_unchecked("two-inputs.nir", {"input": nir.Input(input_type=np.array([3])), "a": nir.Linear(weight=np.eye(3, dtype=np.float32)),
                "b": nir.Linear(weight=np.eye(3, dtype=np.float32)), "lif": lif3(), "output": nir.Output(output_type=np.array([3]))},
                [("input", "a"), ("input", "b"), ("a", "lif"), ("b", "lif"), ("lif", "output")])
with open(f"{out}/not-hdf5.nir", "w") as f:
    f.write("input -> conv -> output\n")
print("malformed:", sorted(n for n in os.listdir(out)))

# Event input for conv-if-int.nir: 3 samples of 40 ticks, [N, T, C, H, W], 0/1 as uint8,
# with one count of 2 (an axon takes one spike per tick).
events = (rng.random((3, 40, 2, 6, 6)) < 0.4).astype(np.uint8)
events[0, 0, 0, 0, 0] = 2
np.save(f"{out}/conv-if-int.events.npy", events)

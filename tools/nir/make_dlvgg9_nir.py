"""Write Kim, Chough & Panda's dl-vgg9 at the paper's size (3x256x256, 21 classes) as a NIR
graph with synthetic trinary weights: the paper's own route to the chip (a network built in
a framework and exported to NIR) at full size, for costing, since no trained VOC weights can
be had here. The layers are examples/deeplab/dl-vgg9.yaml's, written as the paper's code
builds them: each average pool feeds the next convolution with no neuron between (the NIR
import composes the two into one kernel), IF neurons (threshold 1, subtract reset, as
Sinabs writes them; a leak changes no core count), no biases, and no upsampling (NIR has no
such node): the output is the 21 x 64 x 64 scores, at output stride 4.

    python3 -m venv /tmp/fwvenv && /tmp/fwvenv/bin/pip install -r tools/nir/frameworks-requirements.txt
    /tmp/fwvenv/bin/python tools/nir/make_dlvgg9_nir.py /tmp/dl-vgg9.nir [--size 256]

About 20 MB at 256 (4.9 M weights); deterministic for its seed.
"""
import argparse

import nir
import numpy as np

parser = argparse.ArgumentParser()
parser.add_argument("out")
parser.add_argument("--size", type=int, default=256)
args = parser.parse_args()

rng = np.random.default_rng(9)
S = args.size
# (name, out channels, dilation), or "pool": the paper's dl-vgg9.
LAYERS = [("conv1", 64, 1), ("conv2", 64, 1), "pool", ("conv3", 128, 1), ("conv4", 128, 1), "pool",
          ("conv5", 256, 1), ("conv6", 256, 2), ("conv7", 256, 2), ("fc6", 1024, 12), ("fc7", 21, 1)]

nodes = {"input": nir.Input(input_type=np.array([3, S, S]))}
edges = []
last, channels, size = "input", 3, S
for layer in LAYERS:
    if layer == "pool":
        name = f"pool{size}"
        nodes[name] = nir.AvgPool2d(kernel_size=np.array([2, 2]), stride=np.array([2, 2]), padding=np.array([0, 0]))
        edges.append((last, name))
        last, size = name, size // 2
        continue
    name, out, dilation = layer
    kernel = 1 if name == "fc7" else 3
    pad = dilation * (kernel // 2)
    # Trinary, a third of each sign and a third zero, as the YAML's init: trinary.
    weight = rng.integers(-1, 2, size=(out, channels, kernel, kernel)).astype(np.float32)
    nodes[name] = nir.Conv2d(input_shape=(size, size), weight=weight, stride=np.array([1, 1]), padding=np.array([pad, pad]),
                             dilation=np.array([dilation, dilation]), groups=1, bias=np.zeros(out, dtype=np.float32))
    neuron = f"{name}_if"
    nodes[neuron] = nir.IF(r=np.ones(1, dtype=np.float32), v_threshold=np.ones(1, dtype=np.float32),
                           v_reset=np.zeros(1, dtype=np.float32))
    edges += [(last, name), (name, neuron)]
    last, channels = neuron, out
nodes["output"] = nir.Output(output_type=np.array([21, S // 4, S // 4]))
edges.append((last, "output"))
# Scalar neuron parameters (one value for the layer) do not type-check against the conv shapes.
nir.write(args.out, nir.NIRGraph(nodes=nodes, edges=edges, type_check=False))
print(f"wrote {args.out}: dl-vgg9 at 3x{S}x{S}, {sum(n.weight.size for n in nodes.values() if isinstance(n, nir.Conv2d)):,} weights")

#!/usr/bin/env python3
"""The QCFS CNN of Fixtures/trained run as the spiking network its training assumes, in
float: integrate-and-fire neurons with threshold lambda, starting at lambda / 2, reset by
subtraction, the input rate-coded as Tessera encodes it (pixel v spikes at tick t iff
floor((t + 1) v + 1/2) > floor(t v + 1/2)), every layer in the same tick. The classifier is read two
ways: by its membrane potential summed over the run (QCFS's own readout), and by spike counts
(a neuron per class with threshold lambda_out, as a chip reads it), for a few lambda_out,
alone or with a negative neuron per class (negated input; the count difference is the
score, Tessera's signed readout).

    /tmp/onnxvenv/bin/python tools/onnx/qcfs_ideal_snn.py

docs/conversion.md ("Trained clips and residual blocks") quotes its output: what the hidden
layers keep of the ANN, apart from the chip's readout, quantisation and timing.
"""
import os

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Tests", "TesseraTests", "Fixtures", "trained")
model = onnx.load(os.path.join(HERE, "qcfs-cnn.onnx"))
W = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in model.graph.initializer}
x = torch.from_numpy(np.load(os.path.join(HERE, "digits.input.npy")))
y = np.load(os.path.join(HERE, "digits.labels.npy"))
l1, l2 = W["a1.lam"].item(), W["a2.lam"].item()


def run(ticks, readout_lambda=None, signed=False):
    n = len(x)
    v1 = torch.full((n, 8, 8, 8), 0.5 * l1)
    v2 = torch.full((n, 16, 4, 4), 0.5 * l2)
    vo = torch.full((n, 10), 0.5 * readout_lambda if readout_lambda else 0.0)
    vn = vo.clone()
    counts = torch.zeros(n, 10)
    for t in range(ticks):
        s0 = torch.floor((t + 1) * x + 0.5) - torch.floor(t * x + 0.5)
        v1 += F.conv2d(s0, W["c1.weight"], W["c1.bias"], padding=1)
        s1 = (v1 >= l1).float()
        v1 -= s1 * l1
        v2 += F.conv2d(s1 * l1, W["c2.weight"], W["c2.bias"], stride=2, padding=1)
        s2 = (v2 >= l2).float()
        v2 -= s2 * l2
        current = F.linear((s2 * l2).flatten(1), W["fc.weight"], W["fc.bias"])
        vo += current
        if readout_lambda:
            so = (vo >= readout_lambda).float()
            vo -= so * readout_lambda
            counts += so
            if signed:
                vn -= current
                sn = (vn >= readout_lambda).float()
                vn -= sn * readout_lambda
                counts -= sn
    scores = counts if readout_lambda else vo
    return float((scores.argmax(1).numpy() == y).mean())


for ticks in [4, 8, 16, 32]:
    spikes = ", ".join(f"lambda_out {lam}: {run(ticks, float(lam)):.4f}" for lam in [1, 4, 18])
    signed = ", ".join(f"lambda_out {lam}: {run(ticks, float(lam), signed=True):.4f}" for lam in [1, 4, 18])
    print(f"T = {ticks}: membrane readout {run(ticks):.4f}; spike counts, {spikes}; signed, {signed}")

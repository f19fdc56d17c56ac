#!/usr/bin/env python3
"""Where the QCFS DeepLab of Fixtures/segmentation loses its ANN's segmentation on the way to
spikes: the network run in float as a chip runs it, with each of the chip's choices on or
off, scored by mean IoU on the 100 test canvases at a few tick counts.

The model (`qcfs-deeplab.onnx`, trained by train_qcfs_segmentation.py): conv 1->8, QCFS,
avgpool 2, conv 8->16, QCFS, avgpool 2, conv 16->32 at dilation 2, QCFS, 1x1 scores, ReLU,
nearest x4. Integrate-and-fire neurons with threshold lambda (each QCFS layer's trained clip;
the scores' 10.43 is the 99.9th percentile Tessera's balancing measures), reset by
subtraction, starting at `--start` of the threshold (QCFS's shift is 1/2). Each stage takes
one tick, as on the chip: a layer of depth d first sees input in tick d - 1, and the frame
runs T + depth ticks, its scores counted over all of them.

What can be switched, as `name=0/1` arguments (all are the chip's behaviour at 0 except
where noted):

  round    input rate-coded from half a spike (`floor(t x + 1/2)` counts: x T rounded)
           rather than from zero (x T rounded down)
  lead     each layer starts `depth - 1` ticks of its bias below its start, so that its bias
           begins with its input (Tessera's reference and maps do this)
  linear   average pools composed into the next convolution (the `compose-pools` pass),
           rather than pooling neurons of threshold 4 that relay the sum a tick later
  copies   K score neurons per pixel and class, started (k + 1/2) / K of a threshold apart,
           whose counts add up (a finer readout, not built in Tessera)
  analog   the scores read as their summed input (QCFS's own readout), not spike counts

    /tmp/onnxvenv/bin/python tools/onnx/qcfs_segmentation_snn.py
    /tmp/onnxvenv/bin/python tools/onnx/qcfs_segmentation_snn.py round=1 lead=1 linear=1 copies=16

Without arguments it prints the table that docs/workloads.md ("The conversion route: QCFS")
quotes. Needs torch and onnx (tools/onnx/requirements.txt).
"""
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, ".."))
from train_segmentation import mean_iou, segment  # noqa: E402  the same reading and score

FIX = os.path.join(HERE, "..", "..", "Tests", "TesseraTests", "Fixtures", "segmentation")
W = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in onnx.load(os.path.join(FIX, "qcfs-deeplab.onnx")).graph.initializer}
X = torch.from_numpy(np.load(os.path.join(FIX, "test_images.npy"))).float()
MASKS = np.load(os.path.join(FIX, "test_masks.npy"))
SCORE_LAMBDA = 10.43
torch.set_num_threads(2)


CONVS = ["c1", "c2", "c3", "score"]


def conv(i, x):
    dilation, padding = (2, 2) if i == 2 else (1, 0 if i == 3 else 1)
    return F.conv2d(x, W[CONVS[i] + ".weight"], W[CONVS[i] + ".bias"], padding=padding, dilation=dilation)


def run(ticks, start=0.5, round=0, lead=0, linear=0, copies=1, analog=0):
    lams = [W["a1.lam"].item(), W["a2.lam"].item(), W["a3.lam"].item(), SCORE_LAMBDA]
    # Stages in order: ("c", conv index) or ("p", None), each a tick after the one before.
    stages = [("c", 0), ("p", None), ("c", 1), ("p", None), ("c", 2), ("c", 3)]
    if linear:
        stages = [s for s in stages if s[0] == "c"]
    total = ticks + len(stages)
    # What each stage fires, as zeros: a stage reads the one before it a tick late, so in
    # tick t < k stage k integrates its bias alone.
    shapes, s = [], X
    for kind, i in stages:
        s = F.avg_pool2d(s, 2) if kind == "p" else conv(i, F.avg_pool2d(s, 2) if linear and i in (1, 2) else s)
        shapes.append(s.shape)
    out = [torch.zeros(shape) for shape in shapes]
    # What one spike read by stage k stands for: the clip of the last convolution before it.
    worth = [next((lams[stages[j][1]] for j in reversed(range(k)) if stages[j][0] == "c"), 1.0) for k in range(len(stages))]
    v = [None] * len(stages)
    v_in = torch.full_like(X, 0.5 if round else 0.0)
    counts, summed = 0, 0
    with torch.no_grad():
        for t in range(total):
            v_in += X
            spikes = (v_in >= 1).float()
            v_in -= spikes
            fired = []
            for k, (kind, i) in enumerate(stages):
                s = spikes if k == 0 else out[k - 1]
                if kind == "p":
                    current = F.avg_pool2d(s, 2) * 4  # four relayed spikes, threshold 4
                    if v[k] is None:
                        v[k] = torch.zeros_like(current)
                    v[k] += current
                    o = (v[k] >= 4).float()
                    v[k] -= 4 * o
                    fired.append(o)
                    continue
                value = s * worth[k]
                if linear and i in (1, 2):
                    value = F.avg_pool2d(value, 2)
                current = conv(i, value)
                if v[k] is None:
                    bias = W[CONVS[i] + ".bias"].view(1, -1, 1, 1)
                    base = start * lams[i] if i < 3 else 0.0
                    # Stage k's bias acts from tick 0, its input from tick k.
                    v[k] = torch.zeros_like(current) + base - (k * bias if lead else 0)
                    if i == 3 and copies > 1:
                        v[k] = torch.stack([v[k] + (j + 0.5) / copies * lams[3] for j in range(copies)])
                v[k] = v[k] + current
                if i == 3 and analog:
                    if t >= k:
                        summed = summed + current
                    fired.append(torch.zeros_like(current))
                    continue
                o = (v[k] >= lams[i]).float()
                v[k] -= o * lams[i]
                if i == 3:
                    counts = counts + (o.sum(0) / copies if copies > 1 else o)
                fired.append(o)
            out = fired
    scores = summed if analog else counts
    return F.interpolate(torch.relu(scores), scale_factor=4, mode="nearest").numpy()


def ann():
    with torch.no_grad():
        x = X
        for i, lam in enumerate([W["a1.lam"].item(), W["a2.lam"].item(), W["a3.lam"].item()]):
            x = conv(i, x)
            x = lam * torch.floor(torch.clamp(x / lam, 0, 1) * 4 + 0.5) / 4
            if i < 2:
                x = F.avg_pool2d(x, 2)
        return F.interpolate(torch.relu(conv(3, x)), scale_factor=4, mode="nearest").numpy()


def score(**kw):
    return [mean_iou(segment(run(t, **kw)), MASKS) for t in (4, 8, 16)]


if __name__ == "__main__":
    print(f"ANN (QCFS, L = 4): mean IoU {100 * mean_iou(segment(ann()), MASKS):.2f}%")
    asked = dict(a.split("=") for a in sys.argv[1:])
    rows = [{k: float(v) if k == "start" else int(v) for k, v in asked.items()}] if asked else [
        {}, {"round": 1}, {"round": 1, "lead": 1}, {"round": 1, "lead": 1, "linear": 1},
        {"round": 1, "lead": 1, "linear": 1, "copies": 16}, {"round": 1, "lead": 1, "linear": 1, "analog": 1},
        {"round": 1, "lead": 1, "linear": 1, "analog": 1, "start": 0.0},
    ]
    print("setting" + " " * 40 + "T=4     T=8     T=16")
    for row in rows:
        label = " ".join(f"{k}={v}" for k, v in row.items()) or "the chip before (none)"
        print(f"{label:46s} " + " ".join(f"{100 * s:6.2f}%" for s in score(**row)), flush=True)

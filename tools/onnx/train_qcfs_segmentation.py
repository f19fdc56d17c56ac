#!/usr/bin/env python3
"""The conversion route to a spiking segmenter: tools/train_segmentation.py's small DeepLab and
FCN (the same digits canvases, layers and per-pixel reading), trained in PyTorch with QCFS
activations (Bu et al., ICLR 2022; make_trained_fixtures.py's QCFS, L = 4 levels, lambda
trained per layer, starting at 4) in place of ReLU, and exported to ONNX, where Tessera reads each QCFS as
a quantised ReLU of L levels and converts the network to run in 2L = 8 ticks or more.

    python3 -m venv /tmp/onnxvenv && /tmp/onnxvenv/bin/pip install -r tools/onnx/requirements.txt
    /tmp/onnxvenv/bin/python tools/onnx/train_qcfs_segmentation.py

  qcfs-deeplab.onnx  conv 3x3 (1->8), QCFS, avgpool 2, conv 3x3 (8->16), QCFS, avgpool 2,
                     atrous conv 3x3 dilation 2 (16->32), QCFS, 1x1 scores (32->11), ReLU (exported), nearest x4
  qcfs-fcn.onnx      conv 3x3 (1->8), QCFS, avgpool 2, conv 3x3 (8->16), QCFS [skip], avgpool 2,
                     conv 3x3 (16->16), QCFS, nearest x2, + skip, 1x1 scores (16->11), ReLU (exported), nearest x2

Both train on the linear scores and are exported with a ReLU on them before the upsampling,
as a spiking output layer reads them; the per-pixel reading is the same with or without it
(a pixel whose scores are all at or below zero is background either way), and Tessera's
ONNX import asks for it there.

Writes both to Tests/TesseraTests/Fixtures/segmentation/, with qcfs-summary.json: each
network's mean IoU and pixel accuracy on the 100 test canvases (test_images.npy,
test_masks.npy) in PyTorch and in onnxruntime, read as the tests read a segmentation (per
pixel, the class with the largest score, or the background where no score is above zero).
Fixed seeds and one thread: running it again gives the same bytes.
"""
import json
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort  # noqa: F401  (write_onnx runs it)
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)
from train_segmentation import CLASSES, OUT, data, mean_iou, segment  # noqa: E402  the same canvases and reading
from make_trained_fixtures import QCFS, train, write_onnx  # noqa: E402  the same activation, training and export

LEVELS = 4
EPOCHS = 40
torch.set_num_threads(1)


class Segmenter(nn.Module):
    """Trained on the linear scores; exported with a ReLU on them (`relu_scores`)."""
    relu_scores = False

    def readout(self, scores):
        return torch.relu(scores) if self.relu_scores else scores


class DeepLab(Segmenter):
    def __init__(self):
        super().__init__()
        self.c1, self.a1 = nn.Conv2d(1, 8, 3, padding=1), QCFS(LEVELS, 4.0)
        self.c2, self.a2 = nn.Conv2d(8, 16, 3, padding=1), QCFS(LEVELS, 4.0)
        self.c3, self.a3 = nn.Conv2d(16, 32, 3, padding=2, dilation=2), QCFS(LEVELS, 4.0)
        self.score = nn.Conv2d(32, CLASSES, 1)
        self.pool, self.up = nn.AvgPool2d(2), nn.Upsample(scale_factor=4, mode="nearest")

    def forward(self, x):
        x = self.pool(self.a1(self.c1(x)))
        x = self.pool(self.a2(self.c2(x)))
        return self.up(self.readout(self.score(self.a3(self.c3(x)))))


class FCN(Segmenter):
    def __init__(self):
        super().__init__()
        self.c1, self.a1 = nn.Conv2d(1, 8, 3, padding=1), QCFS(LEVELS, 4.0)
        self.c2, self.a2 = nn.Conv2d(8, 16, 3, padding=1), QCFS(LEVELS, 4.0)
        self.c3, self.a3 = nn.Conv2d(16, 16, 3, padding=1), QCFS(LEVELS, 4.0)
        self.score = nn.Conv2d(16, CLASSES, 1)
        self.pool, self.up = nn.AvgPool2d(2), nn.Upsample(scale_factor=2, mode="nearest")

    def forward(self, x):
        skip = self.a2(self.c2(self.pool(self.a1(self.c1(x)))))
        x = self.up(self.a3(self.c3(self.pool(skip)))) + skip
        return self.up(self.readout(self.score(x)))


def export(net, name, images, masks):
    """Exported as make_trained_fixtures.py exports, and scored in PyTorch and onnxruntime."""
    x = images.astype(np.float32)
    scores, out, m = write_onnx(net, os.path.join(OUT, name + ".onnx"), x)
    torch_pred, ort_pred = segment(scores), segment(out)
    return {"torch_mean_iou": mean_iou(torch_pred, masks), "torch_pixel_accuracy": float((torch_pred == masks).mean()),
            "onnxruntime_mean_iou": mean_iou(ort_pred, masks), "onnxruntime_pixel_accuracy": float((ort_pred == masks).mean()),
            "levels": LEVELS, "lambda": {k: float(v.lam.item()) for k, v in net.named_modules() if isinstance(v, QCFS)},
            "ops": sorted({n.op_type for n in m.graph.node})}


def main():
    (train_x, train_m), (test_x, test_m) = data()
    summary = {"torch": torch.__version__, "onnx": onnx.__version__, "onnxruntime": ort.__version__}
    for name, build in (("qcfs-deeplab", DeepLab), ("qcfs-fcn", FCN)):
        torch.manual_seed(0)
        net = build()
        # He initialisation and a clip of 4 to start: with PyTorch's default initialisation
        # and a clip of 1, these nets learned to call every pixel background.
        for m in net.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight)
                nn.init.zeros_(m.bias)
        net = train(net, train_x.astype(np.float32), train_m, EPOCHS)
        net.relu_scores = True
        summary[name] = export(net, name, test_x, test_m)
        print(name, summary[name], flush=True)
    with open(os.path.join(OUT, "qcfs-summary.json"), "w") as f:
        json.dump(summary, f, indent=2, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()

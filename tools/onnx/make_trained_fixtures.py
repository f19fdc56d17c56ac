#!/usr/bin/env python3
"""Trains two CNNs on scikit-learn's digits with PyTorch and writes them as ONNX, with
onnxruntime's outputs, to Tests/TesseraTests/Fixtures/trained/ (the tests read the committed
files; nothing here runs in CI).

    python3 -m venv /tmp/onnxvenv && /tmp/onnxvenv/bin/pip install -r tools/onnx/requirements.txt
    /tmp/onnxvenv/bin/python tools/onnx/make_trained_fixtures.py

- qcfs-cnn: QCFS (Bu et al., ICLR 2022; putshua/ANN_SNN_QCFS) trains an ANN whose activation
  is the one an integrate-and-fire neuron computes in L ticks: x / lambda, clipped to [0, 1],
  then floor(x L + 1/2) / L, times lambda, with lambda trained per layer. Forward in eval mode
  (and so the export) is exactly that; training passes the gradient straight through the
  floor. conv 3x3 1->8 (pad 1), QCFS; conv 3x3 8->16 (stride 2, pad 1), QCFS; flatten;
  linear 256->10. L = 4.
- resnet-cnn: a ResNet-style CNN with both kinds of shortcut, written the usual way,
  relu(bn2(conv2(a)) + shortcut(x)): a stem conv 1->8, BN, ReLU; a block with an identity
  shortcut (8->8); a block with a projection shortcut (8->16, stride 2: a 1x1 strided conv
  and its BN); global average pooling; linear 16->10.

Data: the digits split of tools/train_digits.py (test_size=360, random_state=0, stratified);
the test images are the committed Fixtures/digits/test_images.npy.

Writes digits.input.npy (the 360 test images, float32), digits.labels.npy, and per model
<name>.onnx (the default exporter, torch.export + onnxscript) and <name>.output.npy
(onnxruntime's scores, one sample at a time); summary.json holds each model's accuracy in
PyTorch and in onnxruntime, its ops, and the versions. Fixed seeds and one thread: running it
again gives the same bytes.
"""
import json
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort
import torch
import torch.nn as nn
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
DIGITS = os.path.join(ROOT, "Tests", "TesseraTests", "Fixtures", "digits")
OUT = os.path.join(ROOT, "Tests", "TesseraTests", "Fixtures", "trained")
LEVELS = 4

torch.set_num_threads(1)


class QCFS(nn.Module):
    """Quantisation clip-floor-shift: lambda * floor(clip(x / lambda, 0, 1) * L + 1/2) / L."""

    def __init__(self, levels, init):
        super().__init__()
        self.levels = levels
        self.lam = nn.Parameter(torch.tensor([init]))

    def forward(self, x):
        x = x / self.lam
        x = torch.clamp(x, 0, 1)
        x = x * self.levels + 0.5
        if self.training:
            x = x + (torch.floor(x) - x).detach()  # straight-through floor
        else:
            x = torch.floor(x)
        x = x / self.levels
        return x * self.lam


class QCFSNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 8, 3, padding=1)
        self.a1 = QCFS(LEVELS, 1.0)
        self.c2 = nn.Conv2d(8, 16, 3, stride=2, padding=1)
        self.a2 = QCFS(LEVELS, 1.0)
        self.fc = nn.Linear(256, 10)

    def forward(self, x):
        x = self.a1(self.c1(x))
        x = self.a2(self.c2(x))
        return self.fc(torch.flatten(x, 1))


class Block(nn.Module):
    """ResNet's basic block: relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        a = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(a)) + self.shortcut(x))


class ResNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU())
        self.block1 = Block(8, 8, 1)
        self.block2 = Block(8, 16, 2)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        x = self.block2(self.block1(self.stem(x)))
        return self.fc(torch.flatten(self.pool(x), 1))


def train(net, xtr, ytr, epochs):
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    xt, yt = torch.from_numpy(xtr), torch.from_numpy(ytr).long()
    g = torch.Generator().manual_seed(1)
    for _ in range(epochs):
        net.train()
        order = torch.randperm(len(xt), generator=g)
        for i in range(0, len(xt), 32):
            idx = order[i:i + 32]
            opt.zero_grad()
            loss = nn.functional.cross_entropy(net(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
        sched.step()
    return net.eval()


def write_onnx(net, path, x):
    """The default exporter, without the stack traces (absolute paths) in its metadata; then
    onnxruntime, one sample at a time, checked against PyTorch. Returns PyTorch's outputs,
    onnxruntime's and the model."""
    with torch.no_grad():
        scores = net(torch.from_numpy(x)).numpy()
    torch.onnx.export(net, (torch.from_numpy(x[:1]),), path, external_data=False)
    m = onnx.load(path)
    for node in m.graph.node:
        keep = [p for p in node.metadata_props if p.key != "pkg.torch.onnx.stack_trace"]
        del node.metadata_props[:]
        node.metadata_props.extend(keep)
    onnx.save(m, path)
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    s = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    input_name = s.get_inputs()[0].name
    out = np.concatenate([s.run(None, {input_name: x[i:i + 1]})[0] for i in range(len(x))]).astype(np.float32)
    assert np.allclose(out, scores, atol=1e-4), float(np.abs(out - scores).max())
    return scores, out, m


def export(net, name, xte, yte):
    """Written to OUT with onnxruntime's outputs beside it."""
    scores, out, m = write_onnx(net, os.path.join(OUT, name + ".onnx"), xte)
    np.save(os.path.join(OUT, name + ".output.npy"), out)
    return {"torch_accuracy": float((scores.argmax(1) == yte).mean()),
            "onnxruntime_accuracy": float((out.argmax(1) == yte).mean()),
            "ops": [n.op_type for n in m.graph.node]}


def main():
    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).reshape(-1, 1, 8, 8).astype(np.float32)
    xtr, xte, ytr, yte = train_test_split(x, y, test_size=360, random_state=0, stratify=y)
    committed = np.load(os.path.join(DIGITS, "test_images.npy")).astype(np.float32)
    assert np.array_equal(committed, xte), "the split differs from Fixtures/digits/test_images.npy"
    os.makedirs(OUT, exist_ok=True)
    np.save(os.path.join(OUT, "digits.input.npy"), xte)
    np.save(os.path.join(OUT, "digits.labels.npy"), yte.astype(np.int64))

    summary = {"test": len(xte), "train": len(xtr),
               "versions": {"python": sys.version.split()[0], "torch": torch.__version__, "onnx": onnx.__version__,
                            "onnxruntime": ort.__version__, "numpy": np.__version__}}
    torch.manual_seed(0)
    qcfs = train(QCFSNet(), xtr, ytr, 80)
    summary["qcfs-cnn"] = {"levels": LEVELS, "lambda": {"a1": float(qcfs.a1.lam.item()), "a2": float(qcfs.a2.lam.item())},
                           **export(qcfs, "qcfs-cnn", xte, yte)}
    torch.manual_seed(0)
    resnet = train(ResNet(), xtr, ytr, 60)
    summary["resnet-cnn"] = export(resnet, "resnet-cnn", xte, yte)
    with open(os.path.join(OUT, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2, sort_keys=True)
        f.write("\n")
    print(json.dumps(summary, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()

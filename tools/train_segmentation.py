#!/usr/bin/env python3
"""Trains the small segmentation fixtures the workload tests use and writes them to
Tests/TesseraTests/Fixtures/segmentation/.

The data: scikit-learn's 8x8 handwritten digits, scaled x2 (nearest) and pasted two to a
32x32 canvas, one in each half, at random offsets. Every pixel is labelled: 0 for the
background, 1 + d where the pasted digit d is bright (value > 1/4). Train canvases use the
training digits, test canvases the held-out ones (the same split as tools/train_digits.py).

    python3 -m venv .venv && .venv/bin/pip install -r tools/requirements.txt
    .venv/bin/python tools/train_segmentation.py

Two networks, in plain NumPy (no autograd: each layer has its own backward), trained with
Adam on per-pixel softmax cross-entropy; every hidden layer is ReLU, as the spiking IR reads
a layer with neurons, and average pooling replaces max pooling:
  deeplab.npz  a small DeepLab: conv 3x3 (1->8), avgpool 2, conv 3x3 (8->16), avgpool 2,
               atrous conv 3x3 dilation 2 (16->32), 1x1 scores (32->11), nearest x4 back
               to 32x32
  fcn.npz      a small FCN: conv 3x3 (1->8), avgpool 2, conv 3x3 (8->16), avgpool 2,
               conv 3x3 (16->16), nearest x2, skip: added to the conv2 features, 1x1
               scores (16->11), nearest x2 back to 32x32
The tests read only the committed outputs; rerunning gives the same files (fixed seeds):
  test_images.npy [N, 1, 32, 32] in [0, 1]; test_masks.npy [N, 32, 32] class per pixel
  calibration.npy [200, 1, 32, 32]: training canvases for threshold balancing
  summary.json  the float networks' pixel accuracy and mean IoU on the test canvases, as
                the tests read a segmentation: per pixel, the class with the largest score,
                or the background (0) where no score is above zero.
"""
import json
import pathlib

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

OUT = pathlib.Path(__file__).resolve().parent.parent / "Tests" / "TesseraTests" / "Fixtures" / "segmentation"
CLASSES = 11
SIZE = 32


# --- data -----------------------------------------------------------------------------

def canvases(digits, labels, count, rng):
    """`count` 32x32 canvases with two x2-scaled digits each, and their per-pixel masks."""
    images = np.zeros((count, 1, SIZE, SIZE))
    masks = np.zeros((count, SIZE, SIZE), dtype=np.int64)
    for n in range(count):
        for half in range(2):
            k = rng.integers(len(digits))
            glyph = np.kron(digits[k], np.ones((2, 2)))            # 16x16
            y = rng.integers(0, SIZE - 16 + 1)
            x = half * 16 + rng.integers(-2, 3) if half else rng.integers(0, 3)
            x = int(np.clip(x, 0, SIZE - 16))
            window = images[n, 0, y:y + 16, x:x + 16]
            np.maximum(window, glyph, out=window)
            masks[n, y:y + 16, x:x + 16][glyph > 0.25] = 1 + labels[k]
    return images, masks


def data():
    x, y = load_digits(return_X_y=True)
    x = x.reshape(-1, 8, 8) / 16.0
    xtr, xte, ytr, yte = train_test_split(x, y, test_size=360, random_state=0, stratify=y)
    rng = np.random.default_rng(0)
    train = canvases(xtr, ytr, 4000, rng)
    test = canvases(xte, yte, 100, rng)
    return train, test


# --- layers -----------------------------------------------------------------------------

class Conv:
    """Stride-1 convolution with zero padding and dilation, by im2col."""

    def __init__(self, name, cin, cout, kernel, rng, padding=0, dilation=1):
        self.name, self.k, self.pad, self.dil = name, kernel, padding, dilation
        fan_in = cin * kernel * kernel
        self.params = {"weight": rng.normal(0, np.sqrt(2.0 / fan_in), (cout, cin, kernel, kernel)),
                       "bias": np.zeros(cout)}

    def cols(self, x):
        n, c, h, w = x.shape
        p = np.pad(x, ((0, 0), (0, 0), (self.pad, self.pad), (self.pad, self.pad)))
        oh = h + 2 * self.pad - self.dil * (self.k - 1)
        ow = w + 2 * self.pad - self.dil * (self.k - 1)
        taps = [p[:, :, dy * self.dil:dy * self.dil + oh, dx * self.dil:dx * self.dil + ow]
                for dy in range(self.k) for dx in range(self.k)]
        return np.stack(taps, axis=2).reshape(n, c * self.k * self.k, oh * ow), (oh, ow)

    def forward(self, x):
        cols, (oh, ow) = self.cols(x)
        w = self.params["weight"].reshape(len(self.params["bias"]), -1)
        out = np.einsum("ok,nkp->nop", w, cols) + self.params["bias"][None, :, None]
        self.cache = (x.shape, cols)
        return out.reshape(len(x), -1, oh, ow)

    def backward(self, g):
        shape, cols = self.cache
        n, c, h, w = shape
        g = g.reshape(n, g.shape[1], -1)
        self.grads = {"weight": np.einsum("nop,nkp->ok", g, cols).reshape(self.params["weight"].shape),
                      "bias": g.sum(axis=(0, 2))}
        wmat = self.params["weight"].reshape(g.shape[1], -1)
        gcols = np.einsum("ok,nop->nkp", wmat, g).reshape(n, c, self.k * self.k, *self.out_hw(h, w))
        gp = np.zeros((n, c, h + 2 * self.pad, w + 2 * self.pad))
        oh, ow = self.out_hw(h, w)
        for t in range(self.k * self.k):
            dy, dx = divmod(t, self.k)
            gp[:, :, dy * self.dil:dy * self.dil + oh, dx * self.dil:dx * self.dil + ow] += gcols[:, :, t]
        return gp[:, :, self.pad:self.pad + h, self.pad:self.pad + w]

    def out_hw(self, h, w):
        return h + 2 * self.pad - self.dil * (self.k - 1), w + 2 * self.pad - self.dil * (self.k - 1)


class ReLU:
    params = {}

    def forward(self, x):
        self.mask = x > 0
        return x * self.mask

    def backward(self, g):
        return g * self.mask


class AvgPool:
    params = {}

    def __init__(self, k):
        self.k = k

    def forward(self, x):
        n, c, h, w = x.shape
        return x.reshape(n, c, h // self.k, self.k, w // self.k, self.k).mean(axis=(3, 5))

    def backward(self, g):
        return np.repeat(np.repeat(g, self.k, axis=2), self.k, axis=3) / (self.k * self.k)


class Upsample:
    params = {}

    def __init__(self, f):
        self.f = f

    def forward(self, x):
        return np.repeat(np.repeat(x, self.f, axis=2), self.f, axis=3)

    def backward(self, g):
        n, c, h, w = g.shape
        return g.reshape(n, c, h // self.f, self.f, w // self.f, self.f).sum(axis=(3, 5))


def chain(layers, x):
    for layer in layers:
        x = layer.forward(x)
    return x


def unchain(layers, g):
    for layer in reversed(layers):
        g = layer.backward(g)
    return g


# --- networks ---------------------------------------------------------------------------

class DeepLab:
    def __init__(self, rng):
        self.layers = [Conv("c1", 1, 8, 3, rng, padding=1), ReLU(), AvgPool(2),
                       Conv("c2", 8, 16, 3, rng, padding=1), ReLU(), AvgPool(2),
                       Conv("c3", 16, 32, 3, rng, padding=2, dilation=2), ReLU(),
                       Conv("scores", 32, CLASSES, 1, rng), Upsample(4)]

    def convs(self):
        return [l for l in self.layers if isinstance(l, Conv)]

    def forward(self, x):
        return chain(self.layers, x)

    def backward(self, g):
        unchain(self.layers, g)


class FCN:
    def __init__(self, rng):
        self.shallow = [Conv("c1", 1, 8, 3, rng, padding=1), ReLU(), AvgPool(2),
                        Conv("c2", 8, 16, 3, rng, padding=1), ReLU()]          # 16x16x16
        self.deep = [AvgPool(2), Conv("c3", 16, 16, 3, rng, padding=1), ReLU(), Upsample(2)]
        self.head = [ReLU(), Conv("scores", 16, CLASSES, 1, rng), Upsample(2)]

    def convs(self):
        return [l for l in self.shallow + self.deep + self.head if isinstance(l, Conv)]

    def forward(self, x):
        s = chain(self.shallow, x)
        return chain(self.head, s + chain(self.deep, s))                   # skip: add

    def backward(self, g):
        g = unchain(self.head, g)
        unchain(self.shallow, g + unchain(self.deep, g))


# --- training and scoring -----------------------------------------------------------------

def segment(scores):
    """Per pixel, the class with the largest score, or 0 where no score is above zero (a
    spiking output layer fires only for positive scores, and no spike reads as background)."""
    best = scores.argmax(axis=1)
    return np.where(scores.max(axis=1) > 0, best, 0)


def mean_iou(pred, truth):
    ious = []
    for c in range(CLASSES):
        union = np.logical_or(pred == c, truth == c).sum()
        if union:
            ious.append(np.logical_and(pred == c, truth == c).sum() / union)
    return float(np.mean(ious))


def train(net, images, masks, rng, epochs=30, batch=32, lr=0.003):
    convs = net.convs()
    m = [{k: np.zeros_like(v) for k, v in c.params.items()} for c in convs]
    v = [{k: np.zeros_like(val) for k, val in c.params.items()} for c in convs]
    step = 0
    for epoch in range(epochs):
        order = rng.permutation(len(images))
        for start in range(0, len(images), batch):
            idx = order[start:start + batch]
            scores = net.forward(images[idx])
            p = np.exp(scores - scores.max(axis=1, keepdims=True))
            p /= p.sum(axis=1, keepdims=True)
            onehot = np.eye(CLASSES)[masks[idx]].transpose(0, 3, 1, 2)
            net.backward((p - onehot) / (len(idx) * SIZE * SIZE))
            step += 1
            for i, conv in enumerate(convs):
                for k in conv.params:
                    grad = conv.grads[k] + (1e-4 * conv.params[k] if k == "weight" else 0)
                    m[i][k] = 0.9 * m[i][k] + 0.1 * grad
                    v[i][k] = 0.999 * v[i][k] + 0.001 * grad * grad
                    conv.params[k] -= lr * (m[i][k] / (1 - 0.9 ** step)) / (np.sqrt(v[i][k] / (1 - 0.999 ** step)) + 1e-8)
    return net


def score(net, images, masks):
    pred = segment(net.forward(images))
    return {"pixel_accuracy": float((pred == masks).mean()), "mean_iou": mean_iou(pred, masks)}


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    (xtr, mtr), (xte, mte) = data()
    summary = {"train": len(xtr), "test": len(xte), "classes": CLASSES}
    for name, model, seed in [("deeplab", DeepLab, 1), ("fcn", FCN, 2)]:
        rng = np.random.default_rng(seed)
        net = train(model(rng), xtr, mtr, rng)
        summary[name] = score(net, xte, mte)
        arrays = {f"{c.name}.{k}": np.ascontiguousarray(v) for c in net.convs() for k, v in c.params.items()}
        np.savez(OUT / f"{name}.npz", **arrays)   # C order: Tessera reads C-ordered arrays only
        print(name, summary[name], flush=True)
    np.save(OUT / "test_images.npy", xte)
    np.save(OUT / "test_masks.npy", mte)
    np.save(OUT / "calibration.npy", xtr[:200])
    (OUT / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    print(json.dumps(summary, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()

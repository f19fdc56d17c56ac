#!/usr/bin/env python3
"""Trains the digits fixtures the conversion tests use, on scikit-learn's bundled 8x8
handwritten digits (1797 images), and writes them to Tests/TesseraTests/Fixtures/digits/.

    python3 -m venv .venv && .venv/bin/pip install -r tools/requirements.txt
    .venv/bin/python tools/train_digits.py

The tests use only the committed outputs; rerunning gives the same files (fixed seeds):
  mlp.npz      ReLU MLP 64-64-10 trained by scikit-learn's MLPClassifier
  cnn.npz      conv 3x3 (1->4, pad 1) + ReLU, avgpool 2, dense 64->10, in plain NumPy
  binary.npz   binary-activation MLP 64-64-10 (trained with a straight-through estimator)
               with integer weights {-1, 0, 1} and integer biases
  test_images.npy [360, 1, 8, 8] in [0, 1]; test_labels.npy [360]
  calibration.npy [200, 1, 8, 8]: training images for threshold balancing
  binary_expected.npz  the binary network's own integer forward pass on the test images:
               hidden and output bits, and its predictions
  summary.json the float accuracies measured here
"""
import json
import pathlib

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

OUT = pathlib.Path(__file__).resolve().parent.parent / "Tests" / "TesseraTests" / "Fixtures" / "digits"


def data():
    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).reshape(-1, 1, 8, 8)
    return train_test_split(x, y, test_size=360, random_state=0, stratify=y)


def train_mlp(xtr, ytr, xte, yte):
    mlp = MLPClassifier(hidden_layer_sizes=(64,), activation="relu", alpha=1e-3, max_iter=800, random_state=0)
    mlp.fit(xtr.reshape(len(xtr), -1), ytr)
    acc = float(mlp.score(xte.reshape(len(xte), -1), yte))
    weights = {"h1.weight": mlp.coefs_[0].T, "h1.bias": mlp.intercepts_[0],
               "out.weight": mlp.coefs_[1].T, "out.bias": mlp.intercepts_[1]}
    return weights, acc


def im2col(x):
    """[N,1,8,8] -> [N, 64 positions, 9 taps] for a 3x3 window with padding 1."""
    p = np.pad(x[:, 0], ((0, 0), (1, 1), (1, 1)))
    cols = [p[:, dy:dy + 8, dx:dx + 8] for dy in range(3) for dx in range(3)]
    return np.stack(cols, axis=-1).reshape(len(x), 64, 9)


def cnn_forward(params, x):
    w1, b1, w2, b2 = params
    cols = im2col(x)
    a1 = cols @ w1.reshape(4, 9).T + b1                          # [N,64,4]
    r1 = np.maximum(a1, 0)
    maps = r1.transpose(0, 2, 1).reshape(len(x), 4, 8, 8)         # channel-major
    pooled = maps.reshape(len(x), 4, 4, 2, 4, 2).mean(axis=(3, 5))  # [N,4,4,4]
    flat = pooled.reshape(len(x), 64)
    return flat @ w2.T + b2, (cols, a1, flat)


def train_cnn(xtr, ytr, xte, yte):
    rng = np.random.default_rng(0)
    params = [rng.normal(0, 0.4, (4, 1, 3, 3)), np.zeros(4), rng.normal(0, 0.2, (10, 64)), np.zeros(10)]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    step = 0
    for epoch in range(80):
        order = rng.permutation(len(xtr))
        for start in range(0, len(xtr), 32):
            idx = order[start:start + 32]
            x, y = xtr[idx], ytr[idx]
            logits, (cols, a1, flat) = cnn_forward(params, x)
            p = np.exp(logits - logits.max(axis=1, keepdims=True))
            p /= p.sum(axis=1, keepdims=True)
            p[np.arange(len(y)), y] -= 1
            g = p / len(y)                                        # dL/dlogits
            gw2, gb2 = g.T @ flat, g.sum(0)
            gflat = g @ params[2]                                 # [N,64]
            gpool = gflat.reshape(len(x), 4, 4, 1, 4, 1) / 4.0
            gmaps = np.broadcast_to(gpool, (len(x), 4, 4, 2, 4, 2)).reshape(len(x), 4, 8, 8)
            ga1 = gmaps.reshape(len(x), 4, 64).transpose(0, 2, 1) * (a1 > 0)
            gw1 = np.einsum("npc,npk->ck", ga1, cols).reshape(4, 1, 3, 3)
            gb1 = ga1.sum(axis=(0, 1))
            grads = [gw1 + 1e-4 * params[0], gb1, gw2 + 1e-4 * params[2], gb2]
            step += 1
            for i, gr in enumerate(grads):
                m[i] = 0.9 * m[i] + 0.1 * gr
                v[i] = 0.999 * v[i] + 0.001 * gr * gr
                params[i] = params[i] - 0.01 * (m[i] / (1 - 0.9 ** step)) / (np.sqrt(v[i] / (1 - 0.999 ** step)) + 1e-8)
    acc = float((cnn_forward(params, xte)[0].argmax(1) == yte).mean())
    return {"c1.weight": params[0], "c1.bias": params[1], "out.weight": params[2], "out.bias": params[3]}, acc


def ternary(w):
    return np.sign(w) * (np.abs(w) > 0.5)


def binary_forward(w1, b1, w2, b2, xb):
    """The integer forward pass of the binary network: a neuron fires iff its weighted
    sum plus bias reaches 1 (the threshold), as the spiking binary neuron does."""
    h = ((xb @ w1.T + b1) >= 1).astype(np.int64)
    scores = h @ w2.T + b2
    return h, scores, (scores >= 1).astype(np.int64)


def train_binary(xtr, ytr, xte, yte):
    rng = np.random.default_rng(1)
    w1, w2 = rng.uniform(-1, 1, (64, 64)), rng.uniform(-1, 1, (10, 64))
    b1, b2 = np.zeros(64), np.zeros(10)
    xb_tr = (xtr.reshape(len(xtr), -1) >= 0.5).astype(float)
    lr = 0.01
    for epoch in range(60):
        order = rng.permutation(len(xtr))
        for start in range(0, len(xtr), 32):
            idx = order[start:start + 32]
            x, y = xb_tr[idx], ytr[idx]
            t1, t2 = ternary(w1), ternary(w2)
            a1 = x @ t1.T + np.round(b1)
            h = (a1 >= 1).astype(float)
            z = (h @ t2.T + np.round(b2)) * 0.25                  # softmax temperature
            p = np.exp(z - z.max(axis=1, keepdims=True))
            p /= p.sum(axis=1, keepdims=True)
            p[np.arange(len(y)), y] -= 1
            g = p * 0.25 / len(y)
            gt2, gb2 = g.T @ h, g.sum(0)
            gh = g @ t2
            ga1 = gh * (np.abs(a1 - 0.5) <= 4) / 4                # straight-through window
            gt1, gb1 = ga1.T @ x, ga1.sum(0)
            # Straight-through for the ternary weights and rounded biases; keep latent
            # weights in [-1.5, 1.5] so they can still cross the ternary threshold.
            w1 = np.clip(w1 - lr * gt1 * 8, -1.5, 1.5)
            w2 = np.clip(w2 - lr * gt2 * 8, -1.5, 1.5)
            b1 -= lr * gb1 * 8
            b2 -= lr * gb2 * 8
    t1, t2 = ternary(w1).astype(np.int64), ternary(w2).astype(np.int64)
    ib1, ib2 = np.round(b1).astype(np.int64), np.round(b2).astype(np.int64)
    xb = (xte.reshape(len(xte), -1) >= 0.5).astype(np.int64)
    h, scores, bits = binary_forward(t1, ib1, t2, ib2, xb)
    acc = float((scores.argmax(1) == yte).mean())
    weights = {"h1.weight": t1.astype(float), "h1.bias": ib1.astype(float), "out.weight": t2.astype(float), "out.bias": ib2.astype(float)}
    expected = {"hidden": h, "output": bits, "prediction": scores.argmax(1)}
    return weights, expected, acc


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    xtr, xte, ytr, yte = data()
    mlp, mlp_acc = train_mlp(xtr, ytr, xte, yte)
    cnn, cnn_acc = train_cnn(xtr, ytr, xte, yte)
    binary, expected, bin_acc = train_binary(xtr, ytr, xte, yte)
    def save(name, arrays):  # C order: Tessera reads C-ordered arrays only
        np.savez(OUT / name, **{k: np.ascontiguousarray(v) for k, v in arrays.items()})
    save("mlp.npz", mlp)
    save("cnn.npz", cnn)
    save("binary.npz", binary)
    save("binary_expected.npz", expected)
    np.save(OUT / "test_images.npy", xte)
    np.save(OUT / "test_labels.npy", yte.astype(np.int64))
    np.save(OUT / "calibration.npy", xtr[:200])
    summary = {"mlp_accuracy": mlp_acc, "cnn_accuracy": cnn_acc, "binary_accuracy": bin_acc,
               "train": len(xtr), "test": len(xte)}
    (OUT / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    print(json.dumps(summary, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()

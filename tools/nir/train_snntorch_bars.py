"""Train a small spiking CNN in snnTorch and export it to NIR: the README's walk-through from
a training script to a TrueNorth core map.

The task is synthetic event data (so that nothing needs downloading): 2 x 8 x 8 frames of 20
ticks, where class 0 has a vertical bar of ON events and class 1 a horizontal one, both over
noise (an event camera watching a moving edge, very much simplified). The network is
conv 3x3 (2 -> 8) + Leaky, avgpool 2, flatten, linear (128 -> 2) + Leaky, trained with
snnTorch's surrogate gradient on the output spike counts.

    python3 -m venv /tmp/fwvenv && /tmp/fwvenv/bin/pip install -r tools/nir/frameworks-requirements.txt
    /tmp/fwvenv/bin/python tools/nir/train_snntorch_bars.py

writes examples/nir/bars.nir, examples/nir/bars-test.npy ([100, 20, 2, 8, 8] events, uint8
0/1), bars-test-labels.npy ([100] int64) and bars-test-snntorch.npy (snnTorch's own output
spikes on the test set, [100, 20, 2]). Its seeds make a rerun on one machine write the same
bytes. On another CPU the trained weights can differ in the last bits of float32 (about 1e-7),
while the test set and snnTorch's output spikes stay the same.
"""
import os

import numpy as np
import torch

OUT = "examples/nir"
T = 20


def bars(n, seed):
    rng = np.random.default_rng(seed)
    x = (rng.random((n, T, 2, 8, 8)) < 0.05).astype(np.float32)
    labels = rng.integers(0, 2, n)
    for k in range(n):
        at = rng.integers(1, 7)
        for t in range(T):
            on = rng.random(8) < 0.6
            if labels[k] == 0:
                x[k, t, 0, on, at] = 1
            else:
                x[k, t, 0, at, on] = 1
    return x, labels


def build():
    import snntorch as snn

    torch.manual_seed(3)
    conv = torch.nn.Conv2d(2, 8, 3, padding=1)
    fc = torch.nn.Linear(128, 2)
    # Per-neuron beta and threshold tensors: with scalars snnTorch's exporter writes 0-d
    # fields and its own type check fails (see the fixtures' README).
    lif1 = snn.Leaky(beta=torch.full((8, 8, 8), 0.9), threshold=torch.full((8, 8, 8), 1.0), init_hidden=True, reset_mechanism="zero")
    lif2 = snn.Leaky(beta=torch.full((2,), 0.9), threshold=torch.full((2,), 1.0), init_hidden=True, reset_mechanism="zero", output=True)
    net = torch.nn.Sequential(conv, lif1, torch.nn.AvgPool2d(2), torch.nn.Flatten(), fc, lif2)
    return net, (lif1, lif2)


def run(net, neurons, x):
    """Output spikes [N, T, 2] for a batch [N, T, 2, 8, 8], one call per tick."""
    for m in neurons:
        m.reset_mem()
    out = []
    for t in range(x.shape[1]):
        spk, _ = net(x[:, t])
        out.append(spk)
    return torch.stack(out, 1)


def main():
    from snntorch.export_nir import export_to_nir
    import nir

    os.makedirs(OUT, exist_ok=True)
    net, neurons = build()
    train_x, train_y = bars(512, 1)
    test_x, test_y = bars(100, 2)
    opt = torch.optim.Adam(net.parameters(), lr=5e-3)
    xs, ys = torch.tensor(train_x), torch.tensor(train_y)
    for epoch in range(15):
        for b in range(0, len(xs), 64):
            spikes = run(net, neurons, xs[b:b + 64])
            loss = torch.nn.functional.cross_entropy(spikes.sum(1), ys[b:b + 64])
            opt.zero_grad()
            loss.backward()
            opt.step()
    with torch.no_grad():
        out = run(net, neurons, torch.tensor(test_x))
    accuracy = (out.sum(1).argmax(1).numpy() == test_y).mean()
    print(f"snnTorch test accuracy {accuracy:.3f} on {len(test_y)} samples; output rate {out.mean().item():.3f}")
    graph = export_to_nir(net, torch.zeros(1, 2, 8, 8), ignore_dims=[0])
    # The exporter lists edges in a set's order, which Python's string hashing changes from
    # run to run; sorted, the file's bytes depend on the training alone.
    graph.edges = sorted(graph.edges)
    nir.write(f"{OUT}/bars.nir", graph)
    np.save(f"{OUT}/bars-test.npy", test_x.astype(np.uint8))
    np.save(f"{OUT}/bars-test-labels.npy", test_y.astype(np.int64))
    np.save(f"{OUT}/bars-test-snntorch.npy", out.numpy().astype(np.float32))


if __name__ == "__main__":
    main()

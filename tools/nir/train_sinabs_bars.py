"""Train the bars network of train_snntorch_bars.py in Sinabs instead, with Sinabs' strongly
decaying LIF (tau_mem = 4, a = exp(-1/4) = 0.78 a tick) as its output layer, and export it to
NIR: a trained network whose decisions judge how well the chip's linear leak stands in for
that decay (the random fixture sinabs-float.nir decides on near-ties; docs/nir.md).

conv 3x3 (2 -> 8) + IAF (threshold 1), SumPool2d(2), flatten, linear (128 -> 2) + LIF
(tau_mem 4, norm_input, threshold 1), SingleSpike and subtractive reset as Sinabs defaults
to, trained with Sinabs' surrogate gradient on the output spike counts.

    python3 -m venv /tmp/fwvenv-sinabs && /tmp/fwvenv-sinabs/bin/pip install -r tools/nir/frameworks-sinabs-requirements.txt
    /tmp/fwvenv-sinabs/bin/python tools/nir/train_sinabs_bars.py

writes examples/nir/bars-sinabs.nir and bars-sinabs-test-sinabs.npy (Sinabs' own output
spikes on the test set of train_snntorch_bars.py, [100, 20, 2]). Deterministic for its seeds
on one machine.
"""
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
from train_snntorch_bars import OUT, T, bars  # noqa: E402  the same data


def build(batch):
    import sinabs.layers as sl
    from sinabs.activation import MembraneSubtract, SingleSpike

    torch.manual_seed(3)
    conv = torch.nn.Conv2d(2, 8, 3, padding=1)
    fc = torch.nn.Linear(128, 2)
    iaf = sl.IAFSqueeze(batch_size=batch, spike_threshold=torch.tensor(1.0), spike_fn=SingleSpike,
                        reset_fn=MembraneSubtract(), min_v_mem=None)
    # Per-neuron tau and threshold: scalars make 0-d LIF fields (see the fixtures' README).
    lif = sl.LIFSqueeze(batch_size=batch, tau_mem=torch.full((2,), 4.0), spike_threshold=torch.full((2,), 1.0),
                        spike_fn=SingleSpike, reset_fn=MembraneSubtract(), min_v_mem=None, norm_input=True)
    return torch.nn.Sequential(conv, iaf, sl.SumPool2d(2), torch.nn.Flatten(), fc, lif)


def run(net, x):
    """Output spikes [N, T, 2] for events [N, T, 2, 8, 8]: Squeeze layers take (N T, ...)."""
    import sinabs

    sinabs.reset_states(net)
    n = x.shape[0]
    for m in net:
        if hasattr(m, "batch_size"):
            m.batch_size = n
    return net(x.reshape(n * T, 2, 8, 8)).reshape(n, T, 2)


def main():
    import nir
    import sinabs

    net = build(64)
    train_x, train_y = bars(512, 1)
    test_x, test_y = bars(100, 2)
    # Only the synapses learn: Sinabs keeps tau_mem and thresholds as parameters too, and a
    # trained tau would differ between neurons (Tessera keeps one decay per layer).
    opt = torch.optim.Adam([p for m in (net[0], net[4]) for p in m.parameters()], lr=5e-3)
    xs, ys = torch.tensor(train_x), torch.tensor(train_y)
    for epoch in range(15):
        for b in range(0, len(xs), 64):
            spikes = run(net, xs[b:b + 64])
            loss = torch.nn.functional.cross_entropy(spikes.sum(1), ys[b:b + 64])
            opt.zero_grad()
            loss.backward()
            opt.step()
    with torch.no_grad():
        out = run(net, torch.tensor(test_x))
    accuracy = (out.sum(1).argmax(1).numpy() == test_y).mean()
    print(f"Sinabs test accuracy {accuracy:.3f} on {len(test_y)} samples; output rate {out.mean().item():.3f}")
    for m in net:
        if hasattr(m, "batch_size"):
            m.batch_size = 1
    sinabs.reset_states(net)
    graph = sinabs.to_nir(net, torch.zeros(1, 2, 8, 8))
    graph.infer_types()  # sinabs.to_nir leaves Conv2d, SumPool2d and Flatten untyped
    nir.write(f"{OUT}/bars-sinabs.nir", graph)
    np.save(f"{OUT}/bars-sinabs-test-sinabs.npy", out.numpy().astype(np.float32))


if __name__ == "__main__":
    main()

"""Train a small spiking DeepLab directly, with surrogate gradients, in Sinabs (IF neurons) or
snnTorch (the seed paper's LIF, beta 0.99, subtract reset), and export it to NIR: the paper's
own route to a spiking segmenter (Kim, Chough & Panda), scaled to the digits canvas.

The canvases are tools/train_segmentation.py's: two 16x16 digits on a 32x32 canvas, a class
per pixel (0 background, 1 + digit). Each canvas becomes T = 20 ticks of events, pixel value
p firing with probability p each tick (numpy default_rng(7)). The network is dl-vgg9's shape,
scaled down, with no biases as in the paper's code:

    conv 3x3 (1 -> 8) + neuron                  32x32
    2x2 pool (Sinabs: SumPool2d; snnTorch: AvgPool2d, as the paper's code)
    conv 3x3 dilation 2 (8 -> 16) + neuron      16x16; composed with the pool, a 10x10 kernel
                                                of 36 live taps a channel, fan-in 288
    conv 3x3 dilation 4 (16 -> 16) + neuron     fan-in 144 (dl-vgg9's atrous fc6)
    conv 1x1 (16 -> 11) + neuron                the class scores, 16x16

Both dilated layers need more axons than a core's 256 (8-bit weights take 16 lanes an
input), so the chip splits them. The
class of a pixel is the output neuron with the most spikes at its 16x16 position (nearest x2
to the 32x32 mask); the loss is cross-entropy on the output spike counts.

    python3 -m venv /tmp/fwvenv-sinabs && /tmp/fwvenv-sinabs/bin/pip install -r tools/nir/frameworks-sinabs-requirements.txt scikit-learn
    /tmp/fwvenv-sinabs/bin/python tools/nir/train_segmenter.py sinabs
    python3 -m venv /tmp/fwvenv && /tmp/fwvenv/bin/pip install -r tools/nir/frameworks-requirements.txt scikit-learn
    /tmp/fwvenv/bin/python tools/nir/train_segmenter.py snntorch

writes to examples/segmentation/:
    test-events.npy       [N, 20, 1, 32, 32] uint8, the test canvases as events (both frameworks)
    test-masks.npy        [N, 32, 32] uint8, their masks
    <framework>.nir       the exported graph
    <framework>-counts.npy [N, 11, 16, 16] int16, the framework's own output spike counts
    <framework>.json      training settings and the framework's scores on the test canvases
Deterministic for its seeds on one machine.
"""
import json
import os
import pathlib
import sys
import time

import numpy as np
import torch

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
from train_segmentation import data, mean_iou  # noqa: E402  the same canvases and score

OUT = pathlib.Path(__file__).resolve().parent.parent.parent / "examples" / "segmentation"
T = 20
CLASSES = 11
TRAIN = 4000
TEST = 100
BATCH = 16


def events(images, seed):
    """[N, T, 1, 32, 32] uint8: pixel value p fires with probability p each tick."""
    rng = np.random.default_rng(seed)
    return (rng.random((len(images), T) + images.shape[1:]) < images[:, None]).astype(np.uint8)


def convs():
    torch.manual_seed(11)
    layers = [torch.nn.Conv2d(1, 8, 3, padding=1, bias=False),
              torch.nn.Conv2d(8, 16, 3, padding=2, dilation=2, bias=False),
              torch.nn.Conv2d(16, 16, 3, padding=4, dilation=4, bias=False),
              torch.nn.Conv2d(16, CLASSES, 1, bias=False)]
    with torch.no_grad():
        for c in layers:  # spiking layers need larger weights than an ANN's to fire at all
            c.weight.mul_(2.5)
    return layers


class Sinabs:
    name = "sinabs"

    def __init__(self):
        import sinabs.layers as sl
        from sinabs.activation import MembraneSubtract, SingleSpike

        c = convs()
        iaf = lambda: sl.IAFSqueeze(batch_size=BATCH, spike_threshold=torch.tensor(1.0), spike_fn=SingleSpike,
                                    reset_fn=MembraneSubtract(), min_v_mem=None)
        self.net = torch.nn.Sequential(c[0], iaf(), sl.SumPool2d(2), c[1], iaf(), c[2], iaf(), c[3], iaf())

    def run(self, x):
        """Output spikes [N, T, 11, 16, 16] for events [N, T, 1, 32, 32]."""
        import sinabs

        sinabs.reset_states(self.net)
        n = x.shape[0]
        for m in self.net:
            if hasattr(m, "batch_size"):
                m.batch_size = n
        out = self.net(x.reshape((n * T,) + tuple(x.shape[2:])))
        return out.reshape((n, T) + tuple(out.shape[1:]))

    def export(self, path):
        import nir
        import sinabs

        for m in self.net:
            if hasattr(m, "batch_size"):
                m.batch_size = 1
        sinabs.reset_states(self.net)
        graph = sinabs.to_nir(self.net, torch.zeros(1, 1, 32, 32))
        graph.infer_types()
        nir.write(str(path), graph)


class SnnTorch:
    name = "snntorch"

    def __init__(self):
        import snntorch as snn

        c = convs()
        shapes = [(8, 32, 32), (16, 16, 16), (16, 16, 16), (CLASSES, 16, 16)]
        # Per-neuron beta and threshold tensors: with scalars snnTorch's exporter writes 0-d
        # fields and its own type check fails (tools/nir/train_snntorch_bars.py).
        self.neurons = [snn.Leaky(beta=torch.full(s, 0.99), threshold=torch.full(s, 1.0), init_hidden=True,
                                  reset_mechanism="subtract", output=(k == 3)) for k, s in enumerate(shapes)]
        n = self.neurons
        self.net = torch.nn.Sequential(c[0], n[0], torch.nn.AvgPool2d(2), c[1], n[1], c[2], n[2], c[3], n[3])

    def run(self, x):
        for m in self.neurons:
            m.reset_mem()
        out = []
        for t in range(x.shape[1]):
            spk, _ = self.net(x[:, t])
            out.append(spk)
        return torch.stack(out, 1)

    def export(self, path):
        import nir
        from snntorch.export_nir import export_to_nir

        graph = export_to_nir(self.net, torch.zeros(1, 1, 32, 32), ignore_dims=[0])
        nir.write(str(path), graph)


def segment(counts):
    """Per pixel of the 32x32 canvas, the class with the most spikes (the lower index on a
    tie, the background where none fired), read at its 16x16 output position."""
    classes = np.where(counts.max(1) > 0, counts.argmax(1), 0)
    return classes.repeat(2, axis=1).repeat(2, axis=2)


def main():
    framework = {"sinabs": Sinabs, "snntorch": SnnTorch}[sys.argv[1]]()
    epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 8
    (train_x, train_m), (test_x, test_m) = data()
    train_e = torch.tensor(events(train_x[:TRAIN], 6), dtype=torch.float32)
    train_m = torch.tensor(train_m[:TRAIN])
    test_e = events(test_x[:TEST], 7)
    opt = torch.optim.Adam(framework.net.parameters(), lr=2e-3)
    start = time.time()
    for epoch in range(epochs):
        order = torch.randperm(TRAIN, generator=torch.Generator().manual_seed(epoch))
        total = 0.0
        for b in range(0, TRAIN, BATCH):
            idx = order[b:b + BATCH]
            counts = framework.run(train_e[idx]).sum(1)
            logits = counts.repeat_interleave(2, 2).repeat_interleave(2, 3) * 0.5
            loss = torch.nn.functional.cross_entropy(logits, train_m[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        print(f"epoch {epoch}: loss {total / TRAIN:.4f} ({time.time() - start:.0f} s)", flush=True)
    with torch.no_grad():
        counts = np.concatenate([framework.run(torch.tensor(test_e[b:b + BATCH], dtype=torch.float32)).sum(1).numpy()
                                 for b in range(0, TEST, BATCH)])
    pred = segment(counts)
    score = {"mean_iou": mean_iou(pred, test_m[:TEST]), "pixel_accuracy": float((pred == test_m[:TEST]).mean()),
             "output_rate": float(counts.mean() / T), "epochs": epochs, "train": TRAIN, "test": TEST, "ticks": T,
             "torch": torch.__version__}
    print(json.dumps(score))
    OUT.mkdir(parents=True, exist_ok=True)
    np.save(OUT / "test-events.npy", test_e)
    np.save(OUT / "test-masks.npy", test_m[:TEST].astype(np.uint8))
    np.save(OUT / f"{framework.name}-counts.npy", counts.astype(np.int16))
    framework.export(OUT / f"{framework.name}.nir")
    (OUT / f"{framework.name}.json").write_text(json.dumps(score, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()

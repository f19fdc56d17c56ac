#!/usr/bin/env python3
"""Writes examples/tiny-int.npz: integer weights for examples/tiny-int.yaml, a network that
is already exact in integers, so `tessera compile`, `emulate` and `simulate` run on it
before the conversion passes exist. Weights are fixed by a seeded NumPy generator."""
import os

import numpy as np

rng = np.random.default_rng(7)
here = os.path.join(os.path.dirname(__file__), "..", "examples")
np.savez(
    os.path.join(here, "tiny-int.npz"),
    **{
        # 4-bit weights (bit-sliced on cores): 4 inputs -> 6 hidden
        "hidden.weight": rng.integers(-8, 8, size=(6, 4)).astype(np.int8),
        # trinary weights with one magnitude per output (the signed encoding): 6 -> 3
        "out.weight": (rng.integers(-1, 2, size=(3, 6)) * np.array([[2], [3], [1]])).astype(np.int8),
    },
)
print("wrote", os.path.normpath(os.path.join(here, "tiny-int.npz")))

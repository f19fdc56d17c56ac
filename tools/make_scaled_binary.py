"""Writes Tests/TesseraTests/Fixtures/digits/binary-scaled.npz: the binary digits MLP of
train_digits.py re-expressed with trained scales, as an XNOR-Net style network stores them.

Each layer keeps its {-1, 0, 1} weights w and gets
  - weight_scale alpha (h1: one per output channel; out: one for the layer), and
  - activation_scale beta (h1: 0.5, the value one hidden spike stands for), so that
    a neuron computes y_c = alpha_c * sum_i w_ci * (beta_in * x_i) + b_c and fires iff
    y_c >= 1 (the YAML's threshold).
The biases are chosen so that this fires exactly where the original fires (sum w x >= 1):
b_c = 1 - alpha_c * beta_in, so y_c >= 1 iff alpha_c * beta_in * (sum w x - 1) >= 0. The
scales are dyadic (k / 4), so every product is exact in floating point.

The script checks its own forward pass of the scaled network against the original's
integer forward pass (binary_expected.npz) on all 360 test images before writing.
Run from the repository root: python3 tools/make_scaled_binary.py (NumPy only).
"""
import numpy as np

D = "Tests/TesseraTests/Fixtures/digits/"
net = np.load(D + "binary.npz")
expected = np.load(D + "binary_expected.npz")
images = np.load(D + "test_images.npy").reshape(-1, 64)

rng = np.random.default_rng(7)
alpha_h1 = rng.choice([0.25, 0.5, 0.75, 1.25, 1.5, 2.0, 3.0], size=64)
alpha_out = np.array([1.5])
beta_h1 = np.array([0.5])

assert not net["h1.bias"].any() and not net["out.bias"].any(), "the original fires iff sum w x >= 1"
scaled = {
    "h1.weight": net["h1.weight"], "h1.weight_scale": alpha_h1, "h1.activation_scale": beta_h1,
    "h1.bias": 1 - alpha_h1 * 1.0,            # the image's pixels stand for 1
    "out.weight": net["out.weight"], "out.weight_scale": alpha_out,
    "out.bias": np.full(10, 1 - alpha_out[0] * beta_h1[0]),
}

# The scaled network's own forward pass, by its definition above.
x = (images >= 0.5).astype(np.float64)
h = (alpha_h1 * (x @ scaled["h1.weight"].T) + scaled["h1.bias"] >= 1).astype(np.float64)
o = (alpha_out * ((beta_h1 * h) @ scaled["out.weight"].T) + scaled["out.bias"] >= 1).astype(np.float64)
assert (h == expected["hidden"]).all() and (o == expected["output"]).all()
np.savez(D + "binary-scaled.npz", **scaled)
print("wrote", D + "binary-scaled.npz; hidden and output equal binary_expected.npz on", len(images), "images")

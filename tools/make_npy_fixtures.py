#!/usr/bin/env python3
"""Writes the NumPy fixtures the tests read (Tests/TesseraTests/Fixtures/npy).

The files come from NumPy itself, so the Swift reader is checked against the real format,
not against our own idea of it. Values follow simple formulas the tests restate:
`np.arange(n).reshape(shape) * scale + offset`. Run once; commit the output.
"""
import io
import os
import zipfile

import numpy as np

out = os.environ.get("NPY_FIXTURES") or os.path.join(os.path.dirname(__file__), "..", "Tests", "TesseraTests", "Fixtures", "npy")
os.makedirs(out, exist_ok=True)


def save(name, array):
    np.save(os.path.join(out, name), array, allow_pickle=False)


# Good files: one per supported dtype, values arange(12) reshaped (3, 4), minus 5 so that
# signed types hold negatives.
base = np.arange(12).reshape(3, 4) - 5
save("f4.npy", (base * 0.5).astype("<f4"))
save("f8.npy", (base * 0.25).astype("<f8"))
save("i1.npy", base.astype("i1"))
save("i2.npy", (base * 1000).astype("<i2"))
save("i4.npy", (base * 100000).astype("<i4"))
save("u1.npy", np.arange(12, dtype="u1").reshape(3, 4))
save("f4-big-endian.npy", (base * 0.5).astype(">f4"))
save("scalar-shape.npy", np.arange(5, dtype="<f4"))  # shape (5,)

# Version 2.0 header (written when asked for explicitly).
with open(os.path.join(out, "v2.npy"), "wb") as f:
    np.lib.format.write_array(f, (base * 0.5).astype("<f4"), version=(2, 0))

# What NumPy writes without being asked: Fortran order for any transposed array (here, and
# in an archive as scikit-learn users save mlp.coefs_[0].T), float16 and bool arrays, 0-d
# arrays for scalars, and the wider unsigned types.
save("fortran.npy", np.asfortranarray((base * 0.5).astype("<f4")))
save("fortran-3d.npy", np.asfortranarray((np.arange(24).reshape(2, 3, 4) - 5).astype("<i2")))
save("float16.npy", np.zeros((2, 2), dtype="<f2"))
save("f2.npy", (base * 0.5).astype("<f2"))
save("f2-special.npy", np.array([1 / 3, 2.0**-24, -65504.0, -0.0], dtype="<f2"))
save("b1.npy", np.array([[True, False, True], [False, False, True]]))
save("zero-d.npy", np.float32(2.5))
save("u2.npy", (np.arange(12).reshape(3, 4) * 1000).astype("<u2"))
save("u8.npy", (np.arange(12).reshape(3, 4) * 10**12).astype("<u8"))
coefs = (np.arange(12).reshape(4, 3) - 5).astype("<f8") * 0.125  # (in, out), as scikit-learn keeps it
np.savez(os.path.join(out, "sklearn-mlp.npz"), **{"h.weight": coefs.T, "h.bias": np.array([0.5, -0.5, 1.0])})

# Bad files.
save("complex.npy", np.zeros((2, 2), dtype="<c8"))
np.save(os.path.join(out, "object.npy"), np.array([1, "two"], dtype=object), allow_pickle=True)
good = open(os.path.join(out, "f4.npy"), "rb").read()
open(os.path.join(out, "truncated.npy"), "wb").write(good[:-6])
open(os.path.join(out, "not-npy.npy"), "wb").write(b"this is not a numpy file at all\n")
save("nan.npy", np.array([1.0, np.nan], dtype="<f4"))
# Empty, but its other dimensions' product (2^64) overflows every stride: numpy.load refuses
# it. The header is written by hand, as NumPy cannot save such an array.
huge = "{'descr': '<f4', 'fortran_order': True, 'shape': (0, 4294967296, 4294967296), }"
huge += " " * (118 - len(huge) - 1) + "\n"
open(os.path.join(out, "fuzz-empty-huge-shape.npy"), "wb").write(b"\x93NUMPY\x01\x00" + len(huge).to_bytes(2, "little") + huge.encode())

# Archives: plain and compressed, keys as the network format expects.
w = (np.arange(2 * 4).reshape(2, 4) - 3).astype("<f4")  # dense 4 -> 2
b = np.array([0.5, -0.5], dtype="<f4")
np.savez(os.path.join(out, "dense.npz"), **{"fc.weight": w, "fc.bias": b})
np.savez_compressed(os.path.join(out, "dense-compressed.npz"), **{"fc.weight": w, "fc.bias": b, "extra": b})
np.savez(os.path.join(out, "dense-wrong-shape.npz"), **{"fc.weight": w.T.copy(), "fc.bias": b})
np.savez(os.path.join(out, "dense-no-bias.npz"), **{"fc.weight": w})
buffer = io.BytesIO()
np.savez(buffer, **{"fc.weight": w, "fc.bias": b})
open(os.path.join(out, "corrupt.npz"), "wb").write(buffer.getvalue()[:-40])
# One byte changed inside fc.weight's array data: the member's CRC-32 no longer matches, and
# numpy.load refuses it with "Bad CRC-32".
data = bytearray(buffer.getvalue())
info = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("fc.weight.npy")
start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
data[start + info.file_size - 3] ^= 0x40  # inside the last float32 of the array
open(os.path.join(out, "bad-crc.npz"), "wb").write(bytes(data))
np.save(os.path.join(out, "dense-weight.npy"), w)
np.save(os.path.join(out, "dense-bias.npy"), b)
# A batch of three samples for a 2-element input port: (3, 2).
np.save(os.path.join(out, "batch.npy"), np.array([[1, 0], [0, 1], [1, 1]], dtype="<f4"))
print("fixtures written to", os.path.normpath(out))

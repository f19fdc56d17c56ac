"""Real-looking input frames for the full-size workloads: a tracking frame for SiamSNN
(examples/siamsnn) and an image for the spiking DeepLab (examples/deeplab).

The search image is the photograph of Grace Hopper that matplotlib ships (its
sample_data/grace_hopper.jpg, a public-domain US Navy photo), resized to 3x255x255; the
exemplar is the 127x127 window around her face, as SiamFC crops the target from the first
frame. DeepLab's image is the same photograph at 3x224x224. Values are in [0, 1]
(float32, channel-first), ready for `tessera emulate --encoding rate`.

    python3 -m venv .venv && .venv/bin/pip install numpy matplotlib
    .venv/bin/python tools/make_example_frames.py   # writes examples/{siamsnn,deeplab}/frame-*.npy
"""
import os

import matplotlib
import numpy as np
from PIL import Image

here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, "..", "examples", "siamsnn")
deeplab = os.path.join(here, "..", "examples", "deeplab")
photo = os.path.join(os.path.dirname(matplotlib.__file__), "mpl-data", "sample_data", "grace_hopper.jpg")

image = Image.open(photo).convert("RGB")  # 512 x 600
side = min(image.size)
left, top = (image.width - side) // 2, (image.height - side) // 2
square = image.crop((left, top, left + side, top + side))
search = square.resize((255, 255), Image.BILINEAR)
# The exemplar: the centre 127x127 of the search image (the target's window).
exemplar = search.crop((64, 40, 64 + 127, 40 + 127))


def chw(im):
    return (np.asarray(im, dtype=np.float32) / 255.0).transpose(2, 0, 1).copy()


np.save(os.path.join(out, "frame-search.npy"), chw(search))
np.save(os.path.join(out, "frame-exemplar.npy"), chw(exemplar))
np.save(os.path.join(deeplab, "frame-image.npy"), chw(square.resize((224, 224), Image.BILINEAR)))
print("search", chw(search).shape, "mean", float(chw(search).mean()), "exemplar", chw(exemplar).shape, "mean", float(chw(exemplar).mean()))

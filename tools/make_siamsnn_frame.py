"""One real-looking tracking frame for the full-size SiamSNN (examples/siamsnn).

The search image is the photograph of Grace Hopper that matplotlib ships (its
sample_data/grace_hopper.jpg, a public-domain US Navy photo), resized to 3x255x255; the
exemplar is the 127x127 window at its centre (her face), as SiamFC crops the target from
the first frame. Values are in [0, 1] (float32, channel-first), ready for
`tessera emulate --encoding rate`.

    python3 -m venv .venv && .venv/bin/pip install numpy matplotlib
    .venv/bin/python tools/make_siamsnn_frame.py          # writes examples/siamsnn/frame-*.npy
"""
import os

import matplotlib
import numpy as np
from PIL import Image

here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, "..", "examples", "siamsnn")
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
print("search", chw(search).shape, "mean", float(chw(search).mean()), "exemplar", chw(exemplar).shape, "mean", float(chw(exemplar).mean()))

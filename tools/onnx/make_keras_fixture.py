#!/usr/bin/env python3
"""Trains a small CNN on scikit-learn's digits with Keras (TensorFlow), converts it to ONNX
with tf2onnx, and writes it with onnxruntime's outputs to Tests/TesseraTests/Fixtures/trained/.
The tests read the committed files; nothing here runs in CI.

    /tmp/onnxvenv/bin/pip install -r tools/onnx/requirements.txt -r tools/onnx/requirements-keras.txt
    /tmp/onnxvenv/bin/python tools/onnx/make_keras_fixture.py

keras-cnn: Keras' own layout, channels last: Conv2D 3x3 1->8 (same padding), ReLU;
Conv2D 3x3 8->16 (same padding), BatchNormalization, ReLU; AveragePooling2D 2x2; Flatten;
Dense 256->10. (A strided "same" convolution would export as asymmetric pads, which
Tessera refuses: docs/onnx.md.)
tf2onnx converts it with the input as NCHW (`inputs_as_nchw`), as a user targeting a
channels-first tool does; what is left of the channels-last layout (a Transpose before the
Flatten's Reshape) is the exporter's.

Data: the digits split of tools/train_digits.py (test_size=360, random_state=0, stratified),
the same test images as the PyTorch fixtures (digits.input.npy, [N, 1, 8, 8]).

Writes keras-cnn.onnx and keras-cnn.output.npy (onnxruntime's scores on digits.input.npy,
one sample at a time) and adds the model's accuracies, ops and versions to keras.json.
Fixed seeds, deterministic ops and one thread, and tf2onnx's made-up names
(`new_shape__44`, numbered by a counter that differs from run to run) renamed in order of
first use: running it again gives the same bytes.
"""
import json
import os
import re

os.environ["TF_DETERMINISTIC_OPS"] = "1"
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
os.environ["CUDA_VISIBLE_DEVICES"] = ""

import numpy as np
import onnx
import onnxruntime as ort
import tensorflow as tf
import tf2onnx
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
OUT = os.path.join(ROOT, "Tests", "TesseraTests", "Fixtures", "trained")

tf.config.threading.set_intra_op_parallelism_threads(1)
tf.config.threading.set_inter_op_parallelism_threads(1)
tf.keras.utils.set_random_seed(0)
tf.config.experimental.enable_op_determinism()


def model():
    k = tf.keras
    inputs = k.Input(shape=(8, 8, 1), name="image")
    x = k.layers.Conv2D(8, 3, padding="same", activation="relu", name="conv1")(inputs)
    x = k.layers.Conv2D(16, 3, padding="same", name="conv2")(x)
    x = k.layers.BatchNormalization(name="bn2")(x)
    x = k.layers.ReLU(name="relu2")(x)
    x = k.layers.AveragePooling2D(2, name="pool2")(x)
    x = k.layers.Flatten(name="flatten")(x)
    outputs = k.layers.Dense(10, name="fc")(x)
    return k.Model(inputs, outputs, name="keras_cnn")


def renumber(proto):
    """tf2onnx's generated names end in __<counter> (and of two equal constants either name
    may survive): rename them generated_<k> in order of first use by the nodes, and sort the
    initializers by name."""
    names = {}

    def fix(name):
        if not re.match(r"^.*__\d+(:\d+)?$", name):
            return name
        if name not in names:
            names[name] = f"generated_{len(names)}"
        return names[name]

    g = proto.graph
    for n in g.node:
        n.name = fix(n.name)
        n.input[:] = [fix(i) for i in n.input]
        n.output[:] = [fix(o) for o in n.output]
    for t in g.initializer:
        t.name = fix(t.name)
    ordered = sorted(g.initializer, key=lambda t: t.name)
    copies = [onnx.TensorProto() for _ in ordered]
    for c, t in zip(copies, ordered):
        c.CopyFrom(t)
    del g.initializer[:]
    g.initializer.extend(copies)


def main():
    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).reshape(-1, 1, 8, 8).astype(np.float32)
    xtr, _, ytr, _ = train_test_split(x, y, test_size=360, random_state=0, stratify=y)
    xte = np.load(os.path.join(OUT, "digits.input.npy"))
    yte = np.load(os.path.join(OUT, "digits.labels.npy"))
    net = model()
    net.compile(optimizer=tf.keras.optimizers.Adam(0.01),
                loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    net.fit(xtr.transpose(0, 2, 3, 1), ytr, epochs=30, batch_size=64, shuffle=True, verbose=0)
    keras_scores = net.predict(xte.transpose(0, 2, 3, 1), verbose=0)
    spec = (tf.TensorSpec((None, 8, 8, 1), tf.float32, name="image"),)
    proto, _ = tf2onnx.convert.from_keras(net, input_signature=spec, opset=17, inputs_as_nchw=["image"])
    proto.producer_version = tf2onnx.__version__
    renumber(proto)
    path = os.path.join(OUT, "keras-cnn.onnx")
    onnx.save(proto, path)
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    scores = np.concatenate([session.run(None, {name: xte[i:i + 1]})[0] for i in range(len(xte))]).astype(np.float32)
    np.save(os.path.join(OUT, "keras-cnn.output.npy"), scores)
    summary = {
        "keras-cnn": {
            "keras_accuracy": float((keras_scores.argmax(1) == yte).mean()),
            "onnxruntime_accuracy": float((scores.argmax(1) == yte).mean()),
            "largest_difference_keras_onnxruntime": float(np.abs(keras_scores - scores).max()),
            "ops": sorted({n.op_type for n in proto.graph.node}),
        },
        "versions": {"tensorflow": tf.__version__, "keras": tf.keras.__version__ if hasattr(tf.keras, "__version__") else "",
                     "tf2onnx": tf2onnx.__version__, "onnx": onnx.__version__, "onnxruntime": ort.__version__},
    }
    with open(os.path.join(OUT, "keras.json"), "w") as f:
        json.dump(summary, f, indent=2, sort_keys=True)
        f.write("\n")
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()

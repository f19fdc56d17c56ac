#!/usr/bin/env python3
"""Writes the ONNX fixtures the tests read (Tests/TesseraTests/Fixtures/onnx).

Run from the repository root (the tests read the committed files; nothing here runs in CI):

    python3 -m venv /tmp/onnxvenv && /tmp/onnxvenv/bin/pip install -r tools/onnx/requirements.txt
    /tmp/onnxvenv/bin/python tools/onnx/make_fixtures.py

Networks exported by PyTorch (its default exporter, torch.export + onnxscript, and the legacy
TorchScript exporter) and built by hand with onnx.helper. For each `<name>.onnx` it writes
`<name>.input.npy` (float32, batch first) and `<name>.output.npy` (float32): what onnxruntime
computes, one sample at a time (every model has batch 1), stacked along the batch axis. Models
exported from PyTorch are also checked against PyTorch itself, and the hand-built ones against
the same network written with torch.nn.functional.

Then `malformed/`: files a reader must refuse, each for one reason (README.md lists them).

Finally `manifest.json` (every file's graph: ops in order, nodes with their inputs, outputs and
attributes, opset, ir_version, inputs and outputs with shapes) and README.md, both generated
here from the files as written, so that they cannot disagree with them.

Deterministic: torch.manual_seed and numpy.random.default_rng with fixed seeds, onnxruntime on
one thread. Running it twice on one machine gives the same bytes (see README.md for the one
check it makes). On another CPU the .onnx files come out the same, but onnxruntime may pick
other kernels, and segmenter.output.npy (with the figures manifest.json gives for it) can
differ in the last float32 bits.
"""
import contextlib
import importlib.metadata as md
import io
import json
import os
import sys
import warnings

import numpy as np
import onnx
import onnxruntime as ort
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import TensorProto, helper, numpy_helper

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
DIGITS = os.path.join(ROOT, "Tests", "TesseraTests", "Fixtures", "digits")
OUT = os.path.join(ROOT, "Tests", "TesseraTests", "Fixtures", "onnx")
BAD = os.path.join(OUT, "malformed")
PRODUCER = "tessera tools/onnx/make_fixtures.py"

torch.set_num_threads(1)
warnings.filterwarnings("ignore")  # the legacy exporter's DeprecationWarning, torch.export's FutureWarnings

manifest = {"models": {}, "malformed": {}}
notes = {}  # facts for the README, measured while writing


def version(pkg):
    return md.version(pkg)


VERSIONS = {p: version(p) for p in ["torch", "onnx", "onnxruntime", "onnxscript", "onnx-ir", "numpy",
                                    "protobuf", "ml_dtypes"]}
VERSIONS["python"] = sys.version.split()[0]


def rel(path):
    return os.path.relpath(path, OUT)


def save_npy(name, array):
    np.save(os.path.join(OUT, name), np.ascontiguousarray(array, dtype=np.float32), allow_pickle=False)


# ---------------------------------------------------------------------------------------------
# onnxruntime and description of a written file

def session(path):
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.log_severity_level = 4
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def run_ort(path, x):
    """onnxruntime, one sample at a time (the models have batch 1), stacked on axis 0."""
    s = session(path)
    assert len(s.get_inputs()) == 1 and len(s.get_outputs()) == 1, path
    name = s.get_inputs()[0].name
    outs = [s.run(None, {name: x[i:i + 1]})[0] for i in range(len(x))]
    return np.concatenate(outs, axis=0).astype(np.float32)


DTYPES = {v: k for k, v in TensorProto.DataType.items()}


def shape_of(value_info):
    return [d.dim_param if d.HasField("dim_param") else d.dim_value
            for d in value_info.type.tensor_type.shape.dim]


def attribute_value(a):
    v = helper.get_attribute_value(a)
    if isinstance(v, bytes):
        return v.decode()
    if isinstance(v, TensorProto):
        arr = numpy_helper.to_array(v)
        d = {"tensor": DTYPES[v.data_type], "shape": list(arr.shape)}
        if arr.size <= 16:
            d["values"] = arr.reshape(-1).tolist()
        return d
    if isinstance(v, list):
        return [x.decode() if isinstance(x, bytes) else x for x in v]
    return v


def describe(path, exporter, **extra):
    """The facts about a written model that the manifest and README record."""
    m = onnx.load(path, load_external_data=False)
    g = m.graph
    init_names = {t.name for t in g.initializer}
    external = sorted({e.value for t in g.initializer for e in t.external_data if e.key == "location"})
    d = {
        "file": rel(path),
        "bytes": os.path.getsize(path),
        "exporter": exporter,
        "producer": f"{m.producer_name} {m.producer_version}".strip(),
        "ir_version": m.ir_version,
        "opset": {(o.domain or "ai.onnx"): o.version for o in m.opset_import},
        "ops": [n.op_type for n in g.node],
        "inputs": [{"name": i.name, "shape": shape_of(i), "dtype": DTYPES[i.type.tensor_type.elem_type]}
                   for i in g.input if i.name not in init_names],
        "outputs": [{"name": o.name, "shape": shape_of(o), "dtype": DTYPES[o.type.tensor_type.elem_type]}
                    for o in g.output],
        "initializers": [{"name": t.name, "dtype": DTYPES[t.data_type], "shape": list(t.dims),
                          **({"external": True} if t.data_location == TensorProto.EXTERNAL else {})}
                         for t in g.initializer],
        "nodes": [{"name": n.name, "op": n.op_type, "inputs": list(n.input), "outputs": list(n.output),
                   "attributes": {a.name: attribute_value(a) for a in n.attribute}} for n in g.node],
    }
    if external:
        d["external_data"] = external
        for e in external:
            d.setdefault("external_data_bytes", {})[e] = os.path.getsize(os.path.join(os.path.dirname(path), e))
    d.update(extra)
    return d


def record(name, path, exporter, x_file, y_file, y, **extra):
    d = describe(path, exporter, input_npy=x_file, output_npy=y_file, output_npy_shape=list(y.shape), **extra)
    manifest["models"][name] = d
    ops = " ".join(d["ops"])
    print(f"{d['file']}: {d['bytes']} B, {exporter}, opset {d['opset']['ai.onnx']}, ir {d['ir_version']}: {ops}")
    return d


def check_close(what, a, b, atol=1e-5, rtol=1e-4):
    err = float(np.max(np.abs(a - b)))
    assert np.allclose(a, b, atol=atol, rtol=rtol), f"{what}: max |diff| {err}"
    return err


# ---------------------------------------------------------------------------------------------
# PyTorch exports

def quiet(fn, *args, **kwargs):
    """torch.onnx prints its progress; keep it, but only show it if the export fails."""
    buf = io.StringIO()
    try:
        with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
            return fn(*args, **kwargs)
    except Exception:
        sys.stderr.write(buf.getvalue())
        raise


def export_default(model, x, path):
    """torch.onnx.export(model, (x,), path) with this torch's defaults (dynamo=True since 2.9),
    except external_data=False: with the default (True) the exporter writes every weight to a
    `<path>.data` file beside the model, even for a few kilobytes. The graph is the same."""
    try:
        quiet(torch.onnx.export, model, (x,), path, external_data=False)
        strip_stack_traces(path)
        return "default (dynamo=True: torch.export + onnxscript)"
    except Exception as e:  # not expected with torch 2.13; kept so that a change is reported
        reason = f"{type(e).__name__}: {e}".splitlines()[0]
        print(f"default exporter failed for {rel(path)} ({reason}); falling back to dynamo=False")
        quiet(torch.onnx.export, model, (x,), path, dynamo=False)
        return f"legacy (dynamo=False) after the default exporter failed: {reason}"


STACK_TRACE = "pkg.torch.onnx.stack_trace"


def strip_stack_traces(path):
    """The default exporter gives every node metadata_props; one of them, pkg.torch.onnx.stack_trace,
    holds the Python stack of the forward call with absolute paths (the virtual environment's, this
    script's), which would make the file depend on where it was made. Only that entry is removed;
    the others (namespace, class_hierarchy, fx_node, name_scopes) stay, as a reader meets them."""
    m = onnx.load(path)
    removed = 0
    for node in m.graph.node:
        keep = [p for p in node.metadata_props if p.key != STACK_TRACE]
        removed += len(node.metadata_props) - len(keep)
        del node.metadata_props[:]
        node.metadata_props.extend(keep)
    save(m, path)
    notes.setdefault("stack_traces_removed", {})[rel(path)] = removed


def export_legacy(model, x, path, **kwargs):
    quiet(torch.onnx.export, model, (x,), path, dynamo=False, **kwargs)
    args = ", ".join(f"{k}={v}" for k, v in kwargs.items())
    return f"legacy (dynamo=False, {args})"


def load_npz(name):
    with np.load(os.path.join(DIGITS, name)) as z:
        return {k: torch.from_numpy(z[k].astype(np.float32)) for k in z.files}


def digits_mlp():
    w = load_npz("mlp.npz")
    m = nn.Sequential(nn.Flatten(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
    with torch.no_grad():
        m[1].weight.copy_(w["h1.weight"]); m[1].bias.copy_(w["h1.bias"])
        m[3].weight.copy_(w["out.weight"]); m[3].bias.copy_(w["out.bias"])
    return m.eval()


def digits_cnn():
    w = load_npz("cnn.npz")
    m = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.AvgPool2d(2), nn.Flatten(), nn.Linear(64, 10))
    with torch.no_grad():
        m[0].weight.copy_(w["c1.weight"]); m[0].bias.copy_(w["c1.bias"])
        m[4].weight.copy_(w["out.weight"]); m[4].bias.copy_(w["out.bias"])
    return m.eval()


SEGMENTER_WEIGHT_SCALE = 3.0


class Segmenter(nn.Module):
    """DeepLab-style: conv, dilated conv (the skip), pool, conv, nearest upsample, add, head.
    torch's default init shrinks activations layer by layer (output std 0.07 on these inputs);
    every conv weight is multiplied by SEGMENTER_WEIGHT_SCALE after it (biases kept), which
    keeps the activations O(1): mean 0.3 to 0.6 per layer, output std about 0.8."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 8, 3, padding=1)
        self.c2 = nn.Conv2d(8, 8, 3, padding=2, dilation=2)
        self.pool = nn.AvgPool2d(2)
        self.c3 = nn.Conv2d(8, 8, 3, padding=1)
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.head = nn.Conv2d(8, 4, 1)
        with torch.no_grad():
            for c in (self.c1, self.c2, self.c3, self.head):
                c.weight.mul_(SEGMENTER_WEIGHT_SCALE)

    def forward(self, x):
        x = torch.relu(self.c1(x))
        skip = torch.relu(self.c2(x))
        y = torch.relu(self.c3(self.pool(skip)))
        y = torch.relu(skip + self.up(y))
        return self.head(y)


def bn_convtranspose():
    torch.manual_seed(4)
    m = nn.Sequential(nn.Conv2d(2, 6, 3, padding=1), nn.BatchNorm2d(6), nn.ReLU(),
                      nn.ConvTranspose2d(6, 4, kernel_size=2, stride=2), nn.ReLU(), nn.Conv2d(4, 3, 1))
    rng = np.random.default_rng(5)
    bn = m[1]
    with torch.no_grad():
        bn.running_mean.copy_(torch.from_numpy(rng.uniform(-0.5, 0.5, 6).astype(np.float32)))
        bn.running_var.copy_(torch.from_numpy(rng.uniform(0.5, 2.0, 6).astype(np.float32)))
        bn.weight.copy_(torch.from_numpy(rng.uniform(0.5, 1.5, 6).astype(np.float32)))
        bn.bias.copy_(torch.from_numpy(rng.uniform(-0.3, 0.3, 6).astype(np.float32)))
    return m.eval()


def torch_fixtures():
    images = np.load(os.path.join(DIGITS, "test_images.npy")).astype(np.float32)
    labels = np.load(os.path.join(DIGITS, "test_labels.npy"))
    with open(os.path.join(DIGITS, "summary.json")) as f:
        summary = json.load(f)
    x64 = images[:64]
    example = torch.from_numpy(x64[:1])

    # 1. digits-mlp
    m = digits_mlp()
    path = os.path.join(OUT, "digits-mlp.onnx")
    exporter = export_default(m, example, path)
    y = run_ort(path, x64)
    with torch.no_grad():
        err = check_close("digits-mlp vs torch", y, m(torch.from_numpy(x64)).numpy())
    save_npy("digits-mlp.input.npy", x64)
    save_npy("digits-mlp.output.npy", y)
    record("digits-mlp", path, exporter, "digits-mlp.input.npy", "digits-mlp.output.npy", y,
           weights="Fixtures/digits/mlp.npz", max_abs_diff_vs_torch=err)

    # 2. digits-cnn, on the 64 images and on all 360
    m = digits_cnn()
    path = os.path.join(OUT, "digits-cnn.onnx")
    exporter = export_default(m, example, path)
    y = run_ort(path, x64)
    with torch.no_grad():
        err = check_close("digits-cnn vs torch", y, m(torch.from_numpy(x64)).numpy())
    save_npy("digits-cnn.input.npy", x64)
    save_npy("digits-cnn.output.npy", y)
    y_all = run_ort(path, images)
    save_npy("digits-cnn-all.output.npy", y_all)
    accuracy = float((y_all.argmax(1) == labels).mean())
    print(f"digits-cnn on all {len(images)} test images: accuracy {accuracy} "
          f"(summary.json cnn_accuracy {summary['cnn_accuracy']})")
    assert accuracy == summary["cnn_accuracy"], (accuracy, summary["cnn_accuracy"])
    notes["cnn_accuracy"] = accuracy
    notes["cnn_correct"] = int((y_all.argmax(1) == labels).sum())
    top2 = np.sort(y_all, axis=1)[:, -2:]
    notes["cnn_margin"] = float((top2[:, 1] - top2[:, 0]).min())
    record("digits-cnn", path, exporter, "digits-cnn.input.npy", "digits-cnn.output.npy", y,
           weights="Fixtures/digits/cnn.npz", max_abs_diff_vs_torch=err,
           also={"digits-cnn-all.output.npy": {"inputs": "Fixtures/digits/test_images.npy (all 360, as float32)",
                                               "shape": list(y_all.shape),
                                               "accuracy_vs_test_labels": accuracy,
                                               "smallest_top1_top2_gap": notes["cnn_margin"]}})

    # 3. the same CNN through the legacy exporter, opsets 11 and 13
    for opset in (11, 13):
        name = f"digits-cnn-opset{opset}"
        path = os.path.join(OUT, name + ".onnx")
        exporter = export_legacy(m, example, path, opset_version=opset)
        y_o = run_ort(path, x64)
        err = check_close(f"{name} vs digits-cnn", y_o, y)
        save_npy(name + ".output.npy", y_o)
        record(name, path, exporter, "digits-cnn.input.npy", name + ".output.npy", y_o,
               weights="Fixtures/digits/cnn.npz", max_abs_diff_vs_digits_cnn=err)

    # 4. segmenter
    torch.manual_seed(3)
    m = Segmenter().eval()
    x = np.random.default_rng(10).random((8, 3, 16, 16), dtype=np.float32)
    path = os.path.join(OUT, "segmenter.onnx")
    exporter = export_default(m, torch.from_numpy(x[:1]), path)
    y = run_ort(path, x)
    with torch.no_grad():
        err = check_close("segmenter vs torch", y, m(torch.from_numpy(x)).numpy())
        skip = torch.relu(m.c2(torch.relu(m.c1(torch.from_numpy(x)))))
    assert y.std() > 0.3, y.std()
    notes["segmenter_stats"] = (float(y.std()), float(np.abs(y).max()), float((skip > 0).float().mean()))
    save_npy("segmenter.input.npy", x)
    save_npy("segmenter.output.npy", y)
    record("segmenter", path, exporter, "segmenter.input.npy", "segmenter.output.npy", y,
           weights=f"torch default init after torch.manual_seed(3), conv weights (not biases) times "
                   f"{SEGMENTER_WEIGHT_SCALE}", max_abs_diff_vs_torch=err,
           output_std=float(y.std()))

    # 5. BatchNormalization + ConvTranspose: legacy with folding off (BN kept), and default
    m = bn_convtranspose()
    x = np.random.default_rng(11).random((8, 2, 8, 8), dtype=np.float32)
    with torch.no_grad():
        ref = m(torch.from_numpy(x)).numpy()
    save_npy("bn-convtranspose.input.npy", x)
    path = os.path.join(OUT, "bn-convtranspose.onnx")
    exporter = export_legacy(m, torch.from_numpy(x[:1]), path, opset_version=17, do_constant_folding=False)
    ops = [n.op_type for n in onnx.load(path).graph.node]
    assert "BatchNormalization" in ops, f"the legacy exporter folded BatchNormalization anyway: {ops}"
    y = run_ort(path, x)
    err = check_close("bn-convtranspose vs torch", y, ref)
    save_npy("bn-convtranspose.output.npy", y)
    bn = m[1]
    bn_params = {"eps": bn.eps, "running_mean": bn.running_mean.tolist(), "running_var": bn.running_var.tolist(),
                 "weight": bn.weight.tolist(), "bias": bn.bias.tolist()}
    record("bn-convtranspose", path, exporter, "bn-convtranspose.input.npy", "bn-convtranspose.output.npy", y,
           weights="torch default init after torch.manual_seed(4); BatchNorm statistics from default_rng(5)",
           batchnorm=bn_params, max_abs_diff_vs_torch=err)

    path = os.path.join(OUT, "bn-convtranspose-default.onnx")
    exporter = export_default(m, torch.from_numpy(x[:1]), path)
    ops = [n.op_type for n in onnx.load(path).graph.node]
    notes["default_bn_folded"] = "BatchNormalization" not in ops
    y = run_ort(path, x)
    err = check_close("bn-convtranspose-default vs torch", y, ref)
    save_npy("bn-convtranspose-default.output.npy", y)
    record("bn-convtranspose-default", path, exporter, "bn-convtranspose.input.npy",
           "bn-convtranspose-default.output.npy", y, batchnorm_folded_into_conv=notes["default_bn_folded"],
           max_abs_diff_vs_torch=err)


# ---------------------------------------------------------------------------------------------
# Hand-built models (onnx.helper)

def init(name, array, dtype=np.float32):
    return numpy_helper.from_array(np.asarray(array, dtype=dtype), name)


def vi(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


IR_FOR_OPSET = {7: 3, 11: 6, 13: 7, 17: 8, 18: 9}


def model(graph_name, nodes, inputs, outputs, inits, opset=18, check="full"):
    if IR_FOR_OPSET[opset] < 4:  # before IR 4, every initializer must also be a graph input
        inputs = inputs + [helper.make_tensor_value_info(i.name, i.data_type, list(i.dims)) for i in inits]
    g = helper.make_graph(nodes, graph_name, inputs, outputs, initializer=inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], ir_version=IR_FOR_OPSET[opset],
                          producer_name=PRODUCER)
    if check == "full":
        onnx.checker.check_model(m, full_check=True)  # includes strict shape inference
    elif check == "basic":
        onnx.checker.check_model(m)
    return m


def save(m, path):
    """The model's bytes as protobuf writes them (no onnx.save: it would act on external data)."""
    with open(path, "wb") as f:
        f.write(m.SerializeToString())


def t(a):
    return torch.from_numpy(np.asarray(a, dtype=np.float32))


def mixed():
    rng = np.random.default_rng(22)
    w1 = rng.normal(0, 1.2, (4, 2, 3, 3)); b1 = rng.uniform(1.0, 2.0, 4)     # 3x3 conv -> ReLU6 (clips)
    wk = rng.normal(0, 0.8, (3, 2, 1, 1)); b2 = rng.uniform(-0.2, 0.2, 3)    # 1x1 conv -> Relu
    wg = rng.normal(0, 0.5, (6, 7)); bg = rng.uniform(-0.2, 0.2, 6)         # Gemm, transB=1
    wm = rng.normal(0, 0.5, (6, 3)); bm = rng.uniform(-0.2, 0.2, 3)         # MatMul [in, out] + Add
    nodes = [
        helper.make_node("Constant", [], ["conv2.weight"], name="conv2_weight",
                         value=init("conv2_weight_value", wk)),
        helper.make_node("Identity", ["x"], ["x_id"], name="identity"),
        helper.make_node("Dropout", ["x_id"], ["x_drop"], name="dropout"),
        helper.make_node("Conv", ["x_drop", "conv1.weight", "conv1.bias"], ["conv1_out"], name="conv1",
                         kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[1, 1]),
        helper.make_node("Clip", ["conv1_out", "clip_min", "clip_max"], ["relu6_out"], name="relu6"),
        helper.make_node("Conv", ["x_drop", "conv2.weight", "conv2.bias"], ["conv2_out"], name="conv2",
                         kernel_shape=[1, 1]),
        helper.make_node("Relu", ["conv2_out"], ["relu2_out"], name="relu2"),
        helper.make_node("Concat", ["relu6_out", "relu2_out"], ["cat"], name="concat", axis=1),
        helper.make_node("GlobalAveragePool", ["cat"], ["gap"], name="gap"),
        helper.make_node("Flatten", ["gap"], ["flat"], name="flatten", axis=1),
        helper.make_node("Gemm", ["flat", "fc1.weight", "fc1.bias"], ["fc1_out"], name="fc1",
                         transB=1, alpha=0.5, beta=2.0),
        helper.make_node("Relu", ["fc1_out"], ["fc1_relu"], name="relu3"),
        helper.make_node("MatMul", ["fc1_relu", "fc2.weight"], ["fc2_mm"], name="fc2_matmul"),
        helper.make_node("Add", ["fc2_mm", "fc2.bias"], ["y"], name="fc2_add"),
    ]
    inits = [init("conv1.weight", w1), init("conv1.bias", b1), init("clip_min", 0.0), init("clip_max", 6.0),
             init("conv2.bias", b2), init("fc1.weight", wg), init("fc1.bias", bg),
             init("fc2.weight", wm), init("fc2.bias", bm)]
    m = model("mixed", nodes, [vi("x", [1, 2, 6, 6])], [vi("y", [1, 3])], inits, opset=18)

    def reference(x):
        x = t(x)
        a = torch.clamp(F.conv2d(x, t(w1), t(b1), padding=1), 0, 6)
        b = torch.relu(F.conv2d(x, t(wk), t(b2)))
        h = torch.cat([a, b], 1).mean((2, 3))
        h = torch.relu(0.5 * h @ t(wg).T + 2.0 * t(bg))
        return (h @ t(wm) + t(bm)).numpy(), float(((F.conv2d(x, t(w1), t(b1), padding=1)) > 6).float().mean())
    return m, reference


def squeeze_flatten():
    rng = np.random.default_rng(23)
    w = rng.normal(0, 0.5, (4, 2, 3, 3)); b = rng.uniform(0, 0.3, 4)
    wg = rng.normal(0, 0.5, (3, 4)); bg = rng.uniform(-0.2, 0.2, 3)
    nodes = [
        helper.make_node("Conv", ["x", "conv1.weight", "conv1.bias"], ["c1"], name="conv1", kernel_shape=[3, 3]),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("GlobalAveragePool", ["r1"], ["gap"], name="gap"),
        helper.make_node("Squeeze", ["gap", "squeeze_axes"], ["sq"], name="squeeze"),
        helper.make_node("Gemm", ["sq", "fc.weight", "fc.bias"], ["y"], name="fc", transB=1),
    ]
    inits = [init("conv1.weight", w), init("conv1.bias", b), init("squeeze_axes", [2, 3], np.int64),
             init("fc.weight", wg), init("fc.bias", bg)]
    m = model("squeeze_flatten", nodes, [vi("x", [1, 2, 8, 8])], [vi("y", [1, 3])], inits, opset=13)

    def reference(x):
        h = torch.relu(F.conv2d(t(x), t(w), t(b))).mean((2, 3))
        return (h @ t(wg).T + t(bg)).numpy()
    return m, reference


def reshape_flatten():
    rng = np.random.default_rng(24)
    w = rng.normal(0, 0.6, (3, 1, 3, 3)); b = rng.uniform(0, 0.3, 3)
    w1 = rng.normal(0, 0.3, (48, 8)); b1 = rng.uniform(-0.1, 0.3, 8)   # transB=0: [in, out]
    w2 = rng.normal(0, 0.5, (4, 8)); b2 = rng.uniform(-0.2, 0.2, 4)    # transB=1: [out, in]
    nodes = [
        helper.make_node("Conv", ["x", "conv1.weight", "conv1.bias"], ["c1"], name="conv1", kernel_shape=[3, 3]),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("Reshape", ["r1", "flat_shape"], ["flat"], name="reshape"),
        helper.make_node("Gemm", ["flat", "fc1.weight", "fc1.bias"], ["f1"], name="fc1"),
        helper.make_node("Relu", ["f1"], ["r2"], name="relu2"),
        helper.make_node("Gemm", ["r2", "fc2.weight", "fc2.bias"], ["y"], name="fc2", transB=1),
    ]
    inits = [init("conv1.weight", w), init("conv1.bias", b), init("flat_shape", [1, -1], np.int64),
             init("fc1.weight", w1), init("fc1.bias", b1), init("fc2.weight", w2), init("fc2.bias", b2)]
    m = model("reshape_flatten", nodes, [vi("x", [1, 1, 6, 6])], [vi("y", [1, 4])], inits, opset=17)

    def reference(x):
        h = torch.relu(F.conv2d(t(x), t(w), t(b))).reshape(len(x), -1)
        h = torch.relu(h @ t(w1) + t(b1))
        return (h @ t(w2).T + t(b2)).numpy()
    return m, reference


def helper_fixtures():
    # 6. mixed, weights in mixed.onnx.data
    m, reference = mixed()
    path = os.path.join(OUT, "mixed.onnx")
    data = os.path.join(OUT, "mixed.onnx.data")
    if os.path.exists(data):
        os.remove(data)  # onnx appends to an existing data file
    onnx.save_model(m, path, save_as_external_data=True, all_tensors_to_one_file=True,
                    location="mixed.onnx.data", size_threshold=0)
    os.chmod(data, 0o644)  # onnx creates it 0600
    onnx.checker.check_model(path, full_check=True)
    x = np.random.default_rng(12).random((8, 2, 6, 6), dtype=np.float32)
    y = run_ort(path, x)
    ref, clipped = reference(x)
    err = check_close("mixed vs torch.nn.functional", y, ref)
    notes["mixed_clipped"] = clipped
    save_npy("mixed.input.npy", x)
    save_npy("mixed.output.npy", y)
    record("mixed", path, "onnx.helper", "mixed.input.npy", "mixed.output.npy", y,
           weights="numpy default_rng(22); every initializer in mixed.onnx.data (the Constant node's "
                   "tensor stays inline: onnx.save_model does not move attributes unless convert_attribute=True)",
           conv1_fraction_above_6=clipped, max_abs_diff_vs_torch=err)

    # 7. squeeze-flatten, reshape-flatten
    for name, build, seed, shape in [("squeeze-flatten", squeeze_flatten, 13, (8, 2, 8, 8)),
                                     ("reshape-flatten", reshape_flatten, 14, (8, 1, 6, 6))]:
        m, reference = build()
        path = os.path.join(OUT, name + ".onnx")
        save(m, path)
        x = np.random.default_rng(seed).random(shape, dtype=np.float32)
        y = run_ort(path, x)
        err = check_close(f"{name} vs torch.nn.functional", y, reference(x))
        save_npy(name + ".input.npy", x)
        save_npy(name + ".output.npy", y)
        record(name, path, "onnx.helper", name + ".input.npy", name + ".output.npy", y,
               weights=f"numpy default_rng({ {'squeeze-flatten': 23, 'reshape-flatten': 24}[name] })",
               max_abs_diff_vs_torch=err)


# ---------------------------------------------------------------------------------------------
# Malformed and unsupported models

def conv_classifier(rng, act="Relu", x_shape=(1, 2, 8, 8), opset=18, weight=None):
    """x [1,2,8,8] -> Conv 'conv1' (2->4, 3x3, pads 1) -> act 'relu1' -> GlobalAveragePool 'gap'
    -> Flatten 'flatten' -> Gemm 'fc' (4->3, transB=1) -> y [1,3]."""
    w = rng.normal(0, 0.5, (4, 2, 3, 3)) if weight is None else weight
    nodes = [
        helper.make_node("Conv", ["x", "conv1.weight", "conv1.bias"], ["c1"], name="conv1",
                         kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node(act, ["c1"], ["a1"], name="relu1" if act == "Relu" else "act1"),
        helper.make_node("GlobalAveragePool", ["a1"], ["gap"], name="gap"),
        helper.make_node("Flatten", ["gap"], ["flat"], name="flatten"),
        helper.make_node("Gemm", ["flat", "fc.weight", "fc.bias"], ["y"], name="fc", transB=1),
    ]
    inits = [init("conv1.weight", w), init("conv1.bias", rng.uniform(0, 0.2, 4)),
             init("fc.weight", rng.normal(0, 0.5, (3, 4))), init("fc.bias", np.zeros(3))]
    return nodes, [vi("x", list(x_shape))], [vi("y", [1, 3])], inits


def malformed():
    rng = np.random.default_rng(30)
    files = []  # (name, bytes or model, expected report, checker mode)

    def add(name, content, node, op, reason, check):
        files.append((name, content, node, op, reason, check))

    add("not-protobuf.onnx", b"This is not an ONNX model, just text.\n", None, None,
        "not a protobuf ModelProto: the bytes do not parse", None)

    nodes, ins, outs, inits = conv_classifier(rng)
    good = model("truncated", nodes, ins, outs, inits).SerializeToString()
    add("truncated.onnx", good[:len(good) // 2], None, None,
        f"protobuf parse error: the file is the first {len(good) // 2} of {len(good)} bytes of a valid model", None)

    add("empty.onnx", b"", None, None,
        "empty file (0 bytes; protobuf reads it as an empty ModelProto with no graph and ir_version 0)", None)

    nodes, ins, outs, inits = conv_classifier(rng)
    inits = [i for i in inits if i.name != "conv1.weight"]
    add("missing-initializer.onnx", model("missing_initializer", nodes, ins, outs, inits, check=None),
        "conv1", "Conv", "input 'conv1.weight' is not an initializer, a graph input or the output of any node",
        None)

    nodes, ins, outs, inits = conv_classifier(rng, weight=rng.normal(0, 0.5, (4, 3, 3, 3)))
    add("wrong-weight-shape.onnx", model("wrong_weight_shape", nodes, ins, outs, inits, check="basic"),
        "conv1", "Conv", "weight 'conv1.weight' is [4, 3, 3, 3] (3 input channels, group 1) but input 'x' "
        "is [1, 2, 8, 8] (2 channels)", "basic")

    w = init("conv1.weight", rng.normal(0, 0.5, (4, 2, 3, 3)))
    nodes = [
        helper.make_node("Conv", ["x", "conv1.weight", "conv1.bias"], ["c1"], name="conv1", kernel_shape=[3, 3],
                         pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("MaxPool", ["r1"], ["p1"], name="pool1", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Flatten", ["p1"], ["flat"], name="flatten"),
        helper.make_node("Gemm", ["flat", "fc.weight", "fc.bias"], ["y"], name="fc", transB=1),
    ]
    inits = [w, init("conv1.bias", np.zeros(4)), init("fc.weight", rng.normal(0, 0.2, (3, 64))),
             init("fc.bias", np.zeros(3))]
    add("maxpool.onnx", model("maxpool", nodes, [vi("x", [1, 2, 8, 8])], [vi("y", [1, 3])], inits),
        "pool1", "MaxPool", "unsupported op (max pooling; Tessera has average and sum pooling)", "full")

    nodes, ins, outs, inits = conv_classifier(rng, act="Sigmoid")
    add("sigmoid.onnx", model("sigmoid", nodes, ins, outs, inits),
        "act1", "Sigmoid", "unsupported activation (only Relu maps to a spiking neuron)", "full")

    nodes = [
        helper.make_node("Flatten", ["x"], ["flat"], name="flatten"),
        helper.make_node("Gemm", ["flat", "fc1.weight", "fc1.bias"], ["h"], name="fc1", transB=1),
        helper.make_node("Relu", ["h"], ["hr"], name="relu1"),
        helper.make_node("Gemm", ["hr", "fc2.weight", "fc2.bias"], ["logits"], name="fc2", transB=1),
        helper.make_node("Softmax", ["logits"], ["y"], name="softmax", axis=1),
    ]
    inits = [init("fc1.weight", rng.normal(0, 0.2, (8, 128))), init("fc1.bias", np.zeros(8)),
             init("fc2.weight", rng.normal(0, 0.3, (3, 8))), init("fc2.bias", np.zeros(3))]
    add("softmax.onnx", model("softmax", nodes, [vi("x", [1, 2, 8, 8])], [vi("y", [1, 3])], inits),
        "softmax", "Softmax", "unsupported op (the classifier ends in Softmax; spiking outputs are the "
        "logits' rates, so the Softmax should be removed before export)", "full")

    hidden = 5
    nodes = [helper.make_node("LSTM", ["x", "lstm.W", "lstm.R", "lstm.B"], ["y"], name="lstm1", hidden_size=hidden)]
    inits = [init("lstm.W", rng.normal(0, 0.3, (1, 4 * hidden, 3))), init("lstm.R", rng.normal(0, 0.3, (1, 4 * hidden, hidden))),
             init("lstm.B", np.zeros((1, 8 * hidden)))]
    add("lstm.onnx", model("lstm", nodes, [vi("x", [4, 1, 3])], [vi("y", [4, 1, 1, hidden])], inits),
        "lstm1", "LSTM", "unsupported op (recurrent layer)", "full")

    nodes, _, outs, inits = conv_classifier(rng)
    add("dynamic-shape.onnx", model("dynamic_shape", nodes, [vi("x", [1, 2, "H", 8])], outs, inits),
        None, None, "input 'x' has a symbolic dimension: shape [1, 2, H, 8] (dim_param 'H'); every dimension "
        "must be a fixed number", "full")

    nodes, ins, outs, inits = conv_classifier(rng)
    m = model("external_missing", nodes, ins, outs, inits)
    w = next(i for i in m.graph.initializer if i.name == "conv1.weight")
    size = len(w.raw_data)
    w.ClearField("raw_data")
    w.data_location = TensorProto.EXTERNAL
    for k, v in [("location", "external-missing.onnx.data"), ("offset", "0"), ("length", str(size))]:
        e = w.external_data.add(); e.key = k; e.value = v
    add("external-missing.onnx", m, "conv1", "Conv",
        f"initializer 'conv1.weight' is stored in external file 'external-missing.onnx.data' (offset 0, "
        f"length {size}), which does not exist beside the model", None)

    wn = rng.normal(0, 0.5, (4, 2, 3, 3)); wn[1, 0, 1, 1] = np.nan
    nodes, ins, outs, inits = conv_classifier(rng, weight=wn)
    add("nan-weight.onnx", model("nan_weight", nodes, ins, outs, inits),
        "conv1", "Conv", "initializer 'conv1.weight' holds a NaN (at [1, 0, 1, 1])", "full")

    nodes, ins, outs, inits = conv_classifier(rng)
    add("old-opset.onnx", model("old_opset", nodes, ins, outs, inits, opset=7),
        None, None, "opset 7 (ai.onnx), ir_version 3: older than the oldest opset the reader accepts "
        "(the exporters here write 11 and up)", "full")

    nodes, ins, outs, inits = conv_classifier(rng)
    nodes = [nodes[1], nodes[0]] + nodes[2:]
    add("unsorted.onnx", model("unsorted", nodes, ins, outs, inits, check=None),
        "relu1", "Relu", "node 0 'relu1' reads 'c1', which node 1 'conv1' (Conv) writes later: the nodes are "
        "not in topological order (the ONNX spec requires it)", None)

    nodes = [
        helper.make_node("Conv", ["x", "conv1.weight", "conv1.bias"], ["c1"], name="conv1", kernel_shape=[3, 3],
                         pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("AveragePool", ["r1"], ["p1"], name="pool1", kernel_shape=[3, 3], strides=[2, 2],
                         pads=[1, 1, 1, 1], count_include_pad=0),
        helper.make_node("Flatten", ["p1"], ["flat"], name="flatten"),
        helper.make_node("Gemm", ["flat", "fc.weight", "fc.bias"], ["y"], name="fc", transB=1),
    ]
    inits = [init("conv1.weight", rng.normal(0, 0.5, (4, 2, 3, 3))), init("conv1.bias", np.zeros(4)),
             init("fc.weight", rng.normal(0, 0.2, (3, 64))), init("fc.bias", np.zeros(3))]
    add("avgpool-exclude-pad.onnx", model("avgpool_exclude_pad", nodes, [vi("x", [1, 2, 8, 8])], [vi("y", [1, 3])], inits),
        "pool1", "AveragePool", "pads [1, 1, 1, 1] with count_include_pad=0: windows at the border divide by "
        "fewer than 9 (Tessera's pooling divides every window by its full size)", "full")

    nodes = [
        helper.make_node("Conv", ["x", "conv1.weight", "conv1.bias"], ["c1"], name="conv1", kernel_shape=[3, 3],
                         pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("Resize", ["r1", "", "up_scales"], ["u1"], name="up1", mode="linear",
                         coordinate_transformation_mode="align_corners"),
        helper.make_node("Conv", ["u1", "conv2.weight", "conv2.bias"], ["c2"], name="conv2", kernel_shape=[1, 1]),
        helper.make_node("Relu", ["c2"], ["y"], name="relu2"),
    ]
    inits = [init("conv1.weight", rng.normal(0, 0.5, (4, 2, 3, 3))), init("conv1.bias", np.zeros(4)),
             init("up_scales", [1, 1, 2, 2]), init("conv2.weight", rng.normal(0, 0.5, (3, 4, 1, 1))),
             init("conv2.bias", np.zeros(3))]
    add("resize-linear.onnx", model("resize_linear", nodes, [vi("x", [1, 2, 8, 8])], [vi("y", [1, 3, 16, 16])], inits),
        "up1", "Resize", "mode 'linear' with coordinate_transformation_mode 'align_corners': not an upsample "
        "Tessera has (nearest, or bilinear with PyTorch's align_corners=False, i.e. half_pixel)", "full")

    nodes = [
        helper.make_node("Conv", ["x", "conv1.weight", "conv1.bias"], ["c1"], name="conv1", kernel_shape=[3, 3],
                         pads=[1, 1, 1, 1]),
        helper.make_node("Conv", ["c1", "conv2.weight", "conv2.bias"], ["c2"], name="conv2", kernel_shape=[3, 3],
                         pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c2"], ["r2"], name="relu2"),
        helper.make_node("GlobalAveragePool", ["r2"], ["gap"], name="gap"),
        helper.make_node("Flatten", ["gap"], ["flat"], name="flatten"),
        helper.make_node("Gemm", ["flat", "fc.weight", "fc.bias"], ["y"], name="fc", transB=1),
    ]
    inits = [init("conv1.weight", rng.normal(0, 0.5, (4, 2, 3, 3))), init("conv1.bias", np.zeros(4)),
             init("conv2.weight", rng.normal(0, 0.5, (4, 4, 3, 3))), init("conv2.bias", np.zeros(4)),
             init("fc.weight", rng.normal(0, 0.5, (3, 4))), init("fc.bias", np.zeros(3))]
    add("conv-no-relu.onnx", model("conv_no_relu", nodes, [vi("x", [1, 2, 8, 8])], [vi("y", [1, 3])], inits),
        "conv1", "Conv", "its output 'c1' goes straight into Conv 'conv2' with no activation between: "
        "a layer without a neuron (Tessera needs Relu after every Conv/Gemm but the last)", "full")

    for name, content, node, op, reason, check in files:
        path = os.path.join(BAD, name)
        if isinstance(content, bytes):
            with open(path, "wb") as f:
                f.write(content)
        else:
            save(content, path)
        facts = {"file": rel(path), "bytes": os.path.getsize(path), "node": node, "op": op, "reason": reason,
                 "checker": check or "skipped"}
        try:
            onnx.load(path)
            facts["onnx_load"] = "ok"
        except Exception as e:
            facts["onnx_load"] = f"fails ({type(e).__name__})"
        try:
            s = session(path)
            facts["onnxruntime"] = "loads"
            feed = {i.name: np.full([d if isinstance(d, int) else 8 for d in i.shape], 0.5, np.float32)
                    for i in s.get_inputs()}
            try:
                s.run(None, feed)
                facts["onnxruntime"] = "loads and runs"
            except Exception as e:
                facts["onnxruntime"] = "loads, fails to run"
                facts["onnxruntime_message"] = str(e).splitlines()[0][:240]
        except Exception as e:
            msg = str(e).replace(OUT + os.sep, "").replace(BAD + os.sep, "")
            facts["onnxruntime"] = "refuses"
            facts["onnxruntime_message"] = msg.splitlines()[0][:240]
        manifest["malformed"][name] = facts
        print(f"{facts['file']}: {facts['bytes']} B, onnx.load {facts['onnx_load']}, onnxruntime {facts['onnxruntime']}"
              + (f": {facts['onnxruntime_message']}" if "onnxruntime_message" in facts else ""))
    assert manifest["malformed"]["not-protobuf.onnx"]["onnx_load"] != "ok"
    assert manifest["malformed"]["truncated.onnx"]["onnx_load"] != "ok"


# ---------------------------------------------------------------------------------------------
# README

def fmt_shape(s):
    return "[" + ", ".join(str(d) for d in s) + "]"


def attrs_of(d, op):
    return [(n["name"], n["attributes"]) for n in d["nodes"] if n["op"] == op]


def readme():
    M = manifest["models"]
    v = VERSIONS
    lines = []
    w = lines.append
    w("# ONNX fixtures")
    w("")
    w("Written by `tools/onnx/make_fixtures.py` (this file and `manifest.json` too: edit the script, not them).")
    w("Regenerate from the repository root:")
    w("")
    w("    python3 -m venv /tmp/onnxvenv && /tmp/onnxvenv/bin/pip install -r tools/onnx/requirements.txt && /tmp/onnxvenv/bin/python tools/onnx/make_fixtures.py")
    w("")
    w(f"Made with Python {v['python']}, torch {v['torch']}, onnx {v['onnx']}, onnxruntime {v['onnxruntime']}, "
      f"onnxscript {v['onnxscript']} (onnx-ir {v['onnx-ir']}), numpy {v['numpy']}, protobuf {v['protobuf']}, "
      f"ml_dtypes {v['ml_dtypes']}.")
    w("")
    w("For each `<name>.onnx`: `<name>.input.npy` (float32, batch first, N samples) and "
      "`<name>.output.npy` (float32, [N, ...]): onnxruntime's output (CPU, one thread), run one sample at a "
      "time (every model has batch 1 and static shapes) and stacked. Files that share inputs say so below. "
      "`manifest.json` has, per file, the op types in order, every node (name, op, inputs, outputs, "
      "attributes), the initializers, opset, ir_version, inputs and outputs with shapes, and the "
      "largest difference between onnxruntime and PyTorch (or torch.nn.functional for the hand-built models).")
    w("")
    w("## Models")
    w("")
    w("| file | exporter | opset | ir | ops (in order) | input | output | inputs / outputs (.npy) |")
    w("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, d in M.items():
        i, o = d["inputs"][0], d["outputs"][0]
        ex = "default (dynamo)" if d["exporter"].startswith("default") else (
            "legacy (TorchScript)" if d["exporter"].startswith("legacy") else d["exporter"])
        w(f"| `{d['file']}` | {ex} | {d['opset']['ai.onnx']} | {d['ir_version']} | {' '.join(d['ops'])} | "
          f"`{i['name']}` {fmt_shape(i['shape'])} | `{o['name']}` {fmt_shape(o['shape'])} | "
          f"`{d['input_npy']}` / `{d['output_npy']}` {fmt_shape(d['output_npy_shape'])} |")
    w("")
    w("Exporters: *default* is `torch.onnx.export(model, (x,), path, external_data=False)`: torch "
      f"{v['torch']}'s default is `dynamo=True` (torch.export, translated by onnxscript, then its optimizer). "
      "`external_data=False` is the one change from the defaults: with the default `True` the exporter "
      "writes every weight to `<file>.data` beside the model however small it is; the graph is the same. "
      "*legacy* is `dynamo=False` (the TorchScript exporter, deprecated since torch 2.9) with the opset given. "
      "All exports use a fixed example input of batch 1 and no dynamic axes; all models are in eval mode.")
    w("")
    w("### Per file")
    w("")
    d = M["digits-mlp"]
    w(f"- `digits-mlp.onnx`: `nn.Sequential(Flatten, Linear(64,64), ReLU, Linear(64,10))` with the weights of "
      f"`Fixtures/digits/mlp.npz` (PyTorch layout, out x in). Inputs: the first 64 images of "
      f"`Fixtures/digits/test_images.npy` as float32. The default exporter wrote {' '.join(d['ops'])}: "
      f"Flatten became Reshape (shape initializer `{d['nodes'][0]['inputs'][1]}`), and Linear became Gemm "
      f"(transB=1).")
    d = M["digits-cnn"]
    pool = attrs_of(d, "AveragePool")[0][1]
    w(f"- `digits-cnn.onnx`: Conv2d(1,4,3,padding=1), ReLU, AvgPool2d(2), Flatten, Linear(64,10) with "
      f"`Fixtures/digits/cnn.npz`; same 64 inputs (`digits-cnn.input.npy` equals `digits-mlp.input.npy`). "
      f"Ops: {' '.join(d['ops'])}. AveragePool attributes: {json.dumps(pool)}.")
    w(f"- `digits-cnn-all.output.npy`: `digits-cnn.onnx` in onnxruntime on all 360 images of "
      f"`Fixtures/digits/test_images.npy` (no input file: read that one, as float32), [360, 10]. "
      f"Argmax accuracy against `test_labels.npy`: **{notes['cnn_accuracy']}** ({notes['cnn_correct']}/360), "
      f"as `Fixtures/digits/summary.json` says (cnn_accuracy 0.975). Smallest gap between an image's two "
      f"largest logits: {notes['cnn_margin']:.3g}.")
    for opset in (11, 13):
        d = M[f"digits-cnn-opset{opset}"]
        pool = attrs_of(d, "AveragePool")[0][1]
        w(f"- `digits-cnn-opset{opset}.onnx`: the same CNN, legacy exporter, `opset_version={opset}`. Ops: "
          f"{' '.join(d['ops'])}; AveragePool attributes {json.dumps(pool)}. Input name `{d['inputs'][0]['name']}`, "
          f"output `{d['outputs'][0]['name']}`. Inputs: `digits-cnn.input.npy`; outputs "
          f"`digits-cnn-opset{opset}.output.npy` (largest difference from `digits-cnn.output.npy`: "
          f"{d['max_abs_diff_vs_digits_cnn']:.3g}).")
    d = M["segmenter"]
    rz = attrs_of(d, "Resize")
    std, amax, frac = notes["segmenter_stats"]
    w(f"- `segmenter.onnx`: c1 Conv2d(3,8,3,p1)+ReLU; c2 Conv2d(8,8,3,p2,dilation 2)+ReLU (`skip`); "
      f"AvgPool2d(2); c3 Conv2d(8,8,3,p1)+ReLU; Upsample(scale_factor=2, nearest); ReLU(skip + upsampled); "
      f"head Conv2d(8,4,1), no ReLU (per-pixel logits). torch's default init after `torch.manual_seed(3)`, "
      f"then every conv weight (not the biases) multiplied by {SEGMENTER_WEIGHT_SCALE} to keep activations O(1); "
      f"inputs `default_rng(10).random((8,3,16,16), float32)`. Ops: {' '.join(d['ops'])}. "
      f"The upsample was written as "
      + (f"Resize with attributes {json.dumps(rz[0][1])} and inputs {d['nodes'][[n['op'] for n in d['nodes']].index('Resize')]['inputs']}"
         if rz else "(no Resize)")
      + f". Output std {std:.3f}, max |y| {amax:.3f}; {100 * frac:.0f}% of `skip` is positive.")
    d = M["bn-convtranspose"]
    bn = attrs_of(d, "BatchNormalization")[0][1]
    ct = attrs_of(d, "ConvTranspose")[0][1]
    w(f"- `bn-convtranspose.onnx`: Conv2d(2,6,3,p1), BatchNorm2d(6), ReLU, ConvTranspose2d(6,4,k2,s2), ReLU, "
      f"Conv2d(4,3,1); torch's init after `torch.manual_seed(4)`, BatchNorm running_mean U(-0.5,0.5), "
      f"running_var U(0.5,2), weight U(0.5,1.5), bias U(-0.3,0.3) from `default_rng(5)` (values in "
      f"`manifest.json`). Legacy exporter, `opset_version=17, do_constant_folding=False`: the "
      f"BatchNormalization node is kept (asserted). Ops: {' '.join(d['ops'])}. BatchNormalization "
      f"attributes {json.dumps(bn)}; ConvTranspose attributes {json.dumps(ct)}. Inputs "
      f"`default_rng(11).random((8,2,8,8), float32)`.")
    d = M["bn-convtranspose-default"]
    w(f"- `bn-convtranspose-default.onnx`: the same model through the default exporter. BatchNormalization "
      + ("**was folded into the Conv** (its optimizer does this even without being asked)"
         if d["batchnorm_folded_into_conv"] else "was kept")
      + f": ops {' '.join(d['ops'])}. Inputs `bn-convtranspose.input.npy`, outputs "
      f"`bn-convtranspose-default.output.npy`.")
    d = M["mixed"]
    w(f"- `mixed.onnx` + `mixed.onnx.data` (onnx.helper): weights as external data "
      f"(`onnx.save_model(..., save_as_external_data=True, all_tensors_to_one_file=True, "
      f"location=\"mixed.onnx.data\", size_threshold=0)`): every initializer is in `mixed.onnx.data` "
      f"({d['external_data_bytes']['mixed.onnx.data']} bytes); the Constant node's tensor (conv2's weight) stays inline "
      f"in the node's `value` attribute. Graph: Constant 'conv2_weight' -> `conv2.weight`; x -> Identity -> "
      f"Dropout (inference, no ratio input, one output) -> two branches: Conv 'conv1' 3x3, pads "
      f"[1,1,1,1], strides [1,1] -> Clip 'relu6' (min, max as initializers `clip_min`=0, `clip_max`=6); "
      f"and Conv 'conv2' 1x1 -> Relu; Concat axis 1 (4+3 channels) -> GlobalAveragePool -> Flatten -> Gemm 'fc1' "
      f"(transB=1, alpha=0.5, beta=2.0) -> Relu -> MatMul 'fc2_matmul' (`fc2.weight` is [in, out] = [6, 3]) -> "
      f"Add 'fc2_add' (bias). The Relu after the Gemm is not in the brief: without it the Gemm and the MatMul "
      f"would be two linear layers in a row, which is `malformed/conv-no-relu.onnx`'s case. "
      f"{100 * notes['mixed_clipped']:.1f}% of conv1's outputs are above 6 on these inputs, so the Clip "
      f"matters (a reader that treats it as a plain Relu gets different outputs). Inputs "
      f"`default_rng(12).random((8,2,6,6), float32)`; weights `default_rng(22)`. Opset 18, ir_version 9.")
    d = M["squeeze-flatten"]
    w(f"- `squeeze-flatten.onnx` (onnx.helper, opset 13): Conv 3x3 (2->4, no padding) -> Relu -> "
      f"GlobalAveragePool -> Squeeze (axes [2,3] as the int64 initializer `squeeze_axes`, the opset-13 form) "
      f"-> Gemm (transB=1). Inputs `default_rng(13)`, weights `default_rng(23)`.")
    w(f"- `reshape-flatten.onnx` (onnx.helper, opset 17): Conv 3x3 (1->3) -> Relu -> Reshape to [1, -1] "
      f"(int64 initializer `flat_shape`) -> Gemm 'fc1' (transB=0: `fc1.weight` is [in, out] = [48, 8]) -> "
      f"Relu -> Gemm 'fc2' (transB=1). Inputs `default_rng(14)`, weights `default_rng(24)`.")
    w("")
    w("### What the exporters wrote")
    w("")
    for line in exporter_notes():
        w(f"- {line}")
    w("")
    w("## Malformed and unsupported (`malformed/`)")
    w("")
    w("Each file has one thing wrong; a reader should refuse it and say which node, which op, and why. "
      "`onnx.load` and `onnxruntime` columns: what those do with the file (onnxruntime's message is in "
      "`manifest.json`). The checker column: `onnx.checker.check_model` was run when writing (full = with "
      "strict shape inference) or skipped, for the files broken on purpose.")
    w("")
    w("| file | bytes | node | op | reason to report | checker | onnx.load | onnxruntime |")
    w("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, f in manifest["malformed"].items():
        w(f"| `{name}` | {f['bytes']} | {('`' + f['node'] + '`') if f['node'] else '-'} | {f['op'] or '-'} | "
          f"{f['reason']} | {f['checker']} | {f['onnx_load']} | {f['onnxruntime']} |")
    w("")
    w("All but the first three, `missing-initializer`, `unsorted` and `external-missing` pass "
      "`onnx.checker`; the valid ones are built on one pattern: x [1,2,8,8] -> Conv 'conv1' (2->4, 3x3, pads 1) "
      "-> Relu 'relu1' -> GlobalAveragePool 'gap' -> Flatten 'flatten' -> Gemm 'fc' (4->3, transB=1) -> y [1,3], "
      "with one change each (see the script).")
    w("")
    w("## Reproducibility")
    w("")
    maxdiff = max(d.get("max_abs_diff_vs_torch", 0) for d in M.values())
    w(REPRO.format(maxdiff=maxdiff))
    w("")
    return "\n".join(lines)


REPRO = ("Running the script twice (same machine) gives byte-identical files, `.npy` and `.onnx` alike, the "
         "default (dynamo) exporter's included once its stack traces are removed (checked with `cmp` on every "
         "file). Not checked: other machines. onnxruntime's float results can differ in the last bits between "
         "CPUs (it picks SIMD kernels at run time), so tests should compare outputs with a tolerance (the "
         "largest difference between onnxruntime and PyTorch here is in `manifest.json`, "
         "`max_abs_diff_vs_torch`, at most {maxdiff:.2g}), and argmax exactly only where the margin is clear.")


def node(d, op):
    return next(n for n in d["nodes"] if n["op"] == op)


def exporter_notes():
    """What the exporters chose, read back from the files (all of it is also in manifest.json)."""
    M = manifest["models"]
    mlp, cnn, seg, bnd = M["digits-mlp"], M["digits-cnn"], M["segmenter"], M["bn-convtranspose-default"]
    leg, bn = M["digits-cnn-opset11"], M["bn-convtranspose"]
    reshape, gemm, pool = node(mlp, "Reshape"), node(mlp, "Gemm"), node(cnn, "AveragePool")
    resize, ct = node(seg, "Resize"), node(bnd, "ConvTranspose")
    shape_init = next(i for i in mlp["initializers"] if i["name"] == reshape["inputs"][1])
    out = [
        f"Default exporter: opset {mlp['opset']['ai.onnx']}, ir_version {mlp['ir_version']}, graph name "
        f"`main_graph`; input named after forward's argument (`{mlp['inputs'][0]['name']}` for nn.Sequential, "
        f"`{seg['inputs'][0]['name']}` for the segmenter), output after the last aten op "
        f"(`{mlp['outputs'][0]['name']}`, `{seg['outputs'][0]['name']}`); nodes `node_<aten op>[_k]` "
        f"(`{mlp['nodes'][0]['name']}`); initializers named by module path (`{mlp['initializers'][0]['name']}`, "
        f"`{seg['initializers'][0]['name']}`), constants it made `val_<k>`.",
        f"Default exporter, Flatten: written as **Reshape** (not Flatten), shape from the int64 initializer "
        f"`{shape_init['name']}` = [1, 64], attribute allowzero={reshape['attributes'].get('allowzero')}.",
        f"Default exporter, Linear: **Gemm** (not MatMul + Add) with every attribute written: "
        f"{json.dumps(gemm['attributes'])}. The legacy exporter also writes Gemm, without transA.",
        f"Default exporter, attributes: every one written, defaults included: Conv and AveragePool carry "
        f"auto_pad \"NOTSET\" and explicit pads; AvgPool2d(2) is AveragePool {json.dumps(pool['attributes'])} "
        f"(count_include_pad=1, PyTorch's default, written although there is no padding). The legacy exporter "
        f"writes no auto_pad and the same count_include_pad=1.",
        f"Default exporter, nn.Upsample(scale_factor=2, mode='nearest'): **Resize** with inputs "
        f"{resize['inputs']} (X, no roi, float scales initializer [1, 1, 2, 2]; no sizes input) and attributes "
        f"mode \"{resize['attributes']['mode']}\", coordinate_transformation_mode "
        f"\"{resize['attributes']['coordinate_transformation_mode']}\", nearest_mode "
        f"\"{resize['attributes']['nearest_mode']}\" (plus the defaults: antialias 0, cubic_coeff_a -0.75, "
        f"exclude_outside 0, extrapolation_value 0, keep_aspect_ratio_policy \"stretch\"). For an integer "
        f"factor this is exact nearest upsampling (output o reads input floor(o / 2)).",
        "Default exporter, BatchNorm2d after Conv2d: **folded into the Conv** (no BatchNormalization node; "
        f"the Conv is named `{bnd['nodes'][0]['name']}`, the optimizer's name). ConvTranspose "
        f"{json.dumps(ct['attributes'])} (output_padding written).",
        "Default exporter, extra fields a reader must skip: `value_info` for every intermediate tensor and "
        "also for each initializer; graph inputs carry metadata_props "
        "(pkg.torch.export.graph_signature.InputSpec.kind = USER_INPUT); every node carries metadata_props "
        "`namespace`, `pkg.torch.onnx.class_hierarchy`, `pkg.torch.onnx.fx_node`, `pkg.torch.onnx.name_scopes`. "
        "It also wrote `pkg.torch.onnx.stack_trace` (the Python stack with absolute paths of the machine): "
        "the script removes that entry only, so the files do not depend on where they were made.",
        f"Legacy exporter: input `{leg['inputs'][0]['name']}`, output a number (`{leg['outputs'][0]['name']}`, "
        f"`{bn['outputs'][0]['name']}`), nodes `/<module>/<Op>` (`{leg['nodes'][0]['name']}`), tensors "
        f"`/<module>/<Op>_output_0`, no value_info, no metadata. Flatten stays **Flatten** (axis 1). "
        f"`digits-cnn-opset11.onnx` and `-opset13.onnx` differ only in opset_import and ir_version "
        f"({leg['ir_version']} and {M['digits-cnn-opset13']['ir_version']}).",
        f"Legacy exporter with do_constant_folding=False: BatchNormalization kept, attributes "
        f"{json.dumps(node(bn, 'BatchNormalization')['attributes'])} (epsilon and momentum are float32, "
        f"so 1e-5 reads back as 9.99999974738e-06; training_mode 0, one output). Inputs: X, scale, B, "
        f"input_mean, input_var as initializers `1.weight`, `1.bias`, `1.running_mean`, `1.running_var`.",
    ]
    return out


# ---------------------------------------------------------------------------------------------

def main():
    os.makedirs(OUT, exist_ok=True)
    os.makedirs(BAD, exist_ok=True)
    torch_fixtures()
    helper_fixtures()
    malformed()
    manifest["versions"] = VERSIONS
    manifest["generator"] = "tools/onnx/make_fixtures.py"
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=False)
        f.write("\n")
    with open(os.path.join(OUT, "README.md"), "w") as f:
        f.write(readme())
    big = [p for p in sorted(os.listdir(OUT)) + ["malformed/" + q for q in sorted(os.listdir(BAD))]
           if os.path.isfile(os.path.join(OUT, p)) and os.path.getsize(os.path.join(OUT, p)) > 200_000]
    assert not big, f"files over 200 KB: {big}"


if __name__ == "__main__":
    main()

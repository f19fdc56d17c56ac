"""Writes NIR fixtures exported by the frameworks themselves (snnTorch, Sinabs, Norse) under
Tests/TesseraTests/Fixtures/nir/frameworks, with the spikes each framework computed.

Sinabs 3.1.3 pins nir<=1.0.4, and snnTorch 1.0.0's exporter needs nir>=1.0.5 (it passes
v_reset to nir.LIF), so there are two environments. Run from the repository root:

    python3 -m venv /tmp/fwvenv && /tmp/fwvenv/bin/pip install -r tools/nir/frameworks-requirements.txt
    python3 -m venv /tmp/fwvenv-sinabs && /tmp/fwvenv-sinabs/bin/pip install -r tools/nir/frameworks-sinabs-requirements.txt
    /tmp/fwvenv/bin/python tools/nir/make_framework_fixtures.py snntorch norse
    /tmp/fwvenv-sinabs/bin/python tools/nir/make_framework_fixtures.py sinabs

For each framework it builds two networks (see README.md beside the fixtures):

    <fw>-int:   input 2x8x8 -> Conv2d(2->4, 3x3, s1, p1) -> neuron -> pool 2 -> Flatten
                -> Linear(64->3) -> neuron; integer weights in -2..2, zero biases,
                thresholds 2 and 3.
    <fw>-float: input 2x8x8 -> Conv2d(2->4, 3x3, s1, p1) -> neuron
                -> Conv2d(4->8, 3x3, s2, p1, groups=2) -> neuron -> pool 2 -> Flatten
                -> Linear(32->3) -> neuron; torch's default init, scaled, float thresholds.

exports each with the framework's own exporter, writes it with nir.write, steps the network
in the framework tick by tick on seeded Bernoulli inputs (state reset per sample), and
writes <name>.nir, <name>.input.npy [N,T,2,8,8], <name>.output.npy [N,T,3],
<name>.hidden.npy [N,T,4,8,8] (first spiking layer) and <name>.meta.json (versions,
parameters, the update rule the framework ran, firing rates, what the exporter wrote). The
snnTorch networks are also run with reset_mechanism="subtract" (reset_delay True and False),
which exports to the same file: <name>.subtract[-nodelay].{output,hidden}.npy.

It then checks that the .nir reads back with nir.read and that an independent simulation
of the file's nodes (read with h5py) under the stated update rule gives the same spikes.
"""
import argparse
import importlib.metadata as md
import json
import os
import sys
import warnings

import h5py
import numpy as np
import torch
import torch.nn.functional as F
import nir

warnings.simplefilter("ignore")  # nirtorch's deprecation and snnTorch's divide warnings

OUT = "Tests/TesseraTests/Fixtures/nir/frameworks"
N, T, P = 8, 20, 0.3
INPUT_SEED = {"int": 101, "float": 102}  # the same inputs for every framework


def version(pkg):
    try:
        return md.version(pkg)
    except md.PackageNotFoundError:
        return None


def bernoulli_inputs(kind):
    rng = np.random.default_rng(INPUT_SEED[kind])
    return (rng.random((N, T, 2, 8, 8)) < P).astype(np.float32)


def int_weights():
    """The same integer weights for every framework."""
    rng = np.random.default_rng(7)
    return {
        "conv1": rng.integers(-2, 3, size=(4, 2, 3, 3)).astype(np.float32),
        "fc": rng.integers(-2, 3, size=(3, 64)).astype(np.float32),
    }


FLOAT_SEED = 8
FLOAT_SCALE = {"conv1": 4.0, "conv2": 3.0, "fc": 6.0}
BIAS_SCALE = {"conv1": 4.0, "conv2": 3.0, "fc": 1.5}


def float_weights():
    """torch's default init (seeded), scaled so the neurons fire at moderate rates."""
    torch.manual_seed(FLOAT_SEED)
    layers = {
        "conv1": torch.nn.Conv2d(2, 4, 3, stride=1, padding=1),
        "conv2": torch.nn.Conv2d(4, 8, 3, stride=2, padding=1, groups=2),
        "fc": torch.nn.Linear(32, 3),
    }
    w = {}
    for k, m in layers.items():
        w[k] = (m.weight.detach().numpy() * FLOAT_SCALE[k]).astype(np.float32)
        w[k + ".bias"] = (m.bias.detach().numpy() * BIAS_SCALE[k]).astype(np.float32)
    return w


def make_synapses(kind, pool):
    """The framework-independent torch layers, weights set under no_grad. `pool` is a module
    (the framework's pooling)."""
    conv1 = torch.nn.Conv2d(2, 4, 3, stride=1, padding=1, bias=True)
    fc = torch.nn.Linear(64 if kind == "int" else 32, 3, bias=True)
    conv2 = torch.nn.Conv2d(4, 8, 3, stride=2, padding=1, groups=2, bias=True) if kind == "float" else None
    w = int_weights() if kind == "int" else float_weights()
    with torch.no_grad():
        conv1.weight.copy_(torch.from_numpy(w["conv1"]))
        fc.weight.copy_(torch.from_numpy(w["fc"]))
        if kind == "int":
            conv1.bias.zero_()
            fc.bias.zero_()
        else:
            conv1.bias.copy_(torch.from_numpy(w["conv1.bias"]))
            fc.bias.copy_(torch.from_numpy(w["fc.bias"]))
            conv2.weight.copy_(torch.from_numpy(w["conv2"]))
            conv2.bias.copy_(torch.from_numpy(w["conv2.bias"]))
    return conv1, conv2, pool, torch.nn.Flatten(), fc


def shapes(kind):
    return [(4, 8, 8), (8, 4, 4), (3,)] if kind == "float" else [(4, 8, 8), (3,)]


# ---------------------------------------------------------------------------------------------
# Frameworks. Each builder returns a dict with the network, how to export it, step it one tick
# and reset it, the module whose output is the first spiking layer, and the parameters and the
# update rule (for the meta file and the reference check).


def build_snntorch(kind, reset_delay=True, reset_mechanism="zero"):
    import snntorch as snn
    from snntorch.export_nir import export_to_nir

    # snnTorch has no IF and no sum pool: an IF-type neuron is Leaky(beta=1), the pool AvgPool2d.
    # beta and threshold are per-neuron tensors: with scalars the exporter writes 0-d fields and
    # its own infer_types() fails ("type mismatch: 0.output: [[4 8 8]] -> 1.input: []").
    if kind == "int":
        params = [dict(beta=1.0, threshold=2.0), dict(beta=0.5, threshold=3.0)]
    else:
        params = [dict(beta=0.9, threshold=0.75), dict(beta=0.9, threshold=1.25), dict(beta=0.8, threshold=1.0)]
    # reset_mechanism "zero": the exporter writes v_reset=0 whatever the mechanism (it drops
    # "subtract", snnTorch's default), so only "zero" makes the file say what snnTorch ran. The
    # same network with "subtract" (reset_delay True and False) is recorded too (VARIANTS): its
    # file is the same.
    neurons = []
    for i, (p, shp) in enumerate(zip(params, shapes(kind))):
        neurons.append(snn.Leaky(beta=torch.full(shp, p["beta"]), threshold=torch.full(shp, p["threshold"]),
                                 init_hidden=True, reset_mechanism=reset_mechanism, reset_delay=reset_delay,
                                 output=(i == len(params) - 1)))
    conv1, conv2, pool, flat, fc = make_synapses(kind, torch.nn.AvgPool2d(2))
    layers = [conv1, neurons[0]] + ([conv2, neurons[1]] if conv2 is not None else []) + [pool, flat, fc, neurons[-1]]
    net = torch.nn.Sequential(*layers)

    def reset():
        for m in neurons:
            m.reset_mem()

    def step(x):
        spk, _mem = net(x)
        return spk

    def export():
        # ignore_dims=[0]: without it the Input keeps the batch dimension and the exporter's
        # infer_types() fails on the Conv2d ("tuple index out of range").
        return export_to_nir(net, torch.zeros(1, 2, 8, 8), ignore_dims=[0])

    neuron_desc = [dict(cls="snntorch.Leaky", beta=p["beta"], threshold=p["threshold"], reset_mechanism=reset_mechanism,
                        reset_delay=reset_delay, spike_grad="default (atan surrogate; forward is mem - threshold > 0)",
                        shape=list(s)) for p, s in zip(params, shapes(kind))]
    return dict(net=net, reset=reset, step=step, export=export, hidden_module=neurons[0],
                neurons=neuron_desc, pool="torch.nn.AvgPool2d(2) (snnTorch has no sum pool)",
                rule=SNNTORCH_RULES[(reset_mechanism, reset_delay)])


SNNTORCH_RULES = {
    ("zero", True): dict(fire="gt", reset="zero", dt=1e-4, integration="euler",
                         text="v[t] = beta*v[t-1]*(1 - s[t-1]) + I[t]; s[t] = (v[t] > threshold). reset_delay=True: "
                              "the reset of a spike at t is applied at the start of t+1, which for reset to zero is "
                              "the same as v = 0 at t"),
    ("zero", False): dict(fire="gt", reset="zero", dt=1e-4, integration="euler",
                          text="v[t] = beta*v[t-1] + I[t]; s[t] = (v[t] > threshold); v[t] = 0 where s[t]"),
    ("subtract", True): dict(fire="gt", reset="subtract-delayed", dt=1e-4, integration="euler",
                             text="v[t] = beta*v[t-1] + I[t] - threshold*s[t-1]; s[t] = (v[t] > threshold) "
                                  "(the subtraction comes a tick late and is not decayed)"),
    ("subtract", False): dict(fire="gt", reset="subtract-snntorch", dt=1e-4, integration="euler",
                              text="u[t] = beta*v[t-1] + I[t]; s[t] = (u[t] - threshold*[v[t-1] > threshold] > threshold); "
                                   "v[t] = u[t] - threshold*s[t] (v is after the reset: a neuron still above threshold "
                                   "after its reset needs u > 2*threshold to fire again; otherwise same-tick subtraction)"),
}
# Extra recordings of the snnTorch networks (same .nir): <name>.<variant>.output/hidden.npy
VARIANTS = {"subtract": dict(reset_mechanism="subtract", reset_delay=True),
            "subtract-nodelay": dict(reset_mechanism="subtract", reset_delay=False)}


def build_sinabs(kind):
    import sinabs
    import sinabs.layers as sl
    from sinabs.activation import SingleSpike, MembraneSubtract

    # SingleSpike instead of the default MultiSpike, which emits floor(v/threshold) spikes per tick.
    if kind == "int":
        params = [dict(cls="IAFSqueeze", threshold=2.0), dict(cls="IAFSqueeze", threshold=3.0)]
    else:
        params = [dict(cls="IAFSqueeze", threshold=0.75), dict(cls="IAFSqueeze", threshold=2.5),
                  dict(cls="LIFSqueeze", threshold=0.75, tau_mem=4.0)]
    neurons = []
    for p, shp in zip(params, shapes(kind)):
        if p["cls"] == "IAFSqueeze":
            neurons.append(sl.IAFSqueeze(batch_size=1, spike_threshold=torch.tensor(p["threshold"]),
                                         spike_fn=SingleSpike, reset_fn=MembraneSubtract(), min_v_mem=None))
        else:
            # Per-neuron tau and threshold: the exporter copies them as they are, and scalars
            # make 0-d LIF fields.
            neurons.append(sl.LIFSqueeze(batch_size=1, tau_mem=torch.full(shp, p["tau_mem"]),
                                         spike_threshold=torch.full(shp, p["threshold"]),
                                         spike_fn=SingleSpike, reset_fn=MembraneSubtract(), min_v_mem=None,
                                         norm_input=True))
    conv1, conv2, pool, flat, fc = make_synapses(kind, sl.SumPool2d(2))
    layers = [conv1, neurons[0]] + ([conv2, neurons[1]] if conv2 is not None else []) + [pool, flat, fc, neurons[-1]]
    net = torch.nn.Sequential(*layers)

    def reset():
        sinabs.reset_states(net)

    def step(x):
        return net(x)  # IAFSqueeze(batch_size=1): a (1, C, H, W) call is one tick of one sample

    def export():
        g = sinabs.to_nir(net, torch.zeros(1, 2, 8, 8))
        # sinabs.to_nir leaves Conv2d, SumPool2d and Flatten untyped ({"input": None}) and
        # nir.write (1.0.4) fails on them ("One of data, shape or dtype must be specified").
        g.infer_types()
        return g

    neuron_desc = []
    for p, s in zip(params, shapes(kind)):
        d = dict(cls="sinabs.layers." + p["cls"], spike_threshold=p["threshold"], spike_fn="SingleSpike",
                 reset_fn="MembraneSubtract(subtract_value=None)", min_v_mem=None, shape=list(s))
        if "tau_mem" in p:
            d.update(tau_mem=p["tau_mem"], norm_input=True, alpha_mem=float(np.exp(-1.0 / p["tau_mem"])))
        neuron_desc.append(d)
    return dict(net=net, reset=reset, step=step, export=export, hidden_module=neurons[0], neurons=neuron_desc,
                pool="sinabs.layers.SumPool2d(2) (torch LPPool2d with p=1)",
                rule=dict(fire="ge", reset="subtract", dt=1.0, integration="exp",
                          text="IAF: v[t] = v[t-1] + I[t]; LIF (norm_input): v[t] = a*v[t-1] + (1-a)*I[t], "
                               "a = exp(-1/tau_mem); s[t] = (v[t] >= threshold); v[t] -= s[t]*threshold "
                               "in the same tick"))


def build_norse(kind):
    import norse.torch as norse

    # Norse has no sum pool; torch's LPPool2d(1, 2) is one (Sinabs' SumPool2d is that class).
    if kind == "int":
        params = [dict(cls="IAFCell", v_th=2.0), dict(cls="LIFBoxCell", v_th=3.0, tau_mem_inv=500.0)]
    else:
        params = [dict(cls="IAFCell", v_th=0.75), dict(cls="IAFCell", v_th=1.25),
                  dict(cls="LIFBoxCell", v_th=0.75, tau_mem_inv=200.0)]
    neurons = []
    for p, shp in zip(params, shapes(kind)):
        if p["cls"] == "IAFCell":
            neurons.append(norse.IAFCell(p=norse.IAFParameters(v_th=torch.full(shp, p["v_th"]),
                                                               v_reset=torch.zeros(shp))))
        else:
            # v_leak shaped like the rest: the exporter makes r = ones_like(v_leak), and nir.LIF
            # asserts that all fields have one shape.
            neurons.append(norse.LIFBoxCell(p=norse.LIFBoxParameters(
                tau_mem_inv=torch.full(shp, p["tau_mem_inv"]), v_leak=torch.zeros(shp),
                v_th=torch.full(shp, p["v_th"]), v_reset=torch.zeros(shp))))
    conv1, conv2, pool, flat, fc = make_synapses(kind, torch.nn.LPPool2d(1, 2))
    layers = [conv1, neurons[0]] + ([conv2, neurons[1]] if conv2 is not None else []) + [pool, flat, fc, neurons[-1]]
    net = norse.SequentialState(*layers)
    state = [None]

    def reset():
        state[0] = None

    def step(x):
        out, state[0] = net(x, state[0])
        return out

    def export():
        g = norse.to_nir(net, torch.zeros(1, 2, 8, 8))
        # norse.to_nir maps Conv2d, Linear and its cells only: LPPool2d and Flatten come back as
        # None nodes, which nir.write cannot store. Fill in those two nodes (only those), with
        # the same Flatten convention as the Sinabs and snnTorch exporters (start_dim - 1).
        filled = []
        for name, module in net.named_children():
            if g.nodes.get(name, 0) is None:
                if isinstance(module, torch.nn.LPPool2d) and module.norm_type == 1:
                    k = module.kernel_size
                    s = module.stride if module.stride is not None else k
                    g.nodes[name] = nir.SumPool2d(kernel_size=np.array([k, k]), stride=np.array([s, s]),
                                                  padding=np.array([0, 0]))
                elif isinstance(module, torch.nn.Flatten):
                    g.nodes[name] = nir.Flatten(input_type=None, start_dim=module.start_dim - 1,
                                                end_dim=module.end_dim)
                else:
                    raise RuntimeError(f"norse.to_nir gave no node for {name}: {module}")
                filled.append(name)
        # norse.to_nir passes no ignore_dims, so Input and Output keep the batch dimension
        # ([1, 2, 8, 8], [1, 3]), and it leaves Conv2d untyped; nir.write (1.0.8) cannot store an
        # untyped node, and infer_types() fails on the batched Input. Drop the batch dimension
        # and infer the types, as snnTorch's exporter does.
        nodes = dict(g.nodes)
        nodes["input"] = nir.Input(input_type=np.array(nodes["input"].input_type["input"][1:]))
        nodes["output"] = nir.Output(output_type=np.array(nodes["output"].output_type["output"][1:]))
        g = nir.NIRGraph(nodes=nodes, edges=g.edges, type_check=False)
        g.infer_types()
        g.filled_by_script = filled + ["input (batch dim dropped)", "output (batch dim dropped)", "types inferred"]
        return g

    neuron_desc = []
    for p, s in zip(params, shapes(kind)):
        d = dict(cls="norse.torch." + p["cls"], v_th=p["v_th"], v_reset=0.0, method="super (forward: v - v_th > 0)",
                 dt=0.001, shape=list(s))
        if "tau_mem_inv" in p:
            d.update(tau_mem_inv=p["tau_mem_inv"], v_leak=0.0, reset_method="reset_value",
                     decay_per_tick=0.001 * p["tau_mem_inv"])
        neuron_desc.append(d)
    return dict(net=net, reset=reset, step=step, export=export, hidden_module=neurons[0], neurons=neuron_desc,
                pool="torch.nn.LPPool2d(1, 2) (a sum pool; Norse has none)",
                rule=dict(fire="gt", reset="zero", dt=1e-3, integration="euler", tau_in_file="dt*tau",
                          text="IAFCell: v[t] = v[t-1] + I[t]; LIFBoxCell: v[t] = v[t-1] + dt*tau_mem_inv*(v_leak - v[t-1] + I[t]); "
                               "s[t] = (v[t] > v_th); v[t] = v_reset where s[t], in the same tick"))


BUILDERS = {"snntorch": build_snntorch, "sinabs": build_sinabs, "norse": build_norse}
PACKAGES = {"snntorch": "snntorch", "sinabs": "sinabs", "norse": "norse"}


def nir_has_v_reset():
    return "v_reset" in getattr(nir.IF, "__dataclass_fields__", {})


# ---------------------------------------------------------------------------------------------
# Running in the framework.


def run(fw, kind, x, **options):
    b = BUILDERS[fw](kind, **options)
    hidden = []
    b["hidden_module"].register_forward_hook(
        lambda m, i, o: hidden.append((o[0] if isinstance(o, tuple) else o).detach().clone()))
    outs, hids = [], []
    with torch.no_grad():
        for n in range(N):
            b["reset"]()
            hidden.clear()
            o = [b["step"](torch.from_numpy(x[n, t][None])) for t in range(T)]
            outs.append(torch.cat(o).numpy())
            hids.append(torch.cat(hidden).numpy())
    return b, np.stack(outs).astype(np.float32), np.stack(hids).astype(np.float32)


# ---------------------------------------------------------------------------------------------
# Reference: simulate the nodes of the written file (read with h5py, whatever the nir version)
# under the stated update rule. A spike is decided with a tolerance of 1e-5 around the threshold
# (ties go by the stated > or >=), since the file's derived LIF fields (snnTorch's tau and r)
# are rounded in float32.


def read_chain(path):
    with h5py.File(path, "r") as f:
        nodes = {}
        for name, grp in f["node/nodes"].items():
            d = {}
            for k, v in grp.items():
                if isinstance(v, h5py.Dataset):
                    val = v[()]
                    d[k] = val.decode() if isinstance(val, bytes) else val
            nodes[name] = d
        edges = [(a.decode(), b.decode()) for a, b in f["node/edges"][()]]
    nxt = dict(edges)
    chain, cur = [], "input"
    while cur in nxt:
        cur = nxt[cur]
        chain.append((cur, nodes[cur]))
    return chain


def reference(path, x, rule):
    chain = read_chain(path)
    eps = 1e-5
    xs = torch.from_numpy(x).double()
    n = xs.shape[0]
    state = {}
    outs, first = [], []
    neuron_names = [k for k, d in chain if d["type"] in ("IF", "LIF")]
    for t in range(T):
        h = xs[:, t]
        for name, d in chain:
            ty = d["type"]
            if ty == "Conv2d":
                h = F.conv2d(h, torch.from_numpy(d["weight"]).double(), torch.from_numpy(d["bias"]).double(),
                             tuple(d["stride"]), tuple(d["padding"]), tuple(d["dilation"]), int(d["groups"]))
            elif ty in ("SumPool2d", "AvgPool2d"):
                k = tuple(np.broadcast_to(d["kernel_size"], 2))
                s = tuple(np.broadcast_to(d["stride"], 2))
                h = F.avg_pool2d(h, k, s)
                if ty == "SumPool2d":
                    h = h * (k[0] * k[1])
            elif ty == "Flatten":
                start, end = int(d["start_dim"]), int(d["end_dim"])
                h = h.flatten(start + 1, end if end < 0 else end + 1)
            elif ty == "Affine":
                h = F.linear(h, torch.from_numpy(d["weight"]).double(), torch.from_numpy(d["bias"]).double())
            elif ty == "Linear":
                h = F.linear(h, torch.from_numpy(d["weight"]).double())
            elif ty in ("IF", "LIF"):
                thr = torch.from_numpy(np.asarray(d["v_threshold"], np.float64))
                r = torch.from_numpy(np.asarray(d["r"], np.float64))
                v = state.get(name, torch.zeros_like(h))
                pending = state.pop(name + "/pending", 0.0)
                if ty == "IF":
                    v = v + r * h
                else:
                    tau = torch.from_numpy(np.asarray(d["tau"], np.float64))
                    leak = torch.from_numpy(np.asarray(d["v_leak"], np.float64))
                    if rule.get("tau_in_file") == "dt*tau":
                        tau = tau / rule["dt"]  # Norse's exporter writes dt/tau_mem_inv, not 1/tau_mem_inv
                    if rule["integration"] == "euler":
                        a = rule["dt"] / tau  # snnTorch beta=1 writes tau = r = inf: read as IF
                        g = torch.where(torch.isinf(tau), torch.ones_like(tau), a * r)
                        v = v + a * (leak - v) + g * h
                    else:
                        a = torch.exp(-rule["dt"] / tau)
                        v = a * v + (1 - a) * (leak + r * h)
                v = v - pending
                # snnTorch, subtract without delay, compares v - threshold*[v_prev > threshold]
                shift = thr * (state[name] - thr > eps) if rule["reset"] == "subtract-snntorch" and name in state else 0.0
                s = (v - shift - thr > eps) if rule["fire"] == "gt" else (v - shift - thr > -eps)
                s = s.double()
                if rule["reset"] == "zero":
                    vr = torch.from_numpy(np.asarray(d.get("v_reset", 0.0), np.float64))
                    v = torch.where(s > 0, vr.expand_as(v), v)
                elif rule["reset"] in ("subtract", "subtract-snntorch"):
                    v = v - s * thr
                else:  # subtract-delayed: taken off at the next tick, after the decay and input
                    state[name + "/pending"] = s * thr
                state[name] = v
                h = s
                if name == neuron_names[0]:
                    first.append(s.reshape(n, *s.shape[-3:]) if s.dim() > 2 else s)
            elif ty == "Output":
                break
            else:
                raise ValueError(f"reference: node type {ty} not handled")
        outs.append(h.reshape(n, -1))
    return torch.stack(outs, 1).numpy(), torch.stack(first, 1).numpy()


# ---------------------------------------------------------------------------------------------


def to_jsonable(v):
    if isinstance(v, np.ndarray):
        flat = np.unique(v.ravel()) if v.size > 8 else v.ravel()
        if v.size > 8:
            return {"shape": list(v.shape), "dtype": str(v.dtype),
                    "values": "all " + repr(flat[0].item()) if flat.size == 1 else f"{flat.size} distinct values"}
        return {"shape": list(v.shape), "dtype": str(v.dtype), "values": [x.item() if hasattr(x, "item") else x for x in v.ravel()]}
    if isinstance(v, (np.generic,)):
        return v.item()
    if isinstance(v, bytes):
        return v.decode()
    return v


def describe_file(path):
    """What the file holds for each node (as h5py reads it), weights summarised."""
    out = {}
    with h5py.File(path, "r") as f:
        for name, grp in f["node/nodes"].items():
            d = {}
            for k, v in grp.items():
                if isinstance(v, h5py.Dataset):
                    d[k] = to_jsonable(v[()]) if k not in ("weight", "bias") else {
                        "shape": list(v.shape), "dtype": str(v.dtype)}
                else:
                    d[k] = {kk: to_jsonable(vv[()]) for kk, vv in v.items() if isinstance(vv, h5py.Dataset)}
            out[name] = d
        ver = f["version"]
        out["_file"] = {"version": to_jsonable(ver[()]), "version_dtype": str(ver.dtype),
                        "compression": sorted({str(ds.compression) for ds in _datasets(f)}),
                        "edges": [[a.decode(), b.decode()] for a, b in f["node/edges"][()]]}
    return out


def describe_file_of(graph):
    """describe_file of a graph not yet written."""
    tmp = f"{OUT}/.tmp-describe.nir"
    nir.write(tmp, graph)
    try:
        return describe_file(tmp)
    finally:
        os.remove(tmp)


def _datasets(f):
    found = []
    f.visititems(lambda n, o: found.append(o) if isinstance(o, h5py.Dataset) and o.shape != () else None)
    return found


def make(fw, kind):
    name = f"{fw}-{kind}"
    x = bernoulli_inputs(kind)
    b, out, hid = run(fw, kind, x)
    graph = b["export"]()  # after the run: the exporters trace the network on sample data
    path = f"{OUT}/{name}.nir"
    nir.write(path, graph)
    np.save(f"{OUT}/{name}.input.npy", x)
    np.save(f"{OUT}/{name}.output.npy", out)
    np.save(f"{OUT}/{name}.hidden.npy", hid)

    checks = {}
    try:
        nir.read(path)
        checks["nir.read"] = "ok"
    except Exception as e:  # noqa: BLE001
        checks["nir.read"] = f"fails: {type(e).__name__}: {e}"
        try:
            nir.read(path, type_check=False)
            checks["nir.read(type_check=False)"] = "ok"
        except Exception as e2:  # noqa: BLE001
            checks["nir.read(type_check=False)"] = f"fails: {type(e2).__name__}: {e2}"
    ref_out, ref_hid = reference(path, x, b["rule"])
    checks["reference output mismatches"] = int((ref_out != out.reshape(N, T, -1)).sum())
    checks["reference hidden mismatches"] = int((ref_hid != hid).sum())
    if fw == "snntorch":  # reset_delay does not change the spikes with reset to zero
        d = build_snntorch(kind, reset_delay=False)
        with torch.no_grad():
            alt = []
            for n in range(N):
                d["reset"]()
                alt.append(torch.cat([d["step"](torch.from_numpy(x[n, t][None])) for t in range(T)]).numpy())
        checks["reset_delay=False gives the same output"] = bool(np.array_equal(np.stack(alt), out))
        variants = {}
        for vname, opts in VARIANTS.items():
            bv, vout, vhid = run(fw, kind, x, **opts)
            np.save(f"{OUT}/{name}.{vname}.output.npy", vout)
            np.save(f"{OUT}/{name}.{vname}.hidden.npy", vhid)
            assert describe_file(path) == describe_file_of(bv["export"]()), "the variant's file differs"
            r_out, r_hid = reference(path, x, bv["rule"])
            variants[vname] = {
                "files": [f"{name}.{vname}.output.npy", f"{name}.{vname}.hidden.npy"],
                "options": opts, "update_rule": bv["rule"],
                "rates": {"hidden": float(vhid.mean()), "output_per_neuron": vout.mean(axis=(0, 1)).tolist()},
                "differs_from_main": {"output": int((vout != out).sum()), "hidden": int((vhid != hid).sum())},
                "reference output mismatches": int((r_out != vout.reshape(N, T, -1)).sum()),
                "reference hidden mismatches": int((r_hid != vhid).sum()),
            }
            print(f"  variant {vname}: {variants[vname]['differs_from_main']} differ from {name}; reference "
                  f"mismatches {variants[vname]['reference output mismatches']} / {variants[vname]['reference hidden mismatches']}")
        checks["variants"] = variants
    if fw == "norse":  # Norse's own importer on Norse's file (its LIF tau is off by a factor dt)
        import norse.torch as norse
        rt = norse.from_nir(nir.read(path, type_check=False))
        mism = 0
        with torch.no_grad():
            for n in range(N):
                s, o = None, []
                for t in range(T):
                    y, s = rt(torch.from_numpy(x[n, t][None]), s)
                    o.append(y)
                mism += int((torch.stack(o).reshape(out[n].shape).numpy() != out[n]).sum())
        checks["norse.from_nir output mismatches"] = mism
    if fw == "sinabs":  # one call over all ticks gives the same spikes as tick by tick
        net = b["net"]
        for m in net:
            if hasattr(m, "batch_size"):
                m.batch_size = 1
        import sinabs
        same = True
        with torch.no_grad():
            for n in range(N):
                sinabs.reset_states(net)
                same &= bool(np.array_equal(net(torch.from_numpy(x[n])).numpy(), out[n]))
        checks["one call over T ticks gives the same output"] = same

    meta = {
        "file": f"{name}.nir",
        "framework": fw, "framework_version": version(PACKAGES[fw]),
        "nir": version("nir"), "nirtorch": version("nirtorch"), "torch": version("torch"), "numpy": version("numpy"),
        "network": kind,
        "pool": b["pool"],
        "neurons": b["neurons"],
        "update_rule": b["rule"],
        "inputs": {"shape": list(x.shape), "p": P, "seed": INPUT_SEED[kind], "rng": "numpy default_rng(seed).random(shape) < p"},
        "weights": "integers in -2..2 from numpy default_rng(7), zero biases" if kind == "int" else
                   f"torch default init after torch.manual_seed({FLOAT_SEED}), weights scaled by {FLOAT_SCALE}, biases by {BIAS_SCALE}",
        "rates": {"hidden": float(hid.mean()), "output_per_neuron": out.reshape(N, T, -1).mean(axis=(0, 1)).tolist(),
                  "output_neurons_that_fire_per_sample": (out.reshape(N, T, -1).sum(1) > 0).sum(1).tolist()},
        "nodes_filled_by_script": getattr(graph, "filled_by_script", []),
        "checks": checks,
        "exported": describe_file(path),
    }
    with open(f"{OUT}/{name}.meta.json", "w") as f:
        json.dump(meta, f, indent=1, default=to_jsonable)
    sizes = {s: os.path.getsize(f"{OUT}/{name}{s}") for s in (".nir", ".input.npy", ".output.npy", ".hidden.npy")}
    print(f"{name}: rates hidden {hid.mean():.3f} output {meta['rates']['output_per_neuron']} sizes {sizes}")
    print(f"  checks {checks}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("frameworks", nargs="*", default=list(BUILDERS), choices=list(BUILDERS))
    args = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    print("nir", version("nir"), "nirtorch", version("nirtorch"), "torch", version("torch"))
    failed = []
    for fw in args.frameworks:
        if version(PACKAGES[fw]) is None:
            print(f"{fw}: not installed, skipped")
            failed.append(fw)
            continue
        # Sinabs' IF carries no v_reset: with nir>=1.0.5 it would read as reset to 0, not
        # Sinabs' subtraction; snnTorch passes v_reset, which nir<=1.0.4 does not accept.
        if fw == "sinabs" and nir_has_v_reset():
            print("sinabs: needs nir<=1.0.4 (its own pin); use frameworks-sinabs-requirements.txt. Skipped")
            failed.append(fw)
            continue
        if fw in ("snntorch", "norse") and not nir_has_v_reset():
            print(f"{fw}: needs nir>=1.0.5 (IF/LIF v_reset); use frameworks-requirements.txt. Skipped")
            failed.append(fw)
            continue
        for kind in ("int", "float"):
            make(fw, kind)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

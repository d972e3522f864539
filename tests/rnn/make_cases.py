#!/usr/bin/python3
"""Generates the recurrent-op test cases under tests/rnn/data/ (run once; the
outputs are checked in, so the test suite needs neither this script nor torch).

Two sources of expected values, both independent of emlc:
  * `spec` cases: a plain numpy transcription of the ONNX RNN/GRU/LSTM
    definitions (below), covering what ONNX's own backend tests do not:
    reverse and bidirectional directions, initial states, sequence lengths
    (runtime int32 input, including an empty sequence), layout 1, clip,
    linear_before_reset, peepholes, input_forget, non-default activations
    with alpha/beta, float64;
  * `torch` cases (only with --torch): torch.nn.RNN/GRU/LSTM modules exported
    by torch.onnx, expected outputs computed by PyTorch itself.

Sequence-length semantics follow ONNX Runtime: a batch entry with length L
runs steps 0..L-1 (reverse: L-1..0), Y is zero at t >= L, Y_h/Y_c hold the
state after the last step (zero when L == 0).

Layout: data/node/test_<case>/{model.onnx,test_data_set_0/{input,output}_K.pb},
the layout of ONNX's backend tests, so emlc_conformance runs them.

usage: /usr/bin/python3 tests/rnn/make_cases.py [--torch]
"""
import os
import shutil
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "data", "node")

# ---- activation functions (ONNX RNN doc) ------------------------------------

def act(name, x, alpha=None, beta=None):
    n = name.lower()
    if n == "relu": return np.maximum(x, 0)
    if n == "tanh": return np.tanh(x)
    if n == "sigmoid": return 1.0 / (1.0 + np.exp(-x))
    if n == "affine": return alpha * x + beta
    if n == "leakyrelu": return np.where(x >= 0, x, alpha * x)
    if n == "thresholdedrelu": return np.where(x >= alpha, x, 0)
    if n == "scaledtanh": return alpha * np.tanh(beta * x)
    if n == "hardsigmoid": return np.clip(alpha * x + beta, 0, 1)
    if n == "elu": return np.where(x >= 0, x, alpha * (np.exp(x) - 1))
    if n == "softsign": return x / (1 + np.abs(x))
    if n == "softplus": return np.log(1 + np.exp(x))
    raise ValueError(name)

DEFAULT_ALPHA = {"affine": 1.0, "leakyrelu": 0.01, "thresholdedrelu": 1.0, "scaledtanh": 1.0,
                 "hardsigmoid": 0.2, "elu": 1.0}
DEFAULT_BETA = {"affine": 0.0, "scaledtanh": 1.0, "hardsigmoid": 0.5}


def make_acts(names, alphas, betas, clip):
    """Callables for the listed activations; alpha/beta consumed in order by
    the functions that take them."""
    alphas, betas = list(alphas or []), list(betas or [])
    out = []
    for nm in names:
        a = DEFAULT_ALPHA.get(nm.lower())
        b = DEFAULT_BETA.get(nm.lower())
        if a is not None and alphas: a = alphas.pop(0)
        if b is not None and betas: b = betas.pop(0)
        def f(x, nm=nm, a=a, b=b):
            if clip is not None: x = np.clip(x, -clip, clip)
            return act(nm, x, a, b)
        out.append(f)
    return out

# ---- reference recurrences ---------------------------------------------------

def cell_rnn(x, h, c, W, R, Wb, Rb, P, f, attrs):
    return f[0](W @ x + Wb + R @ h + Rb), c


def cell_gru(x, h, c, W, R, Wb, Rb, P, f, attrs):
    H = h.shape[0]
    Wz, Wr, Wh = W[:H], W[H:2 * H], W[2 * H:]
    Rz, Rr, Rh = R[:H], R[H:2 * H], R[2 * H:]
    z = f[0](Wz @ x + Wb[:H] + Rz @ h + Rb[:H])
    r = f[0](Wr @ x + Wb[H:2 * H] + Rr @ h + Rb[H:2 * H])
    if attrs.get("linear_before_reset", 0):
        n = f[1](Wh @ x + Wb[2 * H:] + r * (Rh @ h + Rb[2 * H:]))
    else:
        n = f[1](Wh @ x + Wb[2 * H:] + Rh @ (r * h) + Rb[2 * H:])
    return (1 - z) * n + z * h, c


def cell_lstm(x, h, c, W, R, Wb, Rb, P, f, attrs):
    H = h.shape[0]
    g = W @ x + Wb + R @ h + Rb
    gi, go, gf, gc = g[:H], g[H:2 * H], g[2 * H:3 * H], g[3 * H:]
    Pi, Po, Pf = P[:H], P[H:2 * H], P[2 * H:]
    i = f[0](gi + Pi * c)
    fg = 1 - i if attrs.get("input_forget", 0) else f[0](gf + Pf * c)
    c = fg * c + i * f[1](gc)
    o = f[0](go + Po * c)
    return o * f[2](c), c


KINDS = {"RNN": (1, 1, cell_rnn, ["Tanh"]), "GRU": (3, 2, cell_gru, ["Sigmoid", "Tanh"]),
         "LSTM": (4, 3, cell_lstm, ["Sigmoid", "Tanh", "Tanh"])}


def reference(op, X, W, R, B, seq_lens, h0, c0, P, attrs):
    G, per, cell, default_acts = KINDS[op]
    layout = attrs.get("layout", 0)
    if layout: X = X.transpose(1, 0, 2)
    S, N, _ = X.shape
    direction = attrs.get("direction", "forward")
    D = 2 if direction == "bidirectional" else 1
    H = R.shape[2]
    names = attrs.get("activations", default_acts * D)
    acts = make_acts(names, attrs.get("activation_alpha"), attrs.get("activation_beta"), attrs.get("clip"))
    if B is None: B = np.zeros((D, 2 * G * H), X.dtype)
    if P is None: P = np.zeros((D, 3 * H), X.dtype)
    if h0 is not None and layout: h0 = h0.transpose(1, 0, 2)
    if c0 is not None and layout: c0 = c0.transpose(1, 0, 2)
    lens = seq_lens if seq_lens is not None else np.full((N,), S, np.int32)
    Y = np.zeros((S, D, N, H), X.dtype)
    Yh = np.zeros((D, N, H), X.dtype)
    Yc = np.zeros((D, N, H), X.dtype)
    for d in range(D):
        back = d == 1 or direction == "reverse"
        f = acts[d * per:(d + 1) * per]
        for b in range(N):
            h = h0[d, b].copy() if h0 is not None else np.zeros(H, X.dtype)
            c = c0[d, b].copy() if c0 is not None else np.zeros(H, X.dtype)
            L = int(lens[b])
            for s in range(L):
                t = L - 1 - s if back else s
                h, c = cell(X[t, b], h, c, W[d], R[d], B[d, :G * H], B[d, G * H:], P[d], f, attrs)
                Y[t, d, b] = h
            if L > 0:
                Yh[d, b], Yc[d, b] = h, c
    if layout:
        Y = Y.transpose(2, 0, 1, 3)
        Yh = Yh.transpose(1, 0, 2)
        Yc = Yc.transpose(1, 0, 2)
    return Y, Yh, Yc

# ---- writing cases ---------------------------------------------------------------

def write_case(name, model, inputs, outputs):
    d = os.path.join(OUT, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(os.path.join(d, "test_data_set_0"))
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(d, "model.onnx"))
    for k, (nm, v) in enumerate(inputs):
        onnx.save_tensor(numpy_helper.from_array(v, nm), os.path.join(d, "test_data_set_0", f"input_{k}.pb"))
    for k, (nm, v) in enumerate(outputs):
        onnx.save_tensor(numpy_helper.from_array(v, nm), os.path.join(d, "test_data_set_0", f"output_{k}.pb"))
    print("wrote", name)


def spec_case(name, op, S, N, I, H, attrs, rng, dtype=np.float32, bias=True, seq_lens=None, h0=False, c0=False,
              peep=False, outputs=("Y", "Y_h", "Y_c"), const_weights=True, opset=14):
    G = KINDS[op][0]
    D = 2 if attrs.get("direction") == "bidirectional" else 1
    layout = attrs.get("layout", 0)
    X = rng.uniform(-1, 1, (N, S, I) if layout else (S, N, I)).astype(dtype)
    W = rng.uniform(-0.6, 0.6, (D, G * H, I)).astype(dtype)
    R = rng.uniform(-0.6, 0.6, (D, G * H, H)).astype(dtype)
    B = rng.uniform(-0.3, 0.3, (D, 2 * G * H)).astype(dtype) if bias else None
    L = np.array(seq_lens, np.int32) if seq_lens is not None else None
    sshape = (N, D, H) if layout else (D, N, H)
    H0 = rng.uniform(-0.5, 0.5, sshape).astype(dtype) if h0 else None
    C0 = rng.uniform(-0.5, 0.5, sshape).astype(dtype) if c0 else None
    P = rng.uniform(-0.5, 0.5, (D, 3 * H)).astype(dtype) if peep else None
    Y, Yh, Yc = reference(op, X, W, R, B, L, H0, C0, P, attrs)

    ttype = TensorProto.DOUBLE if dtype == np.float64 else TensorProto.FLOAT
    names = ["X", "W", "R", "B", "sequence_lens", "initial_h"] + (["initial_c", "P"] if op == "LSTM" else [])
    values = [X, W, R, B, L, H0] + ([C0, P] if op == "LSTM" else [])
    node_inputs, graph_inputs, inits, feeds = [], [], [], []
    for nm, v in zip(names, values):
        if v is None:
            node_inputs.append("")
            continue
        node_inputs.append(nm)
        if const_weights and nm in ("W", "R", "B", "P"):
            inits.append(numpy_helper.from_array(v, nm))
        else:
            et = TensorProto.INT32 if nm == "sequence_lens" else ttype
            graph_inputs.append(helper.make_tensor_value_info(nm, et, list(v.shape)))
            feeds.append((nm, v))
    while node_inputs and node_inputs[-1] == "":
        node_inputs.pop()
    all_outs = {"Y": Y, "Y_h": Yh, "Y_c": Yc}
    node_outputs = [o if o in outputs else "" for o in (["Y", "Y_h", "Y_c"] if op == "LSTM" else ["Y", "Y_h"])]
    while node_outputs and node_outputs[-1] == "":
        node_outputs.pop()
    node = helper.make_node(op, node_inputs, node_outputs, hidden_size=H, **attrs)
    outs = [o for o in node_outputs if o]
    graph = helper.make_graph([node], name, graph_inputs,
                              [helper.make_tensor_value_info(o, ttype, list(all_outs[o].shape)) for o in outs],
                              initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    write_case(name, model, feeds, [(o, all_outs[o]) for o in outs])


def spec_cases():
    rng = np.random.default_rng(20240610)
    spec_case("test_rnn_reverse", "RNN", 5, 2, 3, 4, {"direction": "reverse"}, rng, h0=True)
    spec_case("test_rnn_bidirectional_seq_lens", "RNN", 5, 3, 3, 4, {"direction": "bidirectional"}, rng,
              seq_lens=[5, 3, 0], h0=True)
    spec_case("test_rnn_layout1_relu_clip", "RNN", 4, 2, 3, 3,
              {"direction": "bidirectional", "layout": 1, "activations": ["Relu", "LeakyRelu"],
               "activation_alpha": [0.3], "clip": 0.7}, rng, h0=True, seq_lens=[4, 2])
    spec_case("test_gru_reverse", "GRU", 5, 2, 3, 4, {"direction": "reverse"}, rng, h0=True)
    spec_case("test_gru_bidirectional_lbr", "GRU", 6, 2, 3, 5,
              {"direction": "bidirectional", "linear_before_reset": 1}, rng, h0=True, seq_lens=[6, 4])
    spec_case("test_gru_layout1_seq_lens", "GRU", 5, 3, 2, 4, {"layout": 1}, rng, seq_lens=[2, 5, 0], h0=True)
    spec_case("test_gru_activations_clip", "GRU", 4, 1, 3, 3,
              {"direction": "bidirectional", "activations": ["HardSigmoid", "ScaledTanh", "Sigmoid", "Softsign"],
               "activation_alpha": [0.25, 0.8], "activation_beta": [0.4, 1.3], "clip": 0.4}, rng)
    spec_case("test_gru_runtime_weights", "GRU", 3, 2, 4, 3, {"linear_before_reset": 1}, rng,
              const_weights=False, outputs=("Y",))
    spec_case("test_lstm_bidirectional_peepholes", "LSTM", 5, 2, 3, 4, {"direction": "bidirectional"}, rng,
              seq_lens=[5, 3], h0=True, c0=True, peep=True)
    spec_case("test_lstm_reverse_layout1", "LSTM", 4, 3, 2, 3, {"direction": "reverse", "layout": 1}, rng,
              seq_lens=[4, 0, 2], h0=True, c0=True)
    spec_case("test_lstm_input_forget", "LSTM", 4, 2, 3, 3, {"input_forget": 1}, rng, peep=True, c0=True)
    spec_case("test_lstm_activations_clip", "LSTM", 4, 1, 2, 3,
              {"activations": ["HardSigmoid", "Affine", "Elu"], "activation_alpha": [0.3, 0.9, 0.5],
               "activation_beta": [0.45, 0.1], "clip": 0.9}, rng, h0=True, c0=True)
    spec_case("test_lstm_double", "LSTM", 3, 2, 3, 4, {"direction": "bidirectional"}, rng, dtype=np.float64,
              h0=True, c0=True, peep=True)
    spec_case("test_gru_double_opset7", "GRU", 3, 1, 2, 3, {}, rng, dtype=np.float64, opset=7)

# ---- torch cases -------------------------------------------------------------------

def torch_cases():
    import torch
    torch.manual_seed(7)

    class Net(torch.nn.Module):
        def __init__(self, rnn):
            super().__init__()
            self.rnn = rnn

        def forward(self, x):
            y = self.rnn(x)[0]
            return y

    specs = [
        ("test_torch_gru_bidirectional_2layer", torch.nn.GRU(4, 5, num_layers=2, bidirectional=True), (6, 2, 4)),
        ("test_torch_lstm_bidirectional_batch_first",
         torch.nn.LSTM(3, 4, bidirectional=True, batch_first=True), (2, 5, 3)),
        ("test_torch_rnn_relu_2layer", torch.nn.RNN(3, 4, num_layers=2, nonlinearity="relu"), (5, 1, 3)),
    ]
    for name, rnn, shape in specs:
        net = Net(rnn).eval()
        x = torch.randn(*shape)
        with torch.no_grad():
            y = net(x).numpy()
        d = os.path.join(OUT, name)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(os.path.join(d, "test_data_set_0"))
        torch.onnx.export(net, (x,), os.path.join(d, "model.onnx"), input_names=["x"], output_names=["y"],
                          opset_version=14)
        onnx.save_tensor(numpy_helper.from_array(x.numpy(), "x"), os.path.join(d, "test_data_set_0", "input_0.pb"))
        onnx.save_tensor(numpy_helper.from_array(y, "y"), os.path.join(d, "test_data_set_0", "output_0.pb"))
        print("wrote", name)


if __name__ == "__main__":
    spec_cases()
    if "--torch" in sys.argv:
        torch_cases()

#!/usr/bin/python3
"""Generates PyTorch exports whose ops older opsets lack (run once; outputs
checked in): GELU (erf and tanh forms), Mish and LayerNorm exported at
opset 13/14, which torch.onnx writes out as chains of primitive ops. emlc's
pattern passes (fuse-activations, fuse-layer-norm) must fuse them back, and
the results must still match PyTorch's outputs (computed here by PyTorch).

Layout: data/node/test_<case>/{model.onnx,test_data_set_0/{input,output}_0.pb},
so emlc_conformance runs them. usage: /usr/bin/python3 tests/patterns/make_models.py
"""
import os
import shutil

import onnx
import torch
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "data", "node")


class Mlp(torch.nn.Module):
    def __init__(self, act, norm=False):
        super().__init__()
        self.norm = torch.nn.LayerNorm(8) if norm else torch.nn.Identity()
        self.fc1 = torch.nn.Linear(8, 16)
        self.act = act
        self.fc2 = torch.nn.Linear(16, 8)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(self.norm(x))))


class LayerNorm2(torch.nn.Module):  # over the two trailing axes, no affine
    def __init__(self):
        super().__init__()
        self.ln = torch.nn.LayerNorm([3, 4], elementwise_affine=False, eps=1e-3)

    def forward(self, x):
        return self.ln(x) * 2.0


CASES = [
    ("test_torch_gelu_erf", Mlp(torch.nn.GELU()), (2, 5, 8), 13),
    ("test_torch_gelu_tanh", Mlp(torch.nn.GELU(approximate="tanh")), (2, 5, 8), 13),
    ("test_torch_mish", Mlp(torch.nn.Mish()), (2, 5, 8), 13),
    ("test_torch_layernorm_gelu_block", Mlp(torch.nn.GELU(), norm=True), (1, 6, 8), 14),
    ("test_torch_layernorm_two_axes", LayerNorm2(), (2, 3, 4), 13),
]


def main():
    torch.manual_seed(3)
    for name, net, shape, opset in CASES:
        net = net.eval()
        x = torch.randn(*shape)
        with torch.no_grad():
            y = net(x)
        d = os.path.join(OUT, name)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(os.path.join(d, "test_data_set_0"))
        torch.onnx.export(net, (x,), os.path.join(d, "model.onnx"), input_names=["x"], output_names=["y"],
                          opset_version=opset)
        onnx.save_tensor(numpy_helper.from_array(x.numpy(), "x"), os.path.join(d, "test_data_set_0", "input_0.pb"))
        onnx.save_tensor(numpy_helper.from_array(y.numpy(), "y"), os.path.join(d, "test_data_set_0", "output_0.pb"))
        ops = sorted({n.op_type for n in onnx.load(os.path.join(d, "model.onnx")).graph.node})
        print("wrote", name, ops)


if __name__ == "__main__":
    main()

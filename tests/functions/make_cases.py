#!/usr/bin/python3
"""Generates the ONNX-function test cases under tests/functions/data/ (run
once; the files are checked in). Expected outputs are computed here with
numpy from the functions' definitions, independently of emlc.

Cases: model-local functions (FunctionProto in ModelProto.functions, as
newer exporters write them): plain, nested, with attribute references,
called twice, with an unused output. (Standard function-bodied ops are
tested in tests/unit/test_functions.cpp against emlc's native kernels.)
usage: /usr/bin/python3 tests/functions/make_cases.py
"""
import os
import shutil

import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "data", "node")
F = TensorProto.FLOAT


def vi(name, shape, t=F):
    return helper.make_tensor_value_info(name, t, shape)


def write(name, graph, feeds, outputs, functions=(), opset=13, extra_opsets=()):
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)] + list(extra_opsets),
                              functions=list(functions))
    model.ir_version = 8
    onnx.checker.check_model(model)
    d = os.path.join(OUT, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(os.path.join(d, "test_data_set_0"))
    onnx.save(model, os.path.join(d, "model.onnx"))
    for k, (nm, v) in enumerate(feeds):
        onnx.save_tensor(numpy_helper.from_array(v, nm), os.path.join(d, "test_data_set_0", f"input_{k}.pb"))
    for k, (nm, v) in enumerate(outputs):
        onnx.save_tensor(numpy_helper.from_array(v, nm), os.path.join(d, "test_data_set_0", f"output_{k}.pb"))
    print("wrote", name)


CUSTOM = helper.make_opsetid("custom", 1)


def attr_ref(name, attr_type, ref):
    a = onnx.AttributeProto()
    a.name = name
    a.type = attr_type
    a.ref_attr_name = ref
    return a


def local_cases(rng):
    # AddRelu(x, b) = Relu(x + b)
    add_relu = helper.make_function("custom", "AddRelu", ["x", "b"], ["y"], [
        helper.make_node("Add", ["x", "b"], ["t"]),
        helper.make_node("Relu", ["t"], ["y"]),
    ], [helper.make_opsetid("", 13)])
    x = rng.standard_normal((2, 3)).astype(np.float32)
    b = rng.standard_normal((3,)).astype(np.float32)
    g = helper.make_graph([helper.make_node("AddRelu", ["x", "b"], ["y"], domain="custom")], "g",
                          [vi("x", [2, 3]), vi("b", [3])], [vi("y", [2, 3])])
    write("test_local_function_simple", g, [("x", x), ("b", b)], [("y", np.maximum(x + b, 0))],
          [add_relu], extra_opsets=[CUSTOM])

    # ScaleBy(x; alpha) = x * alpha (Constant from an attribute reference);
    # Block(x, w; alpha) = ScaleBy(MatMul(x, w); alpha), called twice with
    # different alphas: the two bodies' tensors must be renamed apart.
    alpha_const = helper.make_node("Constant", [], ["a"])
    alpha_const.attribute.append(attr_ref("value_float", onnx.AttributeProto.FLOAT, "alpha"))
    scale = helper.make_function("custom", "ScaleBy", ["x"], ["y"], [alpha_const, helper.make_node("Mul", ["x", "a"], ["y"])],
                                 [helper.make_opsetid("", 13)], ["alpha"])
    inner = helper.make_node("ScaleBy", ["m"], ["y"], domain="custom")
    inner.attribute.append(attr_ref("alpha", onnx.AttributeProto.FLOAT, "alpha"))
    block = helper.make_function("custom", "Block", ["x", "w"], ["y"], [helper.make_node("MatMul", ["x", "w"], ["m"]), inner],
                                 [helper.make_opsetid("", 13), CUSTOM], ["alpha"])
    w1 = rng.standard_normal((3, 4)).astype(np.float32)
    w2 = rng.standard_normal((4, 2)).astype(np.float32)
    g = helper.make_graph([
        helper.make_node("Block", ["x", "w1"], ["h"], domain="custom", alpha=0.5),
        helper.make_node("Block", ["h", "w2"], ["y"], domain="custom", alpha=-2.0),
    ], "g", [vi("x", [2, 3])], [vi("y", [2, 2])],
        initializer=[numpy_helper.from_array(w1, "w1"), numpy_helper.from_array(w2, "w2")])
    write("test_local_function_nested_attributes", g, [("x", x)], [("y", ((x @ w1) * 0.5) @ w2 * -2.0)],
          [scale, block], extra_opsets=[CUSTOM])

    # Two outputs, the call uses only the first; the body also computes an
    # intermediate named like a graph tensor ("t"), which must not clash.
    two = helper.make_function("custom", "SumDiff", ["a", "b"], ["s", "d"], [
        helper.make_node("Add", ["a", "b"], ["t"]),
        helper.make_node("Identity", ["t"], ["s"]),
        helper.make_node("Sub", ["a", "b"], ["d"]),
    ], [helper.make_opsetid("", 13)])
    g = helper.make_graph([
        helper.make_node("Neg", ["x"], ["t"]),
        helper.make_node("SumDiff", ["t", "x"], ["s", ""], domain="custom"),
        helper.make_node("Mul", ["s", "t"], ["y"]),
    ], "g", [vi("x", [2, 3])], [vi("y", [2, 3])])
    write("test_local_function_unused_output", g, [("x", x)], [("y", (-x + x) * -x)], [two], extra_opsets=[CUSTOM])


if __name__ == "__main__":
    rng = np.random.default_rng(11)
    local_cases(rng)

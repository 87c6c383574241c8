#!/usr/bin/python3
"""Writes the small ONNX files tests/test_onnx.cpp reads (python3-onnx; run once, files committed).

tiny_cnn.onnx: input [N,1,4,4] -> Conv 2x1x3x3 pad 1 (+bias) -> BatchNormalization (eps 1) -> Relu
               -> MaxPool 2 -> Flatten -> Gemm (transB 1, alpha 0.5) -> [N,3]
tiny_mlp.onnx: input [N,4] -> MatMul [4,2] -> Add [2] -> Relu -> [N,2]
Bad files, one problem each: bad_op (Sigmoid), bad_missing (Conv weights not stored),
bad_shape (Gemm weights take 9 inputs, the flattened activation has 8).
pad_pool.onnx: input [N,1,4,4] -> Pad of zeros -> AveragePool 2 -> Flatten -> Gemm -> [N,3] (the
               Pad PyTorch writes before AveragePool); bad_pad: the same Pad with real padding;
view_dynamic.onnx: input [N,1,4,4] -> Shape, Gather, Unsqueeze, Concat -> Reshape [N, 16] -> Gemm
               [16 -> 3]: x.view(x.size(0), -1) as torch.onnx.export writes it with a dynamic batch.
Weight values follow closed forms the test recomputes.
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))


def init(name, arr):
    return numpy_helper.from_array(np.asarray(arr, dtype=np.float32), name)


def conv_w():
    return np.array([(i - 8) / 8.0 for i in range(18)], dtype=np.float32).reshape(2, 1, 3, 3)


def gemm_b(k=8):
    return np.array([i / 16.0 for i in range(3 * k)], dtype=np.float32).reshape(3, k)


def cnn(gemm_k=8, sigmoid=False, drop_weights=False):
    nodes = [
        helper.make_node("Conv", ["x", "W", "Bc"], ["c"], name="conv1", pads=[1, 1, 1, 1], kernel_shape=[3, 3]),
        helper.make_node("BatchNormalization", ["c", "s", "b", "m", "v"], ["bn"], name="bn1", epsilon=1.0),
        helper.make_node("Sigmoid" if sigmoid else "Relu", ["bn"], ["r"], name="act1"),
        helper.make_node("MaxPool", ["r"], ["p"], name="pool1", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Flatten", ["p"], ["f"], name="flat", axis=1),
        helper.make_node("Gemm", ["f", "G", "Cg"], ["y"], name="fc", transB=1, alpha=0.5),
    ]
    inits = [init("W", conv_w()), init("Bc", [0.5, -0.25]), init("s", [2.0, 0.5]), init("b", [0.125, -1.0]),
             init("m", [0.25, 0.5]), init("v", [3.0, 0.0]), init("G", gemm_b(gemm_k)), init("Cg", [1.0, 2.0, 3.0])]
    if drop_weights:
        inits = inits[1:]
    g = helper.make_graph(nodes, "tiny_cnn", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 1, 4, 4])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 3])], inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])


def mlp():
    nodes = [helper.make_node("MatMul", ["x", "M"], ["h"], name="mm"),
             helper.make_node("Add", ["h", "a"], ["z"], name="bias"),
             helper.make_node("Relu", ["z"], ["y"], name="relu")]
    # float_data (not raw_data) for M: the reader must take both forms.
    M = helper.make_tensor("M", TensorProto.FLOAT, [4, 2], [0.5, -1.0, 0.25, 2.0, -0.75, 1.5, 1.0, -0.5])
    g = helper.make_graph(nodes, "tiny_mlp", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 2])], [M, init("a", [0.5, -2.0])])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])


def pooled(pads):
    """input [N,1,4,4] -> Pad (pads from a Constant) -> AveragePool 2 -> Flatten -> Gemm [4 -> 3]."""
    nodes = [
        helper.make_node("Constant", [], ["pads"], name="pads_const",
                         value=helper.make_tensor("pv", TensorProto.INT64, [8], pads)),
        helper.make_node("Pad", ["x", "pads"], ["xp"], name="pad1", mode="constant"),
        helper.make_node("AveragePool", ["xp"], ["p"], name="pool1", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Flatten", ["p"], ["f"], name="flat", axis=1),
        helper.make_node("Gemm", ["f", "G", "Cg"], ["y"], name="fc", transB=1),
    ]
    g = helper.make_graph(nodes, "pad_pool", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 1, 4, 4])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 3])],
                          [init("G", gemm_b(4)), init("Cg", [1.0, 2.0, 3.0])])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])


def view_dynamic():
    """x.view(x.size(0), -1) as torch.onnx.export writes it with a dynamic batch: Shape, Gather, ... Reshape."""
    nodes = [
        helper.make_node("Shape", ["x"], ["s"], name="/Shape"),
        helper.make_node("Constant", [], ["i0"], name="/Constant", value=helper.make_tensor("c0", TensorProto.INT64, [], [0])),
        helper.make_node("Gather", ["s", "i0"], ["b"], name="/Gather", axis=0),
        helper.make_node("Unsqueeze", ["b", "ax"], ["bu"], name="/Unsqueeze"),
        helper.make_node("Concat", ["bu", "m1"], ["shape"], name="/Concat", axis=0),
        helper.make_node("Reshape", ["x", "shape"], ["f"], name="/Reshape"),
        helper.make_node("Gemm", ["f", "G", "Cg"], ["y"], name="fc", transB=1),
    ]
    g = helper.make_graph(nodes, "view_dynamic", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 1, 4, 4])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 3])],
                          [init("G", gemm_b(16)), init("Cg", [1.0, 2.0, 3.0]),
                           numpy_helper.from_array(np.array([0], dtype=np.int64), "ax"),
                           numpy_helper.from_array(np.array([-1], dtype=np.int64), "m1")])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])


def main():
    for name, model in [("tiny_cnn", cnn()), ("tiny_mlp", mlp()), ("bad_op", cnn(sigmoid=True)),
                        ("bad_missing", cnn(drop_weights=True)), ("bad_shape", cnn(gemm_k=9)),
                        ("pad_pool", pooled([0] * 8)), ("bad_pad", pooled([0, 0, 1, 1, 0, 0, 1, 1])),
                        ("view_dynamic", view_dynamic())]:
        onnx.save(model, os.path.join(HERE, name + ".onnx"))
    onnx.checker.check_model(cnn())
    onnx.checker.check_model(mlp())
    onnx.checker.check_model(pooled([0] * 8))
    onnx.checker.check_model(view_dynamic())


if __name__ == "__main__":
    main()

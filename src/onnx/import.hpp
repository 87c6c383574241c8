// ONNX model -> infer::Network: the graph must be a chain (each node takes the
// previous node's output plus stored tensors) of the operators a CiM
// inference of a feed-forward network needs. Batch-norm is folded into the
// preceding conv/linear layer; a bias Add into the layer it follows. Anything
// else is refused with an OnnxError naming the node and the problem.
#pragma once
#include <string>

#include "infer/network.hpp"
#include "onnx/model.hpp"

namespace cimmc::onnx {

// Supported: Conv (group 1, dilation 1), Gemm, MatMul, Add (bias), Relu,
// MaxPool, AveragePool (no padding, floor mode), Flatten, Reshape (to 2-D),
// BatchNormalization (folded), Pad of zeros, Identity, Dropout, Softmax or
// LogSoftmax as the last node (dropped: top-1 does not change), and the
// Shape / Gather / Unsqueeze / Squeeze / Concat arithmetic of a Reshape's
// target (evaluated at import).
infer::Network import_network(const Model& m, const std::string& source);
infer::Network load_network(const std::string& path);

}  // namespace cimmc::onnx

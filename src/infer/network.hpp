// A feed-forward network as inference runs it: a chain of operations on one
// activation tensor (C x H x W, or a flat vector), with the weights of every
// conv/linear layer. Plain data: the ONNX importer (src/onnx/import.cpp) builds
// it, the forward passes (forward.hpp) read it.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace cimmc::infer {

enum class OpKind { conv, linear, relu, maxpool, avgpool, flatten };

struct Shape {
  int c = 1, h = 1, w = 1;
  bool flat = false;  // a vector of c values (h = w = 1)
  std::int64_t size() const { return static_cast<std::int64_t>(c) * h * w; }
};

struct Op {
  OpKind kind = OpKind::relu;
  std::string name;  // the ONNX node's name (the first node of a fused group)
  Shape in, out;
  // conv / linear: out[n] = sum_k weight[n][k] x[k] + bias[n] with
  // K = in.c * kh * kw in (channel, ky, kx) order (linear: kh = kw = 1).
  // Batch-norm is already folded into weight and bias.
  int kh = 1, kw = 1, stride_h = 1, stride_w = 1, pad_t = 0, pad_l = 0, pad_b = 0, pad_r = 0;
  std::vector<float> weight;  // N x K
  std::vector<float> bias;    // N (zeros when the layer has none)
  int N() const { return out.c; }
  int K() const { return in.c * kh * kw; }
  bool is_gemm() const { return kind == OpKind::conv || kind == OpKind::linear; }
  // pooling: window kh x kw, strides stride_h, stride_w (no padding)
};

struct Network {
  std::string source;  // the file it came from
  Shape input;         // one sample
  std::vector<Op> ops;
  int classes() const { return static_cast<int>(ops.back().out.size()); }
  int gemm_layers() const {
    int n = 0;
    for (const Op& op : ops) n += op.is_gemm();
    return n;
  }
};

}  // namespace cimmc::infer

#include "onnx/import.hpp"

#include <cmath>
#include <deque>
#include <map>

namespace cimmc::onnx {

namespace {

using infer::Network;
using infer::Op;
using infer::OpKind;
using infer::Shape;

[[noreturn]] void fail(const Node& n, const std::string& what) { throw OnnxError(n.label() + ": " + what); }

std::string dims_text(const std::vector<std::int64_t>& d) {
  std::string s = "[";
  for (std::size_t i = 0; i < d.size(); ++i) s += (i ? ", " : "") + std::to_string(d[i]);
  return s + "]";
}

std::string shape_text(const Shape& s) {
  return s.flat ? dims_text({std::int64_t(s.c)}) : dims_text({std::int64_t(s.c), std::int64_t(s.h), std::int64_t(s.w)});
}

std::int64_t attr_int(const Node& n, const char* name, std::int64_t def) {
  const Attribute* a = n.attr(name);
  return a ? a->i : def;
}

std::vector<std::int64_t> attr_ints(const Node& n, const char* name, std::vector<std::int64_t> def) {
  const Attribute* a = n.attr(name);
  return a ? a->ints : def;
}

class Importer {
 public:
  Importer(const Model& m, const std::string& source) : m_(m) {
    net_.source = source;
    for (const Tensor& t : m.initializers) tensors_[t.name] = &t;
  }

  Network run() {
    find_input();
    for (std::size_t i = 0; i < m_.nodes.size(); ++i) node(m_.nodes[i], i + 1 == m_.nodes.size());
    if (net_.ops.empty()) throw OnnxError("the graph has no Conv, Gemm or MatMul layer");
    if (m_.outputs.empty() || m_.outputs.front().name != current_)
      throw OnnxError("the graph output is not the result of the last node (not a chain)");
    if (!shape_.flat)
      throw OnnxError("the output has shape " + shape_text(shape_) +
                      "; class scores must be a vector (add Flatten and a Gemm)");
    return std::move(net_);
  }

 private:
  void find_input() {
    for (const ValueInfo& v : m_.inputs) {
      if (tensors_.count(v.name)) continue;  // old exporters list initializers as inputs
      const auto& d = v.dims;
      auto positive = [&](std::size_t from) {
        for (std::size_t k = from; k < d.size(); ++k)
          if (d[k] <= 0) throw OnnxError("graph input '" + v.name + "' has shape " + dims_text(d) +
                                         ": every dimension but the batch must be a fixed positive size");
      };
      if (d.size() == 4) {
        positive(1);
        shape_ = Shape{static_cast<int>(d[1]), static_cast<int>(d[2]), static_cast<int>(d[3]), false};
      } else if (d.size() == 2) {
        positive(1);
        shape_ = Shape{static_cast<int>(d[1]), 1, 1, true};
      } else {
        throw OnnxError("graph input '" + v.name + "' has shape " + dims_text(d) +
                        ": expected [batch, C, H, W] or [batch, features]");
      }
      net_.input = shape_;
      current_ = v.name;
      activations_[current_] = shape_;
      return;
    }
    throw OnnxError("the graph has no input that is not an initializer");
  }

  const Tensor& stored(const Node& n, std::size_t k, const char* role) {
    if (k >= n.inputs.size() || n.inputs[k].empty()) fail(n, std::string("missing input ") + role);
    auto it = tensors_.find(n.inputs[k]);
    if (it == tensors_.end())
      fail(n, "input '" + n.inputs[k] + "' (" + role + ") is not stored in the file (no initializer or Constant "
              "of that name): weights must be constants");
    if (it->second->f.empty() && std::string(role) != "shape")
      fail(n, "input '" + n.inputs[k] + "' (" + role + ") is not a floating-point tensor");
    return *it->second;
  }

  const Tensor* optional(const Node& n, std::size_t k, const char* role) {
    if (k >= n.inputs.size() || n.inputs[k].empty()) return nullptr;
    return &stored(n, k, role);
  }

  void take_output(const Node& n) {
    if (n.outputs.empty()) fail(n, "has no output");
    current_ = n.outputs.front();
    activations_[current_] = shape_;
  }

  // The integer arithmetic torch.onnx.export writes for x.view(x.size(0), -1)
  // with a dynamic batch: Shape of an activation, then Gather, Unsqueeze,
  // Squeeze and Concat of constants, ending in a Reshape's target shape. It is
  // evaluated here, the batch dimension as 0 (Reshape's "keep this
  // dimension"). False when `n` is not such a node.
  bool shape_op(const Node& n) {
    const std::string& op = n.op_type;
    if (op != "Shape" && op != "Gather" && op != "Unsqueeze" && op != "Squeeze" && op != "Concat") return false;
    Tensor t;
    t.data_type = 7;
    if (op == "Shape") {
      auto it = activations_.find(n.inputs.empty() ? std::string() : n.inputs.front());
      if (it == activations_.end()) return false;
      if (n.attr("start") || n.attr("end")) fail(n, "start / end are not supported");
      const Shape& a = it->second;
      t.i = a.flat ? std::vector<std::int64_t>{0, a.c} : std::vector<std::int64_t>{0, a.c, a.h, a.w};
      t.dims = {static_cast<std::int64_t>(t.i.size())};
    } else {
      std::vector<const Tensor*> in;
      for (const std::string& name : n.inputs) {
        auto it = tensors_.find(name);
        if (it == tensors_.end() || static_cast<std::int64_t>(it->second->i.size()) != it->second->count()) return false;
        in.push_back(it->second);
      }
      if (in.empty()) return false;
      const std::int64_t axis = attr_int(n, "axis", 0);
      if (op == "Gather") {
        if (in.size() != 2 || in[0]->dims.size() != 1 || axis != 0) fail(n, "only a Gather from a 1-D shape is supported");
        for (std::int64_t k : in[1]->i) {
          const std::int64_t j = k < 0 ? k + in[0]->count() : k;
          if (j < 0 || j >= in[0]->count()) fail(n, "index " + std::to_string(k) + " is out of range");
          t.i.push_back(in[0]->i[static_cast<std::size_t>(j)]);
        }
        t.dims = in[1]->dims;
      } else if (op == "Concat") {
        if (axis != 0 && axis != -1) fail(n, "only a Concat of 1-D shapes is supported");
        for (const Tensor* x : in) t.i.insert(t.i.end(), x->i.begin(), x->i.end());
        t.dims = {static_cast<std::int64_t>(t.i.size())};
      } else {  // Unsqueeze, Squeeze of a scalar or 1-D shape: the values stay
        t.i = in[0]->i;
        t.dims = {static_cast<std::int64_t>(t.i.size())};
        if (op == "Squeeze" && t.i.size() == 1) t.dims.clear();
      }
    }
    if (n.outputs.empty()) fail(n, "has no output");
    t.name = n.outputs.front();
    constants_.push_back(std::move(t));
    tensors_[n.outputs.front()] = &constants_.back();
    return true;
  }

  void check_chain(const Node& n) {
    if (n.inputs.empty() || n.inputs.front() != current_)
      fail(n, "its data input '" + (n.inputs.empty() ? std::string() : n.inputs.front()) +
                  "' is not the previous node's output '" + current_ + "' (only chains of layers are supported)");
  }

  Op& push(const Node& n, OpKind kind) {
    Op op;
    op.kind = kind;
    op.name = n.name;
    op.in = shape_;
    net_.ops.push_back(std::move(op));
    return net_.ops.back();
  }

  void bias_of(const Node& n, Op& op, const Tensor* b, float scale) {
    op.bias.assign(op.out.c, 0.f);
    if (!b) return;
    if (b->count() != op.out.c)
      fail(n, "bias '" + b->name + "' has " + std::to_string(b->count()) + " values for " + std::to_string(op.out.c) +
                  " outputs");
    for (int i = 0; i < op.out.c; ++i) op.bias[i] = scale * b->f[i];
  }

  void conv(const Node& n) {
    if (shape_.flat) fail(n, "its input is a flat vector " + shape_text(shape_) + "; Conv needs [C, H, W]");
    const Tensor& w = stored(n, 1, "weights");
    if (w.dims.size() != 4) fail(n, "weights '" + w.name + "' have shape " + dims_text(w.dims) + "; expected [M, C, kH, kW]");
    if (attr_int(n, "group", 1) != 1) fail(n, "grouped convolution (group " + std::to_string(attr_int(n, "group", 1)) + ") is not supported");
    for (std::int64_t d : attr_ints(n, "dilations", {}))
      if (d != 1) fail(n, "dilation " + std::to_string(d) + " is not supported");
    if (const Attribute* a = n.attr("auto_pad"); a && !a->s.empty() && a->s != "NOTSET")
      fail(n, "auto_pad " + a->s + " is not supported (export with explicit pads)");
    if (w.dims[1] != shape_.c)
      fail(n, "weights '" + w.name + "' have " + std::to_string(w.dims[1]) + " input channels, but its input " +
                  shape_text(shape_) + " has " + std::to_string(shape_.c));
    const auto st = attr_ints(n, "strides", {1, 1});
    const auto pads = attr_ints(n, "pads", {0, 0, 0, 0});
    if (st.size() != 2 || pads.size() != 4 || st[0] < 1 || st[1] < 1)
      fail(n, "strides " + dims_text(st) + " / pads " + dims_text(pads) + ": expected 2 positive strides and 4 pads");
    Op& op = push(n, OpKind::conv);
    op.kh = static_cast<int>(w.dims[2]);
    op.kw = static_cast<int>(w.dims[3]);
    op.stride_h = static_cast<int>(st[0]);
    op.stride_w = static_cast<int>(st[1]);
    op.pad_t = static_cast<int>(pads[0]);
    op.pad_l = static_cast<int>(pads[1]);
    op.pad_b = static_cast<int>(pads[2]);
    op.pad_r = static_cast<int>(pads[3]);
    const int oh = (shape_.h + op.pad_t + op.pad_b - op.kh) / op.stride_h + 1;
    const int ow = (shape_.w + op.pad_l + op.pad_r - op.kw) / op.stride_w + 1;
    if (shape_.h + op.pad_t + op.pad_b < op.kh || shape_.w + op.pad_l + op.pad_r < op.kw)
      fail(n, "kernel " + std::to_string(op.kh) + "x" + std::to_string(op.kw) + " is larger than its padded input " +
                  shape_text(shape_));
    op.out = Shape{static_cast<int>(w.dims[0]), oh, ow, false};
    op.weight = w.f;  // [M][C][kH][kW] is already [n][(c, ky, kx)]
    bias_of(n, op, optional(n, 2, "bias"), 1.f);
    shape_ = op.out;
  }

  void linear(const Node& n, bool gemm) {
    if (!shape_.flat) fail(n, "its input has shape " + shape_text(shape_) + "; add a Flatten before it");
    const Tensor& b = stored(n, 1, "weights");
    if (b.dims.size() != 2) fail(n, "weights '" + b.name + "' have shape " + dims_text(b.dims) + "; expected 2-D");
    bool trans_b = false;
    float alpha = 1.f, beta = 1.f;
    if (gemm) {
      if (attr_int(n, "transA", 0) != 0) fail(n, "transA = 1 is not supported");
      trans_b = attr_int(n, "transB", 0) != 0;
      if (const Attribute* a = n.attr("alpha")) alpha = a->f;
      if (const Attribute* a = n.attr("beta")) beta = a->f;
    }
    const std::int64_t K = trans_b ? b.dims[1] : b.dims[0], N = trans_b ? b.dims[0] : b.dims[1];
    if (K != shape_.c)
      fail(n, "weights '" + b.name + "' " + dims_text(b.dims) + (trans_b ? " (transposed)" : "") + " take " +
                  std::to_string(K) + " inputs, but its input has " + std::to_string(shape_.c));
    Op& op = push(n, OpKind::linear);
    op.out = Shape{static_cast<int>(N), 1, 1, true};
    op.weight.resize(static_cast<std::size_t>(N * K));
    for (std::int64_t i = 0; i < N; ++i)
      for (std::int64_t k = 0; k < K; ++k)
        op.weight[i * K + k] = alpha * (trans_b ? b.f[i * K + k] : b.f[k * N + i]);
    bias_of(n, op, gemm ? optional(n, 2, "bias C") : nullptr, beta);
    shape_ = op.out;
  }

  Op& last_gemm(const Node& n, const char* why) {
    if (net_.ops.empty() || !net_.ops.back().is_gemm()) fail(n, std::string(why) + " must directly follow a Conv, Gemm or MatMul");
    return net_.ops.back();
  }

  void add(const Node& n) {
    if (n.inputs.size() != 2) fail(n, "expected 2 inputs");
    const std::size_t other = n.inputs[0] == current_ ? 1 : 0;
    if (n.inputs[1 - other] != current_) check_chain(n);
    Op& op = last_gemm(n, "an Add (only a bias add is supported)");
    const Tensor& b = stored(n, other, "bias");
    if (b.count() != op.out.c)
      fail(n, "bias '" + b.name + "' has shape " + dims_text(b.dims) + ": expected one value per output (" +
                  std::to_string(op.out.c) + ")");
    for (int i = 0; i < op.out.c; ++i) op.bias[i] += b.f[i];
  }

  void batch_norm(const Node& n) {
    Op& op = last_gemm(n, "BatchNormalization (folded into the layer before it)");
    const char* roles[] = {"scale", "bias", "mean", "variance"};
    const Tensor* t[4];
    for (int k = 0; k < 4; ++k) {
      t[k] = &stored(n, k + 1, roles[k]);
      if (t[k]->count() != op.out.c)
        fail(n, std::string(roles[k]) + " '" + t[k]->name + "' has " + std::to_string(t[k]->count()) + " values for " +
                    std::to_string(op.out.c) + " channels");
    }
    const double eps = n.attr("epsilon") ? n.attr("epsilon")->f : 1e-5;
    const int K = op.K();
    for (int c = 0; c < op.out.c; ++c) {
      const double g = t[0]->f[c] / std::sqrt(static_cast<double>(t[3]->f[c]) + eps);
      for (int k = 0; k < K; ++k) op.weight[static_cast<std::size_t>(c) * K + k] = static_cast<float>(op.weight[static_cast<std::size_t>(c) * K + k] * g);
      op.bias[c] = static_cast<float>((op.bias[c] - t[2]->f[c]) * g + t[1]->f[c]);
    }
  }

  void pool(const Node& n, OpKind kind) {
    if (shape_.flat) fail(n, "its input is a flat vector; pooling needs [C, H, W]");
    const auto k = attr_ints(n, "kernel_shape", {});
    const auto st = attr_ints(n, "strides", k);
    for (std::int64_t p : attr_ints(n, "pads", {}))
      if (p) fail(n, "padding " + dims_text(attr_ints(n, "pads", {})) + " is not supported");
    if (attr_int(n, "ceil_mode", 0)) fail(n, "ceil_mode = 1 is not supported");
    for (std::int64_t d : attr_ints(n, "dilations", {}))
      if (d != 1) fail(n, "dilation " + std::to_string(d) + " is not supported");
    if (k.size() != 2 || st.size() != 2 || k[0] < 1 || k[1] < 1 || st[0] < 1 || st[1] < 1)
      fail(n, "kernel_shape " + dims_text(k) + " / strides " + dims_text(st) + ": expected two positive values each");
    if (k[0] > shape_.h || k[1] > shape_.w) fail(n, "window " + dims_text(k) + " is larger than its input " + shape_text(shape_));
    Op& op = push(n, kind);
    op.kh = static_cast<int>(k[0]);
    op.kw = static_cast<int>(k[1]);
    op.stride_h = static_cast<int>(st[0]);
    op.stride_w = static_cast<int>(st[1]);
    op.out = Shape{shape_.c, (shape_.h - op.kh) / op.stride_h + 1, (shape_.w - op.kw) / op.stride_w + 1, false};
    shape_ = op.out;
  }

  void flatten(const Node& n) {
    if (n.op_type == "Flatten" && attr_int(n, "axis", 1) != 1) fail(n, "axis " + std::to_string(attr_int(n, "axis", 1)) + " is not supported (1 is)");
    if (n.op_type == "Reshape") {
      auto it = tensors_.find(n.inputs.size() > 1 ? n.inputs[1] : "");
      if (it == tensors_.end() || it->second->i.empty()) fail(n, "its target shape must be a stored int64 tensor");
      const auto& s = it->second->i;
      if (s.size() != 2 || !(s[1] == -1 || s[1] == shape_.size()))
        fail(n, "target shape " + dims_text(s) + ": only flattening to [batch, " + std::to_string(shape_.size()) +
                    "] is supported");
    }
    if (shape_.flat) return;
    Op& op = push(n, OpKind::flatten);
    op.out = Shape{static_cast<int>(shape_.size()), 1, 1, true};
    shape_ = op.out;
  }

  // PyTorch (1.13, opset 13) writes nn.AvgPool2d as a Pad of zeros before the
  // AveragePool: an all-zero Pad is a no-op. Real padding is the Conv's own.
  void pad(const Node& n) {
    std::vector<std::int64_t> p = attr_ints(n, "pads", {});  // opset < 11: an attribute
    if (n.inputs.size() > 1 && !n.inputs[1].empty()) {
      auto it = tensors_.find(n.inputs[1]);
      if (it == tensors_.end() || static_cast<std::int64_t>(it->second->i.size()) != it->second->count())
        fail(n, "its pads must be a stored int64 tensor");
      p = it->second->i;
    }
    for (std::int64_t v : p)
      if (v) fail(n, "pads " + dims_text(p) + " are not supported: only an all-zero Pad (as PyTorch writes before "
                     "AveragePool); pad inside the Conv instead");
  }

  void node(const Node& n, bool last) {
    if (!n.domain.empty() && n.domain != "ai.onnx") fail(n, "operator domain '" + n.domain + "' is not supported");
    const std::string& op = n.op_type;
    if (op == "Constant") {
      if (n.outputs.empty() || !n.attr("value") || n.attr("value")->t.empty()) fail(n, "only a tensor 'value' is supported");
      constants_.push_back(n.attr("value")->t.front());
      tensors_[n.outputs.front()] = &constants_.back();
      return;
    }
    if (shape_op(n)) return;
    if (op != "Add") check_chain(n);
    if (op == "Conv") conv(n);
    else if (op == "Gemm") linear(n, true);
    else if (op == "MatMul") linear(n, false);
    else if (op == "Add") add(n);
    else if (op == "BatchNormalization") batch_norm(n);
    else if (op == "Relu") { Op& r = push(n, OpKind::relu); r.out = shape_; }
    else if (op == "MaxPool") pool(n, OpKind::maxpool);
    else if (op == "AveragePool") pool(n, OpKind::avgpool);
    else if (op == "Flatten" || op == "Reshape") flatten(n);
    else if (op == "Pad") pad(n);
    else if (op == "Identity" || op == "Dropout") {}
    else if ((op == "Softmax" || op == "LogSoftmax") && last) {}
    else fail(n, "operator '" + op + "' is not supported (supported: Conv, Gemm, MatMul, Add, Relu, MaxPool, "
                 "AveragePool, Flatten, Reshape, BatchNormalization, Pad of zeros, Identity, Dropout; Softmax as the "
                 "last node; Shape, Gather, Unsqueeze, Squeeze, Concat computing a Reshape's target)");
    take_output(n);
  }

  const Model& m_;
  Network net_;
  std::map<std::string, const Tensor*> tensors_;
  std::deque<Tensor> constants_;  // stable addresses for tensors_
  std::map<std::string, Shape> activations_;  // every activation so far, by name (for Shape)
  Shape shape_;
  std::string current_;
};

}  // namespace

Network import_network(const Model& m, const std::string& source) {
  try {
    return Importer(m, source).run();
  } catch (const OnnxError& e) {
    throw OnnxError(source + ": " + e.what());
  }
}

Network load_network(const std::string& path) { return import_network(read_model(path), path); }

}  // namespace cimmc::onnx

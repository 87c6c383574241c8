#include "infer/quant.hpp"

#include <algorithm>
#include <cmath>

namespace cimmc::infer {

Quantization calibrate(const Network& net, const std::vector<float>& x, int B, const QuantBits& bits) {
  Quantization q;
  for (const Op& op : net.ops) {
    if (!op.is_gemm()) continue;
    LayerQuant l;
    l.name = op.name;
    float wmax = 0.f;
    for (float w : op.weight) wmax = std::max(wmax, std::fabs(w));
    const int wtop = (1 << (bits.w_bits - 1)) - 1;
    l.w_scale = wmax > 0.f ? static_cast<double>(wmax) / wtop : 1.0;
    l.w.resize(op.weight.size());
    for (std::size_t i = 0; i < op.weight.size(); ++i)
      l.w[i] = static_cast<std::int32_t>(std::lround(op.weight[i] / l.w_scale));
    q.layers.push_back(std::move(l));
  }
  std::vector<float> lo(q.layers.size(), 0.f), hi(q.layers.size(), 0.f);
  forward(net, x, B, [&](int layer, const Op& op, const std::vector<float>& cols, std::int64_t M, std::vector<float>& out) {
    for (float v : cols) {
      lo[layer] = std::min(lo[layer], v);
      hi[layer] = std::max(hi[layer], v);
    }
    float_gemm(op, cols, M, out);
  });
  for (std::size_t i = 0; i < q.layers.size(); ++i) {
    LayerQuant& l = q.layers[i];
    if (lo[i] < 0.f && !bits.x_signed)
      throw InferError("layer '" + l.name + "': its inputs go down to " + std::to_string(lo[i]) +
                       " on the calibration images, but the macro's inputs are unsigned "
                       "(set workload.inputs.signed: true and a signed macro.input_encoding)");
    l.x_max = std::max(-lo[i], hi[i]);
    l.x_hi = bits.x_signed ? (1 << (bits.x_bits - 1)) - 1 : (1 << bits.x_bits) - 1;
    l.x_lo = bits.x_signed ? -l.x_hi : 0;
    l.x_scale = l.x_max > 0 ? l.x_max / l.x_hi : 1.0;
  }
  return q;
}

void exact_int_gemm(const LayerQuant& q, const Op& op, const std::vector<std::int32_t>& X, std::int64_t M,
                    std::vector<double>& acc) {
  const int N = op.N(), K = op.K();
  acc.assign(static_cast<std::size_t>(M) * N, 0.0);
#pragma omp parallel for schedule(static)  // integer sums: exact in any order
  for (std::int64_t m = 0; m < M; ++m) {
    const std::int32_t* r = X.data() + m * K;
    for (int n = 0; n < N; ++n) {
      const std::int32_t* w = q.w.data() + static_cast<std::size_t>(n) * K;
      std::int64_t s = 0;
      for (int k = 0; k < K; ++k) s += static_cast<std::int64_t>(r[k]) * w[k];
      acc[m * N + n] = static_cast<double>(s);
    }
  }
}

GemmFn quantized_gemm(const Quantization& q, const IntGemmFn& int_gemm) {
  return [&q, int_gemm](int layer, const Op& op, const std::vector<float>& cols, std::int64_t M,
                        std::vector<float>& out) {
    const LayerQuant& l = q.layers.at(layer);
    std::vector<std::int32_t> X(cols.size());
    const double inv = 1.0 / l.x_scale;
#pragma omp parallel for schedule(static)
    for (std::size_t i = 0; i < cols.size(); ++i) {
      const double v = std::floor(cols[i] * inv + 0.5);
      X[i] = static_cast<std::int32_t>(std::clamp(v, static_cast<double>(l.x_lo), static_cast<double>(l.x_hi)));
    }
    std::vector<double> acc;
    int_gemm(layer, l, op, X, M, acc);
    const double s = l.x_scale * l.w_scale;
    out.resize(acc.size());
    for (std::size_t i = 0; i < acc.size(); ++i) out[i] = static_cast<float>(acc[i] * s);
  };
}

}  // namespace cimmc::infer

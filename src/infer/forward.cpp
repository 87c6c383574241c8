#include "infer/forward.hpp"

#include <algorithm>
#include <limits>

namespace cimmc::infer {

namespace {

// im2col of a conv layer: row m = (b, oy, ox), column k = (c, ky, kx); the
// zero padding reads as 0.
void lower_conv(const Op& op, const std::vector<float>& x, int B, std::vector<float>& cols) {
  const Shape& in = op.in;
  const int OH = op.out.h, OW = op.out.w, K = op.K();
  cols.assign(static_cast<std::size_t>(B) * OH * OW * K, 0.f);
#pragma omp parallel for schedule(static)  // images on all threads; every element written once
  for (int b = 0; b < B; ++b)
    for (int oy = 0; oy < OH; ++oy)
      for (int ox = 0; ox < OW; ++ox) {
        float* row = cols.data() + ((static_cast<std::size_t>(b) * OH + oy) * OW + ox) * K;
        for (int c = 0; c < in.c; ++c)
          for (int ky = 0; ky < op.kh; ++ky) {
            const int y = oy * op.stride_h - op.pad_t + ky;
            if (y < 0 || y >= in.h) continue;
            for (int kx = 0; kx < op.kw; ++kx) {
              const int xx = ox * op.stride_w - op.pad_l + kx;
              if (xx < 0 || xx >= in.w) continue;
              row[(c * op.kh + ky) * op.kw + kx] = x[((static_cast<std::size_t>(b) * in.c + c) * in.h + y) * in.w + xx];
            }
          }
      }
}

void pool(const Op& op, const std::vector<float>& x, int B, std::vector<float>& y) {
  const Shape &in = op.in, &out = op.out;
  y.assign(static_cast<std::size_t>(B) * out.size(), 0.f);
  const float inv = 1.f / static_cast<float>(op.kh * op.kw);
#pragma omp parallel for schedule(static)
  for (int b = 0; b < B; ++b)
    for (int c = 0; c < in.c; ++c)
      for (int oy = 0; oy < out.h; ++oy)
        for (int ox = 0; ox < out.w; ++ox) {
          float m = -std::numeric_limits<float>::infinity(), s = 0.f;
          for (int ky = 0; ky < op.kh; ++ky)
            for (int kx = 0; kx < op.kw; ++kx) {
              const float v = x[((static_cast<std::size_t>(b) * in.c + c) * in.h + oy * op.stride_h + ky) * in.w +
                                ox * op.stride_w + kx];
              m = std::max(m, v);
              s += v;
            }
          y[((static_cast<std::size_t>(b) * out.c + c) * out.h + oy) * out.w + ox] = op.kind == OpKind::maxpool ? m : s * inv;
        }
}

}  // namespace

void float_gemm(const Op& op, const std::vector<float>& cols, std::int64_t M, std::vector<float>& out) {
  const int N = op.N(), K = op.K();
  out.assign(static_cast<std::size_t>(M) * N, 0.f);
  // Rows on all threads: each output is one thread's sum in k order, so the
  // thread count changes no bit.
#pragma omp parallel for schedule(static)
  for (std::int64_t m = 0; m < M; ++m) {
    const float* r = cols.data() + m * K;
    for (int n = 0; n < N; ++n) {
      const float* w = op.weight.data() + static_cast<std::size_t>(n) * K;
      float s = 0.f;
      for (int k = 0; k < K; ++k) s += r[k] * w[k];
      out[m * N + n] = s;
    }
  }
}

std::vector<float> forward(const Network& net, const std::vector<float>& x, int B, const GemmFn& gemm) {
  std::vector<float> act = x, cols, prod, next;
  int layer = 0;
  for (const Op& op : net.ops) {
    switch (op.kind) {
      case OpKind::conv:
      case OpKind::linear: {
        const bool conv = op.kind == OpKind::conv;
        const std::int64_t PQ = static_cast<std::int64_t>(op.out.h) * op.out.w, M = B * PQ;
        if (conv) lower_conv(op, act, B, cols);
        gemm(layer++, op, conv ? cols : act, M, prod);
        // [b][pq][n] + bias -> [b][n][pq]
        const int N = op.N();
        next.resize(static_cast<std::size_t>(M) * N);
#pragma omp parallel for schedule(static)
        for (int b = 0; b < B; ++b)
          for (std::int64_t pq = 0; pq < PQ; ++pq)
            for (int n = 0; n < N; ++n)
              next[(static_cast<std::size_t>(b) * N + n) * PQ + pq] = prod[(b * PQ + pq) * N + n] + op.bias[n];
        act.swap(next);
        break;
      }
      case OpKind::relu:
        for (float& v : act) v = v > 0.f ? v : 0.f;
        break;
      case OpKind::maxpool:
      case OpKind::avgpool:
        pool(op, act, B, next);
        act.swap(next);
        break;
      case OpKind::flatten: break;  // [c][h][w] is already the flat order
    }
  }
  return act;
}

std::vector<int> argmax_rows(const std::vector<float>& logits, int B, int classes) {
  std::vector<int> out(B);
  for (int b = 0; b < B; ++b) {
    const float* r = logits.data() + static_cast<std::size_t>(b) * classes;
    out[b] = static_cast<int>(std::max_element(r, r + classes) - r);
  }
  return out;
}

}  // namespace cimmc::infer

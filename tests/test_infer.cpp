// Inference through the macro model (src/infer/): with a lossless macro (ADC
// codes >= the largest column value, CrossSim's rule; g_off = 0; no noise)
// every integer product equals the exact int64 sum, so the network's logits
// and classes equal the integer-quantized network's bit for bit; the energy
// of an inference equals the events counted by hand from the layer shapes
// times the configured per-event energies, and the sum of its layers'
// tile-job energies built by the test; the accuracy CIs equal their closed
// forms; --threads bounds the host passes.
#include <gtest/gtest.h>

#include <omp.h>

#include <cmath>
#include <random>
#include <set>

#include "infer/task.hpp"
#include "pricing/pricing.hpp"
#include "onnx/import.hpp"
#include "infer_test_util.hpp"

using namespace cimmc;
using namespace cimmc::infer;

namespace {

Network tiny_cnn() { return test::tiny_onnx("tiny_cnn"); }

// 8-bit inputs, 8-bit weights, 64 x 64 macro; lossless when
// 2^adc_bits - 1 >= rows x (2^dac_bits - 1) x (2^bits_per_cell - 1).
Config lossless(WeightEncoding enc, int bpc, int dac_bits, int adc_bits) {
  return test::infer_macro(64, enc, bpc, dac_bits, adc_bits, 32);
}

EngineOptions cpu(int threads) {
  EngineOptions o;
  o.backend = Backend::cpu;
  o.threads = threads;
  return o;
}

// Random layer operands: X unsigned 8-bit (a quarter zeros, as after ReLU), W signed 8-bit.
struct Operands {
  Op op;
  LayerQuant q;
  std::vector<std::int32_t> X;
  std::int64_t M;
};

Operands random_layer(int M, int K, int N, unsigned seed) {
  std::mt19937 g(seed);
  Operands o;
  o.M = M;
  o.op.kind = OpKind::linear;
  o.op.in = Shape{K, 1, 1, true};
  o.op.out = Shape{N, 1, 1, true};
  o.q.w.resize(static_cast<std::size_t>(N) * K);
  for (auto& w : o.q.w) w = static_cast<int>(g() % 255) - 127;
  o.X.resize(static_cast<std::size_t>(M) * K);
  for (auto& x : o.X) x = g() % 4 == 0 ? 0 : static_cast<int>(g() % 256);
  return o;
}

}  // namespace

class LosslessMacro : public ::testing::TestWithParam<std::tuple<WeightEncoding, int, int>> {};

// K = 150 over 64-row tiles (64, 64, 22) and N = 20 over the tiles' weight
// columns: partial sums of three K tiles, added digitally, and several N tiles.
TEST_P(LosslessMacro, LayerProductsEqualExactIntegerSums) {
  const auto [enc, bpc, dac] = GetParam();
  const int need = 64 * ((1 << dac) - 1) * ((1 << bpc) - 1);
  int adc = 1;
  while ((1 << adc) - 1 < need) ++adc;
  if (enc == WeightEncoding::sign_magnitude) ++adc;  // signed columns: codes -(2^(B-1) - 1) .. 2^(B-1) - 1
  const Config c = lossless(enc, bpc, dac, adc);
  const Operands o = random_layer(300, 150, 20, 11);
  std::vector<double> exact, macro;
  exact_int_gemm(o.q, o.op, o.X, o.M, exact);
  MacroGemm mg(c, task_bits(c), cpu(2), 0);
  mg.set_batch(0, 300);
  mg(0, o.q, o.op, o.X, o.M, macro);
  ASSERT_EQ(macro.size(), exact.size());
  for (std::size_t i = 0; i < exact.size(); ++i) ASSERT_EQ(macro[i], exact[i]) << "output " << i;
  EXPECT_GE(mg.tiles().size(), 3u);  // really tiled (K in three)
  // One ADC bit fewer than the rule: the same products are no longer exact.
  Config lossy = lossless(enc, bpc, dac, adc - 1);
  MacroGemm ml(lossy, task_bits(lossy), cpu(2), 0);
  ml.set_batch(0, 300);
  ml(0, o.q, o.op, o.X, o.M, macro);
  std::size_t differ = 0;
  for (std::size_t i = 0; i < exact.size(); ++i) differ += macro[i] != exact[i];
  EXPECT_GT(differ, exact.size() / 10);
}

INSTANTIATE_TEST_SUITE_P(Encodings, LosslessMacro,
                         ::testing::Values(std::tuple{WeightEncoding::differential, 2, 1},
                                           std::tuple{WeightEncoding::twos_complement, 1, 2},
                                           std::tuple{WeightEncoding::offset, 4, 1},
                                           std::tuple{WeightEncoding::sign_magnitude, 2, 1}));

namespace {

// conv 3x3 1 -> 4 (pad 1) on 4 x 4, ReLU, max-pool 2, flatten 16, linear 16 -> 5,
// random weights: classes vary from image to image (tiny_cnn's biases pick one).
Op make_op(OpKind kind, const char* name, Shape in, Shape out) {
  return Op{.kind = kind, .name = name, .in = in, .out = out, .weight = {}, .bias = {}};
}

Network random_net(unsigned seed) {
  std::mt19937 g(seed);
  std::normal_distribution<float> n(0.f, 1.f);
  Network net;
  net.input = Shape{1, 4, 4, false};
  Op c = make_op(OpKind::conv, "conv", net.input, Shape{4, 4, 4, false});
  c.kh = c.kw = 3;
  c.pad_t = c.pad_l = c.pad_b = c.pad_r = 1;
  for (int i = 0; i < 4 * 9; ++i) c.weight.push_back(n(g));
  for (int i = 0; i < 4; ++i) c.bias.push_back(0.1f * n(g));
  const Op r = make_op(OpKind::relu, "relu", c.out, c.out);
  Op p = make_op(OpKind::maxpool, "pool", c.out, Shape{4, 2, 2, false});
  p.kh = p.kw = p.stride_h = p.stride_w = 2;
  const Op f = make_op(OpKind::flatten, "flat", p.out, Shape{16, 1, 1, true});
  Op l = make_op(OpKind::linear, "fc", f.out, Shape{5, 1, 1, true});
  for (int i = 0; i < 16 * 5; ++i) l.weight.push_back(n(g));
  l.bias.assign(5, 0.f);
  net.ops = {c, r, p, f, l};
  return net;
}

}  // namespace

// Whole network, image by image: lossless macro classes = quantized classes,
// on any thread count and batch size; read noise changes some.
TEST(Infer, LosslessMacroClassifiesEveryImageAsTheQuantizedNetwork) {
  const Network net = random_net(9);
  const TaskData d = test::random_images(120, 3);
  Config c = lossless(WeightEncoding::differential, 2, 1, 8);
  c.task.chips = 2;
  c.task.batch_images = 50;
  const TaskResult r = run_task(c, net, d, cpu(1));
  ASSERT_EQ(r.chips.size(), 2u);
  for (const ChipResult& chip : r.chips) {
    EXPECT_EQ(chip.pred, r.quant_pred);
    EXPECT_EQ(chip.correct, r.quant_correct);
  }
  std::set<int> classes(r.quant_pred.begin(), r.quant_pred.end());
  EXPECT_GE(classes.size(), 3u);  // the equality is not that of a constant

  c.macro.noise.read_sigma_rel = 0.5;
  c.macro.adc.bits = 5;
  c.task.batch_images = 120;
  const TaskResult a = run_task(c, net, d, cpu(1));
  c.task.batch_images = 7;
  const TaskResult b = run_task(c, net, d, cpu(2));
  EXPECT_EQ(a.chips[0].pred, b.chips[0].pred);  // batch size and threads do not matter
  EXPECT_EQ(a.chips[1].pred, b.chips[1].pred);
  // Exact event counts, priced per batch: sums over other batches round differently.
  EXPECT_NEAR(a.chips[0].energy_pj, b.chips[0].energy_pj, 1e-12 * a.chips[0].energy_pj);
  int changed = 0;
  for (int i = 0; i < 120; ++i) changed += a.chips[0].pred[i] != r.quant_pred[i];
  EXPECT_GT(changed, 0);
}

// The float and exact-integer reference passes (im2col, GEMMs, pooling,
// quantization) run on all OpenMP threads, each output written by one thread
// in a fixed order: their logits are the same bits on 1 and 3 threads.
TEST(Infer, ReferencePassesGiveTheSameBitsOnAnyThreadCount) {
  const Network net = random_net(9);
  const TaskData d = test::random_images(40, 5);
  const Quantization q = calibrate(net, d.x, d.count, QuantBits{8, 8, false});
  const GemmFn exact = quantized_gemm(q, [](int, const LayerQuant& l, const Op& op, const std::vector<std::int32_t>& X,
                                            std::int64_t M, std::vector<double>& acc) { exact_int_gemm(l, op, X, M, acc); });
  const GemmFn flt = [](int, const Op& op, const std::vector<float>& cols, std::int64_t M, std::vector<float>& out) {
    float_gemm(op, cols, M, out);
  };
  std::vector<float> f[2], x[2];
  const int threads[2] = {1, 3};
  const int before = omp_get_max_threads();
  for (int i = 0; i < 2; ++i) {
    omp_set_num_threads(threads[i]);
    f[i] = forward(net, d.x, d.count, flt);
    x[i] = forward(net, d.x, d.count, exact);
  }
  omp_set_num_threads(before);
  EXPECT_EQ(f[0], f[1]);
  EXPECT_EQ(x[0], x[1]);
  EXPECT_NE(f[0], x[0]);  // two different passes, both compared
}

// Top-1 and its two 95% half-widths against the closed forms, computed here:
// three chips of 100 images at 80, 85 and 90 correct: mean 0.85; over images
// 1.96 sqrt(0.85 x 0.15 / 300); over chips t(2 dof, 0.975) = 4.3027 (any t
// table) x s / sqrt(3) with s = 0.05. One chip: no CI over chips (NaN).
TEST(Infer, AccuracyConfidenceIntervalsOverImagesAndChips) {
  TaskResult r;
  r.images = 100;
  for (int correct : {80, 85, 90}) {
    ChipResult c;
    c.correct = correct;
    r.chips.push_back(c);
  }
  const AccuracyStats s = accuracy_stats(r);
  EXPECT_NEAR(s.mean, 0.85, 1e-12);
  EXPECT_NEAR(s.ci_images, 1.959964 * std::sqrt(0.85 * 0.15 / 300), 1e-6);
  EXPECT_NEAR(s.ci_chips, 4.3027 * 0.05 / std::sqrt(3.0), 1e-4);
  r.chips.resize(1);
  const AccuracyStats one = accuracy_stats(r);
  EXPECT_NEAR(one.mean, 0.80, 1e-12);
  EXPECT_NEAR(one.ci_images, 1.959964 * std::sqrt(0.8 * 0.2 / 100), 1e-6);
  EXPECT_TRUE(std::isnan(one.ci_chips));
}

// `--threads N` bounds the host passes too: run_task's OpenMP regions
// (reference passes, im2col and requantization between layers) run on
// opt.threads while it runs, and the caller's setting is back afterwards.
TEST(Infer, HostPassesRunOnTheRequestedThreads) {
  const Network net = random_net(9);
  const TaskData d = test::random_images(20, 5);
  Config c = lossless(WeightEncoding::differential, 2, 1, 8);
  c.task.batch_images = 10;
  const int before = omp_get_max_threads();
  omp_set_num_threads(3);
  std::set<int> seen;
  run_task(c, net, d, cpu(1), [&](int, int) { seen.insert(omp_get_max_threads()); });
  EXPECT_EQ(seen, std::set<int>{1});
  EXPECT_EQ(omp_get_max_threads(), 3);
  seen.clear();
  run_task(c, net, d, cpu(0), [&](int, int) { seen.insert(omp_get_max_threads()); });  // 0: the caller's
  EXPECT_EQ(seen, std::set<int>{3});
  omp_set_num_threads(before);
}

// Energy: only ADC conversions (1 pJ) and accumulator writes (1000 pJ) cost
// anything, so the total is their counts from the layer shapes: per MVM of a
// tile with K rows (one row group) and N weights of 2 x 4 columns
// (differential, 2 bits/cell, 8-bit weights): 8 input cycles x 8N conversions
// and 8 x N accumulator writes.
TEST(Infer, EnergyIsTheSumOfEveryTileJobsEvents) {
  const Network net = tiny_cnn();
  const int images = 40;
  const TaskData d = test::random_images(images, 5);
  Config c = lossless(WeightEncoding::differential, 2, 1, 8);
  c.macro.g_off_us = 0.0;
  EventEnergy zero;
  zero.e0_pj = zero.e1_pj = zero.e2_pj = zero.epop_pj = 0.0;
  for (EventEnergy* e : {&c.energy.dac, &c.energy.row_driver, &c.energy.column, &c.energy.adc, &c.energy.shift_add,
                         &c.energy.accumulator})
    *e = zero;
  c.energy.adc.e0_pj = 1.0;
  c.energy.accumulator.e0_pj = 1000.0;
  c.energy.read_voltage_v = 1e-3;  // cell reads: < 1e-10 pJ each
  c.energy.read_pulse_ns = 1e-3;
  c.task.batch_images = 16;
  const TaskResult r = run_task(c, net, d, cpu(2));
  // conv: 16 positions x images MVMs, N = 2; linear: images MVMs, N = 3.
  const double conv_mvms = 16.0 * images, fc_mvms = images;
  const double expected = conv_mvms * (8 * 8 * 2 * 1.0 + 8 * 2 * 1000.0) + fc_mvms * (8 * 8 * 3 * 1.0 + 8 * 3 * 1000.0);
  EXPECT_NEAR(r.chips[0].energy_pj, expected, expected * 1e-9);
  double layers = 0;
  for (const TileEnergy& t : r.chips[0].tiles) layers += t.energy_pj;
  EXPECT_EQ(layers, r.chips[0].energy_pj);
  EXPECT_EQ(r.chips[0].mvms, static_cast<std::uint64_t>(conv_mvms + fc_mvms));
}

// The check: the energy of an inference is the sum of its layers'
// tile-job energies. The test tiles every layer itself (K cut into 8-row
// tiles, N into tiles of two 8-bit differential weights of 2 x 4 two-bit
// cells in 16 columns), runs each tile as one job over all 40 images at once
// with the layer's integer operands from the exact pass, and prices it; the
// inference ran the same layers in batches of 16 images, so its tile jobs are
// other jobs, three per tile. Lossless ADC (8 rows x 3 < 2^5) and no noise:
// every layer sees the exact pass's inputs and a job's events depend on its
// operands alone. Default per-event energies: the energy depends on the data.
TEST(Infer, EnergyEqualsTheSumOfItsLayersTileJobEnergies) {
  const Network net = random_net(9);
  const int images = 40;
  const TaskData d = test::random_images(images, 5);
  Config c = test::infer_macro(8, WeightEncoding::differential, 2, 1, 5, 16);
  c.macro.cols = 16;
  c.task.batch_images = 16;
  const TaskResult r = run_task(c, net, d, cpu(2));
  ASSERT_EQ(r.chips[0].pred, r.quant_pred);
  struct Layer {
    LayerQuant q;
    std::vector<std::int32_t> X;
    std::int64_t M = 0;
    int K = 0, N = 0;
  };
  std::vector<Layer> layers;
  forward(net, d.x, images, quantized_gemm(r.quant, [&](int, const LayerQuant& q, const Op& op,
                                                        const std::vector<std::int32_t>& X, std::int64_t M,
                                                        std::vector<double>& acc) {
    layers.push_back(Layer{q, X, M, op.K(), op.N()});
    exact_int_gemm(q, op, X, M, acc);
  }));
  ASSERT_EQ(layers.size(), 2u);
  const int rows = 8, weights = 2, batches = 3;
  double total = 0;
  std::set<double> per_mvm;  // tile jobs' energies per MVM: not one constant
  for (std::size_t l = 0; l < layers.size(); ++l) {
    const Layer& L = layers[l];
    std::vector<Config> cfgs;
    std::vector<std::vector<std::int32_t>> ws, xs;
    for (int k0 = 0; k0 < L.K; k0 += rows)
      for (int n0 = 0; n0 < L.N; n0 += weights) {
        const int kn = std::min(rows, L.K - k0), nw = std::min(weights, L.N - n0);
        Config t = c;
        t.tile = TileSpec{};
        t.tile.rows_used = kn;
        t.tile.cols_used = nw;
        t.tile.inputs.bits = 8;
        t.tile.weights.bits = 8;
        t.tile.weights.is_signed = true;
        t.run.samples = static_cast<std::uint64_t>(L.M);
        cfgs.push_back(t);
        std::vector<std::int32_t> w, x;
        for (int n = n0; n < n0 + nw; ++n)
          for (int k = k0; k < k0 + kn; ++k) w.push_back(L.q.w[static_cast<std::size_t>(n) * L.K + k]);
        for (std::int64_t m = 0; m < L.M; ++m)
          for (int k = k0; k < k0 + kn; ++k) x.push_back(L.X[m * L.K + k]);
        ws.push_back(std::move(w));
        xs.push_back(std::move(x));
      }
    std::vector<const Config*> ptrs;
    std::vector<philox::JobId> ids;
    for (std::size_t i = 0; i < cfgs.size(); ++i) {
      ptrs.push_back(&cfgs[i]);
      ids.push_back(philox::JobId{l, i});
    }
    const std::vector<JobResult> res = run_jobs(ptrs, ids, cpu(2), [&](std::size_t i, JobView& v) {
      v.w_given = ws[i].data();
      v.x_given = xs[i].data();
    });
    double layer_pj = 0;
    for (std::size_t i = 0; i < res.size(); ++i) {
      const Report rep = price(res[i], make_energy_tables(cfgs[i], res[i]));
      layer_pj += rep.total_pj.mean * static_cast<double>(res[i].samples());
      per_mvm.insert(rep.total_pj.mean);
    }
    double inferred = 0;
    std::size_t jobs = 0;
    for (const TileEnergy& t : r.chips[0].tiles)
      if (t.layer == static_cast<int>(l)) inferred += t.energy_pj, ++jobs;
    EXPECT_EQ(jobs, cfgs.size() * batches) << "layer " << l;
    EXPECT_NEAR(inferred, layer_pj, 1e-9 * layer_pj) << "layer " << l;
    total += layer_pj;
  }
  EXPECT_NEAR(r.chips[0].energy_pj, total, 1e-9 * total);
  EXPECT_GE(per_mvm.size(), 4u);
}

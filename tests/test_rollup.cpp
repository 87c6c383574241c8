// The study roll-up (src/study/rollup.cpp) against hand computations: tile-job
// costs are made up from each job's shape, so every layer and network column
// follows from the layer sizes and the definitions in docs/hdf5-format.md.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "config/sweep.hpp"
#include "study/plan.hpp"
#include "study/rollup.hpp"
#include "study/tables.hpp"

using namespace cimmc;

namespace {

// conv: M = P*Q = 16, K = C*R*S = 72, N = 12. fc: M = tokens = 3, K = 100,
// N = 10, repeat 3. fc_again: fc's shape once (its tile jobs are fc's).
// On 64-row macros every layer has two K tiles (64 rows and the rest) and
// one N tile.
const char* kNet = R"(name: rollup
run: {samples: 256, seed: 3}
macro: {rows: 64, cols: 64, bits_per_cell: 2, weight_encoding: differential, adc: {bits: 6, range: full}}
workload:
  defaults:
    inputs: {bits: 4, distribution: {kind: relu_normal, std: 1.0, zero_fraction: 0.5}}
    weights: {bits: 4, signed: true, distribution: {kind: normal, std: 0.5}}
  layers:
    - {name: conv, type: conv2d, C: 8, M: 12, P: 4, Q: 4, R: 3, S: 3}
    - {name: fc, type: linear, in_features: 100, out_features: 10, tokens: 3, repeat: 3}
    - {name: fc_again, type: linear, in_features: 100, out_features: 10}
architecture: {macros: 8}
)";

struct Dims {
  double M, K, N, repeat;
};
const Dims kDims[] = {{16, 72, 12, 1}, {3, 100, 10, 3}, {1, 100, 10, 1}};

// Per-MVM cost of a tile job with r rows and c columns: component i costs
// a_i r c pJ (so a layer's energy is a_i x its MACs), its standard error
// s_i r; errors and signal power per output grow with the rows summed.
double a(int i) { return 0.01 * (i + 1); }
double s(int i) { return 1e-4 * (i + 2); }
double a_total() { double t = 0; for (int i = 0; i < kComponents; ++i) t += a(i); return t; }
constexpr double kSeTotal = 3e-4, kAlpha = 0.01, kBeta = 0.002, kGamma = 1.5, kEps = 1e-3, kRho = 1e-4, kEv = 4;

JobCost made_up(int r, int c) {
  JobCost jc;
  for (int i = 0; i < kComponents; ++i) jc.rep.component_pj[i] = {a(i) * r * c, s(i) * r, 0, 0};
  jc.rep.total_pj = {a_total() * r * c, kSeTotal * r, 0, 0};
  jc.rep.events_per_mvm[static_cast<int>(Component::adc)] = kEv * c;
  jc.mse = kAlpha * r + kBeta * c;
  jc.power = kGamma * r;
  jc.err_mean = kEps * r;
  jc.clip_rate = kRho * r;
  return jc;
}

double col(const Table& t, const std::string& name, std::size_t row) {
  return std::get<std::vector<double>>(t.find(name)->data).at(row);
}

void expect_rel(double got, double want, const std::string& what) {
  EXPECT_NEAR(got, want, 1e-12 * std::fabs(want)) << what;
}

}  // namespace

TEST(RollUp, LayerAndNetworkRowsMatchTheHandComputation) {
  const Sweep sw = parse_sweep(kNet, "rollup.yaml");
  const Config& c = sw.points[0].config;
  const std::vector<const Config*> pts{&c};
  const StudyPlan plan = make_plan(pts, 0, 1);
  const auto price = [&](std::size_t j, const Config&, const LayerSpec*) {
    return made_up(plan.jobs[j].tile.rows_used, plan.jobs[j].tile.cols_used);
  };
  const RollUp ru = roll_up(plan, pts, price);
  Table layers, network;
  ParamColumns params;
  params.ids = {0};
  params.values = {{}};
  append_layer_rows(layers, ru, params, "sampled");
  append_network_rows(network, ru, params, "sampled");
  ASSERT_EQ(ru.layers.size(), 3u);  // keep: best
  ASSERT_EQ(ru.network.size(), 1u);

  // Network sums, gathered by hand from the layer sizes.
  double macs = 0, latency = 0, memory = 0, outputs = 0, sq_err = 0, power = 0, err = 0, conv = 0, clipped = 0;
  double min_sqnr = HUGE_VAL;
  for (std::size_t l = 0; l < 3; ++l) {
    const Dims& d = kDims[l];
    const LayerRow& row = ru.layers[l];
    const Mapping& m = *row.m;
    const std::string name = row.layer_name;
    // The tiling this computation assumes: two K tiles (64 rows and K - 64), one N tile.
    ASSERT_EQ(m.k_tiles, 2) << name;
    ASSERT_EQ(m.n_tiles, 1) << name;
    for (const TileUse& t : m.tiles) {
      ASSERT_EQ(t.cols_used, d.N) << name;
      ASSERT_TRUE(t.rows_used == 64 || t.rows_used == d.K - 64) << name;
      ASSERT_EQ(t.mvms, d.M) << name;  // every K tile serves each of the M input vectors
    }
    const double lmacs = d.M * d.K * d.N * d.repeat;
    expect_rel(col(layers, "macs", l), lmacs, name + " macs");
    for (int i = 0; i < kComponents; ++i) {
      const std::string comp = kComponentNames[i];
      expect_rel(col(layers, comp + "_pj", l), a(i) * lmacs, name + " " + comp);
      const double se = s(i) * d.M * d.repeat * std::hypot(64.0, d.K - 64);
      expect_rel(col(layers, comp + "_pj_se", l), se, name + " " + comp + " se");
    }
    const double pj_bit[] = {0.05, 0.05, 0.198, 3.7};  // architecture defaults (spec.hpp)
    const double bits[] = {m.input_buffer_bits, m.output_buffer_bits, m.global_buffer_bits, m.dram_bits};
    const char* mem[] = {"input_buffer_pj", "output_buffer_pj", "global_buffer_pj", "dram_pj"};
    double lmem = 0;
    for (int i = 0; i < 4; ++i) {
      expect_rel(col(layers, mem[i], l), bits[i] * pj_bit[i] * d.repeat, name + " " + mem[i]);
      lmem += bits[i] * pj_bit[i] * d.repeat;
    }
    const double total = a_total() * lmacs + lmem;
    expect_rel(col(layers, "total_pj", l), total, name + " total");
    expect_rel(col(layers, "total_pj_se", l), kSeTotal * d.M * d.repeat * std::hypot(64.0, d.K - 64), name + " total se");
    expect_rel(col(layers, "latency_ns", l), m.latency_ns * d.repeat, name + " latency");
    expect_rel(col(layers, "pj_per_mac", l), total / lmacs, name + " pJ/MAC");
    // An output sums one partial result per K tile, errors independent:
    // MSE = sum of the tiles' MSEs (alpha K + beta N per tile), power likewise.
    const double mse = kAlpha * d.K + 2 * kBeta * d.N, pw = kGamma * d.K;
    expect_rel(col(layers, "err_rms_lsb", l), std::sqrt(mse), name + " err_rms");
    expect_rel(col(layers, "err_mean_lsb", l), kEps * d.K, name + " err_mean");
    expect_rel(col(layers, "sqnr_db", l), 10 * std::log10(pw / mse), name + " sqnr");
    // Both K tiles convert equally often (M MVMs of kEv N conversions each).
    expect_rel(col(layers, "clip_rate", l), kRho * d.K / 2, name + " clip_rate");

    // The network pools every output of every layer: M N outputs per repeat.
    const double n_out = d.M * d.N * d.repeat, n_conv = d.repeat * d.M * 2 * kEv * d.N;
    macs += lmacs;
    latency += m.latency_ns * d.repeat;
    memory += lmem;
    outputs += n_out;
    sq_err += n_out * mse;
    power += n_out * pw;
    err += n_out * kEps * d.K;
    conv += n_conv;
    clipped += n_conv * kRho * d.K / 2;
    min_sqnr = std::min(min_sqnr, 10 * std::log10(pw / mse));
  }
  expect_rel(col(network, "macs", 0), macs, "network macs");
  expect_rel(col(network, "latency_ns", 0), latency, "network latency");
  expect_rel(col(network, "total_pj", 0), a_total() * macs + memory, "network total");
  for (int i = 0; i < kComponents; ++i) expect_rel(col(network, std::string(kComponentNames[i]) + "_pj", 0), a(i) * macs, "network component");
  expect_rel(col(network, "pj_per_mac", 0), (a_total() * macs + memory) / macs, "network pJ/MAC");
  expect_rel(col(network, "tops_per_w", 0), 2 * macs / (a_total() * macs + memory), "network TOPS/W");
  expect_rel(col(network, "err_rms_lsb", 0), std::sqrt(sq_err / outputs), "network err_rms");
  expect_rel(col(network, "err_mean_lsb", 0), err / outputs, "network err_mean");
  expect_rel(col(network, "sqnr_db", 0), 10 * std::log10(power / sq_err), "network sqnr");
  expect_rel(col(network, "sqnr_db_min", 0), min_sqnr, "network sqnr_db_min");
  expect_rel(col(network, "clip_rate", 0), clipped / conv, "network clip_rate");

  // Standard errors: the tile jobs are independent, but fc and fc_again use
  // the same two jobs, whose errors therefore add linearly before the jobs
  // add in quadrature: se = sqrt(sum over jobs of (MVMs x se per MVM)^2).
  std::map<std::pair<int, int>, double> per_job;  // (rows, cols) -> MVMs per inference, repeats included
  per_job[{64, 12}] = 16;
  per_job[{8, 12}] = 16;
  per_job[{64, 10}] = 3 * 3 + 1;
  per_job[{36, 10}] = 3 * 3 + 1;
  ASSERT_EQ(plan.jobs.size(), per_job.size());
  for (const Config& j : plan.jobs) EXPECT_EQ(per_job.count({j.tile.rows_used, j.tile.cols_used}), 1u);
  auto se_of = [&](double per_row) {
    double v = 0;
    for (const auto& [rc, n] : per_job) v += std::pow(n * per_row * rc.first, 2);
    return std::sqrt(v);
  };
  for (int i = 0; i < kComponents; ++i)
    expect_rel(col(network, std::string(kComponentNames[i]) + "_pj_se", 0), se_of(s(i)), "network component se");
  expect_rel(col(network, "total_pj_se", 0), se_of(kSeTotal), "network total se");
  expect_rel(col(network, "total_pj_ci95", 0), 1.96 * se_of(kSeTotal), "network total ci95");
}

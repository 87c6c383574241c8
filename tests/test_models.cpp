// --model statistical / hybrid and `validate`: the two models on the same jobs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "config/sweep.hpp"
#include "study_test_util.hpp"
#include "study/runner.hpp"
#include "study/validate.hpp"

using namespace cimmc;

namespace {

const std::string kTiny = test::tiny_network("run: {samples: 2048, seed: 3, inputs_per_instance: 1}");

const std::vector<double>& col(const Table& t, const std::string& n) {
  return std::get<std::vector<double>>(t.find(n)->data);
}

StudyFile run_model(const Sweep& s, Model m, std::size_t refine = 1) {
  StudyOptions o;
  o.engine.backend = Backend::cpu;
  o.model = m;
  o.refine = refine;
  StudyStats st;
  return run_study(s, o, st);
}

EngineOptions cpu() {
  EngineOptions o;
  o.backend = Backend::cpu;
  return o;
}

}  // namespace

TEST(Models, StatisticalNetworkAgreesWithSampledWithinSamplingError) {
  const Sweep s = parse_sweep(kTiny, "tiny.yaml");
  const StudyFile a = run_model(s, Model::sampled), b = run_model(s, Model::statistical);
  const double es = col(a.network, "total_pj")[0], ci = col(a.network, "total_pj_ci95")[0];
  const double et = col(b.network, "total_pj")[0];
  EXPECT_LT(std::fabs(et - es), 2.0 * ci + 1e-9 * es) << et << " vs " << es << " +/- " << ci;
  EXPECT_NEAR(col(b.network, "sqnr_db")[0], col(a.network, "sqnr_db")[0], 0.5);
  EXPECT_EQ(std::get<std::vector<std::string>>(b.network.find("model")->data)[0], "statistical");
  EXPECT_EQ(b.jobs.rows(), 0u);  // nothing sampled
}

TEST(Models, HybridSamplesTheBestPointsAndKeepsTheRest) {
  const Sweep s = parse_sweep(kTiny + "sweep:\n  cartesian:\n    macro.adc.bits: [3, 4, 5, 6, 7]\n", "tiny.yaml");
  const StudyFile stat = run_model(s, Model::statistical), samp = run_model(s, Model::sampled);
  const StudyFile hyb = run_model(s, Model::hybrid, 1);
  const auto& model = std::get<std::vector<std::string>>(hyb.network.find("model")->data);
  ASSERT_EQ(model.size(), 5u);
  int sampled = 0;
  for (std::size_t i = 0; i < 5; ++i) {
    const Table& ref = model[i] == "sampled" ? samp.network : stat.network;
    sampled += model[i] == "sampled";
    EXPECT_EQ(col(hyb.network, "total_pj")[i], col(ref, "total_pj")[i]) << i;
    EXPECT_EQ(col(hyb.network, "sqnr_db")[i], col(ref, "sqnr_db")[i]) << i;
  }
  // Best energy (3-bit ADC), best latency and TOPS/mm^2 (3-bit: smallest ADCs, shortest
  // conversions) and best SQNR (7-bit): 2 or 3 distinct points.
  EXPECT_GE(sampled, 2);
  EXPECT_LE(sampled, 3);
  EXPECT_EQ(model[0], "sampled");
  EXPECT_EQ(model[4], "sampled");
  EXPECT_EQ(hyb.layers.rows(), 10u);
}

TEST(Models, ValidateAgreesForIndependentOperandsAcrossEncodings) {
  std::string cfg = R"(name: v
run: {samples: 3000, seed: 11, inputs_per_instance: 1}
macro: {rows: 64, cols: 64, bits_per_cell: 2, weight_encoding: differential, adc: {bits: 5, range: full}}
workload:
  tile: {rows_used: 48, cols_used: 3}
  inputs: {bits: 4, signed: false, distribution: {kind: relu_laplace, b: 0.6, zero_fraction: 0.3}}
  weights: {bits: 5, signed: true, distribution: {kind: laplace, b: 0.3}}
sweep:
  zip:
    - {macro.weight_encoding: [differential, offset, twos_complement, sign_magnitude],
       macro.bits_per_cell: [2, 1, 2, 3], macro.dac_bits: [1, 2, 1, 2]}
  cartesian:
    macro.adc.range: [full, max]
    macro.adc.max: [40]
)";
  // adc.max is only allowed with range max: use explicit points instead.
  cfg = cfg.substr(0, cfg.find("  cartesian:")) +
        "  points:\n    - {macro.adc.range: max, macro.adc.max: 30}\n    - {macro.noise.read_sigma_us: 0.5}\n";
  const Sweep s = parse_sweep(cfg, "v.yaml");
  ASSERT_EQ(s.points.size(), 6u);
  const Validation v = validate_study(s, cpu());
  EXPECT_EQ(v.jobs, 6u);
  // Energy components and clip rates agree within the sampling CI. The output
  // MSE sums correlated conversion errors (slices and cycles of one value share
  // inputs and weights), which the independence model only partly captures:
  // validate reports that (up to 5.6% here, two's-complement weights with a
  // 1-bit DAC; at 10^5 samples every point is within 3.7%, offset weights with
  // 2 DAC bits within 0.3% since column pairs are carried, 7% before).
  for (const Comparison& c : v.rows) {
    if (c.metric == "mse_lsb2") {
      EXPECT_LT(std::fabs(c.rel_err), 0.10) << c.job;
      continue;
    }
    EXPECT_FALSE(c.flagged) << c.job << " " << c.metric << " z " << c.z;
    if (std::isfinite(c.z)) {
      EXPECT_LT(std::fabs(c.z), 4.0) << c.job << " " << c.metric;
    }
  }
}

TEST(Models, CorrelatedInputsAreFlaggedAndTheErrorGrowsWithCorrelation) {
  // One column of all-ones weights and Bernoulli inputs: rows that move
  // together widen the column-value spread, so a 4-bit ADC clips more than the
  // independent model predicts.
  auto config = [](double rho) {
    return std::string(R"(name: corr
run: {samples: 6000, seed: 5, inputs_per_instance: 1}
macro: {rows: 64, cols: 8, bits_per_cell: 1, weight_encoding: unsigned, g_off_us: 0, adc: {bits: 4, range: max, max: 15}}
workload:
  tile: {rows_used: 64, cols_used: 1}
  inputs: {bits: 1, signed: false, distribution: {kind: uniform, low: 0, high: 1, clip: 1.6, correlation: )") +
           std::to_string(rho) + R"(}}
  weights: {bits: 1, signed: false, distribution: {kind: constant, value: 1}}
)";
  };
  double prev = 0;
  for (double rho : {0.0, 0.1, 0.3}) {
    const Validation v = validate_study(parse_sweep(config(rho), "corr.yaml"), cpu());
    double clip_rel = 0;
    bool flagged = false;
    for (const Comparison& c : v.rows)
      if (c.metric == "clip_rate" || c.metric == "mse_lsb2") {
        flagged |= c.flagged;
        if (c.metric == "mse_lsb2") clip_rel = std::fabs(c.rel_err);
      }
    if (rho == 0.0) {
      EXPECT_FALSE(flagged);
    } else {
      EXPECT_TRUE(flagged) << rho;
      EXPECT_GT(clip_rel, prev) << rho;  // the model's error grows with the correlation
    }
    prev = clip_rel;
  }
}

// Code-dependent ADC energy under correlated inputs: the independence model
// predicts the ADC code distribution from independent rows, so an energy that
// grows with the code (here quadratically) is off by more as the rows move
// together, and validate flags it with that size. A code-independent ADC
// energy (e0 only) depends on the conversion count alone and stays exact.
TEST(Models, CodeDependentAdcEnergyIsFlaggedUnderCorrelation) {
  auto config = [](double rho, const std::string& adc_energy) {
    return std::string(R"(name: adc_code
run: {samples: 6000, seed: 9, inputs_per_instance: 1}
macro: {rows: 64, cols: 8, bits_per_cell: 1, weight_encoding: unsigned, g_off_us: 0, adc: {bits: 7, range: full}}
energy: {adc: )") + adc_energy + R"(}
workload:
  tile: {rows_used: 64, cols_used: 1}
  inputs: {bits: 1, signed: false, distribution: {kind: uniform, low: 0, high: 1, clip: 1.6, correlation: )" +
           std::to_string(rho) + R"(}}
  weights: {bits: 1, signed: false, distribution: {kind: constant, value: 1}}
)";
  };
  auto adc_row = [](const Validation& v) {
    for (const Comparison& c : v.rows)
      if (c.metric == "adc_pj_per_mvm") return c;
    ADD_FAILURE() << "no adc_pj_per_mvm row";
    return Comparison{};
  };
  const std::string quadratic = "{e0_pj: 0.1, e1_pj: 0, e2_pj: 0.001, epop_pj: 0}";
  double prev = 0;
  for (double rho : {0.0, 0.2, 0.5}) {
    const Comparison c = adc_row(validate_study(parse_sweep(config(rho, quadratic), "adc.yaml"), cpu()));
    if (rho == 0.0) {
      EXPECT_FALSE(c.flagged) << "z " << c.z;
    } else {
      EXPECT_TRUE(c.flagged) << rho << " z " << c.z;
      // Correlation widens the codes, so E[code^2] grows past the prediction.
      EXPECT_LT(c.rel_err, 0.0) << rho;
      EXPECT_GT(std::fabs(c.rel_err), prev) << rho;
    }
    prev = std::fabs(c.rel_err);
  }
  const Comparison flat = adc_row(
      validate_study(parse_sweep(config(0.5, "{e0_pj: 0.1, e1_pj: 0, e2_pj: 0, epop_pj: 0}"), "adc.yaml"), cpu()));
  EXPECT_FALSE(flat.flagged);
  EXPECT_LT(std::fabs(flat.rel_err), 1e-9);
}

// Calibrated ADCs: validate reports the two full scales (model quantile vs
// sampled pilot) on an informational row and compares everything else on the
// pilot's ADC, where the clip rate near the quantile agrees.
TEST(Models, ValidateComparesCalibratedJobsOnThePilotsAdc) {
  const std::string cfg = R"(name: cal
run: {samples: 4000, seed: 21, inputs_per_instance: 1, pilot_samples: 4000}
macro: {rows: 128, cols: 64, bits_per_cell: 2, weight_encoding: differential, adc: {bits: 6, range: calibrated, quantile: 0.99}}
workload:
  tile: {rows_used: 128, cols_used: 8}
  inputs: {bits: 8, signed: false, distribution: {kind: relu_laplace, b: 1.0, zero_fraction: 0.4}}
  weights: {bits: 8, signed: true, distribution: {kind: laplace, b: 0.05}}
)";
  const Validation v = validate_study(parse_sweep(cfg, "cal.yaml"), cpu());
  int full_scale_rows = 0;
  for (const Comparison& c : v.rows) {
    if (c.metric == "adc_full_scale") {
      ++full_scale_rows;
      EXPECT_TRUE(std::isnan(c.z));
      EXPECT_FALSE(c.flagged);
      EXPECT_GT(c.sampled, 0.0);
      EXPECT_LT(std::fabs(c.rel_err), 0.1);  // two estimates of the same 0.99 quantile
    }
    if (c.metric == "clip_rate") {
      EXPECT_GT(c.sampled, 0.002);  // near 1 - 0.99 per the pilot's scale (folded, binned)
      EXPECT_LT(std::fabs(c.z), 4.0) << c.statistical << " vs " << c.sampled;
    }
  }
  EXPECT_EQ(full_scale_rows, 1);
  EXPECT_EQ(v.flagged, 0u);
}

// --model hybrid with refine_pareto samples every point of the screen's energy-latency
// Pareto front, found here by brute force (each pair compared), beside the best point per
// objective. Wider DAC steps halve the input cycles (faster) at 2 pJ per DAC level; 32-row
// macros convert more often (more energy) but in shorter tiles: the sweep trades energy
// against latency.
TEST(Models, HybridParetoSamplesTheWholeEnergyLatencyFront) {
  const Sweep s = parse_sweep(test::tiny_network("run: {samples: 256, seed: 3, inputs_per_instance: 8}") +
                                  "energy: {dac: {e1_pj: 2.0}}\nsweep:\n  cartesian:\n    macro.adc.bits: [4, 6]\n"
                                      "    macro.dac_bits: [1, 2, 4]\n    macro.rows: [32, 64]\n",
                              "tiny.yaml");
  const StudyFile stat = run_model(s, Model::statistical);
  const auto& e = col(stat.network, "total_pj");
  const auto& lat = col(stat.network, "latency_ns");
  std::set<std::size_t> front;
  for (std::size_t i = 0; i < e.size(); ++i) {
    bool beaten = false;
    for (std::size_t j = 0; j < e.size(); ++j)
      beaten |= e[j] <= e[i] && lat[j] <= lat[i] && (e[j] < e[i] || lat[j] < lat[i]);
    if (!beaten) front.insert(i);
  }
  const std::vector<std::size_t> got = pareto_front(e, lat);
  EXPECT_EQ(std::set<std::size_t>(got.begin(), got.end()), front);
  ASSERT_GE(front.size(), 3u) << "the sweep must trade energy against latency beyond the two extremes";
  StudyOptions o;
  o.engine.backend = Backend::cpu;
  o.model = Model::hybrid;
  o.refine = 1;
  o.refine_pareto = true;
  StudyStats st;
  const StudyFile hyb = run_study(s, o, st);
  const auto& model = std::get<std::vector<std::string>>(hyb.network.find("model")->data);
  for (std::size_t i : front) EXPECT_EQ(model.at(i), "sampled") << i;
  // Without it, the best point per objective leaves part of this front statistical.
  o.refine_pareto = false;
  const StudyFile best = run_study(s, o, st);
  const auto& best_model = std::get<std::vector<std::string>>(best.network.find("model")->data);
  EXPECT_TRUE(std::any_of(front.begin(), front.end(), [&](std::size_t i) { return best_model.at(i) != "sampled"; }));
  // Equal pairs are both on the front; a point beaten in one objective and tied in the other is not.
  EXPECT_EQ(pareto_front({1, 1, 2, 1}, {5, 5, 4, 6}), (std::vector<std::size_t>{0, 1, 2}));
}

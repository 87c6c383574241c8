// The energy-only statistical model (statistical_energy, --energy-only)
// against the full one: the same energy per component wherever column and ADC
// energies do not depend on the value, no accuracy, and refusals elsewhere.
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "config/sweep.hpp"
#include "test_util.hpp"
#include "pricing/pricing.hpp"
#include "statistical/model.hpp"
#include "statistical/statistical.hpp"
#include "study/runner.hpp"
#include "study_test_util.hpp"

using namespace cimmc;

namespace {

// Jobs across encodings, DAC widths, ragged row groups, noise, faults and
// every ADC range (the energy-only model never needs the ADC step).
std::vector<Config> job_configs() {
  std::vector<Config> out;
  Config a = test::small_config();
  a.macro.rows = 32;
  a.macro.cols = 64;
  a.macro.rows_active = 12;  // groups of 12, 12 and 6 rows
  a.tile.rows_used = 30;
  a.tile.cols_used = 3;
  a.macro.bits_per_cell = 2;
  a.macro.weight_encoding = WeightEncoding::differential;
  a.tile.inputs.bits = 3;
  a.tile.inputs.dist.kind = DistKind::relu_normal;
  a.tile.inputs.dist.std = 1.0;
  a.tile.inputs.dist.zero_fraction = 0.4;
  a.tile.weights.bits = 4;
  a.tile.weights.is_signed = true;
  a.tile.weights.dist.kind = DistKind::laplace;
  a.tile.weights.dist.b = 0.4;
  a.macro.noise.read_sigma_rel = 0.03;
  a.macro.noise.prog_sigma_rel = 0.05;
  a.macro.adc.range = AdcRange::calibrated;
  a.macro.adc.quantile = 0.99;
  out.push_back(a);
  Config b = a;
  b.macro.weight_encoding = WeightEncoding::twos_complement;
  b.macro.bits_per_cell = 1;
  b.macro.dac_bits = 2;
  b.macro.input_encoding = InputEncoding::offset;
  b.tile.inputs.is_signed = true;
  b.tile.inputs.dist.kind = DistKind::normal;
  b.macro.noise.stuck_off = 0.02;
  b.macro.adc.range = AdcRange::full;
  out.push_back(b);
  Config c = a;
  c.macro.weight_encoding = WeightEncoding::sign_magnitude;
  c.macro.rows_active = 0;
  c.macro.adc.range = AdcRange::max;
  c.macro.adc.max_value = 20.0;
  out.push_back(c);
  return out;
}

double rel(double x, double y) { return std::fabs(x - y) / std::max(std::fabs(y), 1e-300); }

}  // namespace

TEST(StatisticalEnergy, EnergyEqualsTheFullModelsComponentByComponent) {
  for (const Config& c : job_configs()) {
    BuiltJob full, fast;
    build_job(c, philox::JobId{}, full);
    build_job(c, philox::JobId{}, fast);
    const AdcSpec& adc = c.macro.adc;
    const StatResult s = statistical_jobs({&full}, adc).front();
    const StatResult e = statistical_energy(fast);
    const JobResult shell = result_shell(full.view, "statistical");
    const EnergyTables t = make_energy_tables(c, shell);
    const Report rs = price_statistical(full, s, t), re = price_statistical(fast, e, t);
    // The full model's code histograms lack the tails it leaves out (at most
    // stat::kAtomFloor of each class, model.hpp); the energy-only one has none.
    const double tol = 1e-12 + stat::kAtomFloor;
    for (int k = 0; k < kComponents; ++k) {
      EXPECT_LT(rel(re.component_pj[k].mean, rs.component_pj[k].mean), tol) << kComponentNames[k];
      EXPECT_LT(rel(re.events_per_mvm[k], rs.events_per_mvm[k]), tol) << kComponentNames[k];
    }
    EXPECT_LT(rel(re.total_pj.mean, rs.total_pj.mean), tol);
    EXPECT_GT(rs.component_pj[static_cast<int>(Component::adc)].mean, 0.0);
    // The marginal events are the same numbers; the distributions and the accuracy are not computed.
    const JobView& v = fast.view;
    for (int i = v.off_dac; i < v.off_dac + (1 << v.dac_bits); ++i) EXPECT_EQ(e.hist[i], s.hist[i]);
    EXPECT_FALSE(e.distributions);
    EXPECT_TRUE(std::isnan(e.hist[v.off_col]));
    EXPECT_TRUE(std::isnan(e.hist[v.off_adc]));
    EXPECT_TRUE(std::isnan(e.mse));
    EXPECT_TRUE(std::isnan(e.clip_rate));
    EXPECT_TRUE(std::isnan(re.accuracy.sqnr_db));
    EXPECT_TRUE(std::isnan(re.accuracy.err_rms));
    EXPECT_TRUE(std::isnan(re.accuracy.err_std));
    EXPECT_EQ(e.ref_power, s.ref_power);
  }
}

TEST(StatisticalEnergy, RefusesValueDependentColumnOrAdcEnergy) {
  for (int which = 0; which < 2; ++which) {
    Config c = job_configs().front();
    (which == 0 ? c.energy.column : c.energy.adc).e2_pj = 1e-4;
    BuiltJob job;
    build_job(c, philox::JobId{}, job);
    const StatResult e = statistical_energy(job);
    EXPECT_THROW(price_statistical(job, e, make_energy_tables(c, result_shell(job.view, "statistical"))),
                 std::invalid_argument)
        << which;
  }
}

TEST(StatisticalEnergy, StudyGivesTheFullModelsEnergyAndNoAccuracy) {
  const Sweep s = parse_sweep(test::tiny_network("run: {samples: 256, seed: 3}") +
                                  "sweep:\n  cartesian:\n    macro.adc.bits: [4, 6]\n",
                              "tiny.yaml");
  auto run = [&](Model m, bool energy_only) {
    StudyOptions o;
    o.engine.backend = Backend::cpu;
    o.model = m;
    o.energy_only = energy_only;
    o.refine = 1;
    StudyStats st;
    return run_study(s, o, st);
  };
  const StudyFile full = run(Model::statistical, false), fast = run(Model::statistical, true);
  const auto& ef = std::get<std::vector<double>>(full.network.find("total_pj")->data);
  const auto& ee = std::get<std::vector<double>>(fast.network.find("total_pj")->data);
  const auto& sq = std::get<std::vector<double>>(fast.network.find("sqnr_db")->data);
  ASSERT_EQ(ee.size(), 2u);
  for (std::size_t i = 0; i < ee.size(); ++i) {
    EXPECT_LT(rel(ee[i], ef[i]), 1e-12 + stat::kAtomFloor) << i;  // the full model's tails left out
    EXPECT_TRUE(std::isnan(sq[i])) << i;
  }
  EXPECT_EQ(std::get<std::vector<std::string>>(fast.network.find("model")->data)[0], "statistical_energy");
  // Hybrid on the energy-only screen refines by energy and latency (here one point
  // is best at both: the 4-bit ADC), which then carries sampled accuracy.
  const StudyFile hyb = run(Model::hybrid, true);
  const auto& model = std::get<std::vector<std::string>>(hyb.network.find("model")->data);
  EXPECT_EQ(model[0], "sampled");
  EXPECT_EQ(model[1], "statistical_energy");
  EXPECT_FALSE(std::isnan(std::get<std::vector<double>>(hyb.network.find("sqnr_db")->data)[0]));
  EXPECT_THROW(run(Model::sampled, true), std::invalid_argument);
}

// The row-driver event is one per (input cycle, row group), shared by all
// columns (docs/config.md): cycles x ceil(K / R) per MVM in the sampler, in
// both statistical models and in what pricing reports.
TEST(StatisticalEnergy, RowDriverEventsArePerInputCycleAndRowGroup) {
  const std::vector<Config> cfgs = job_configs();
  const int cycles[] = {3, 2, 3}, groups[] = {3, 3, 1};  // 3-bit inputs (2-bit DAC in b); 30 rows in 12s or 1 group
  for (std::size_t i = 0; i < cfgs.size(); ++i) {
    Config c = cfgs[i];
    c.run.samples = 64;
    BuiltJob full, fast;
    build_job(c, philox::JobId{}, full);
    build_job(c, philox::JobId{}, fast);
    const JobView& v = fast.view;
    ASSERT_EQ(v.cycles, cycles[i]);
    ASSERT_EQ(v.G, groups[i]);
    const double per_mvm = cycles[i] * groups[i];
    const StatResult s = statistical_jobs({&full}, c.macro.adc).front();
    const StatResult e = statistical_energy(fast);
    double ns = 0, ne = 0;
    for (int k = 0; k <= v.R; ++k) {
      ns += s.hist[v.off_row + k];
      ne += e.hist[v.off_row + k];
    }
    EXPECT_NEAR(ns, per_mvm, 1e-12) << i;
    EXPECT_NEAR(ne, per_mvm, 1e-12) << i;
    const JobResult r = test::run_cpu(c);
    std::uint64_t sampled = 0;
    for (std::uint64_t n : r.total(Hist::row)) sampled += n;
    EXPECT_EQ(sampled, 64u * cycles[i] * groups[i]) << i;
    const int row = static_cast<int>(Component::row_driver);
    EXPECT_EQ(price(r, make_energy_tables(c, r)).events_per_mvm[row], per_mvm) << i;
    const Report rs = price_statistical(full, s, make_energy_tables(c, result_shell(full.view, "statistical")));
    EXPECT_NEAR(rs.events_per_mvm[row], per_mvm, 1e-12) << i;
  }
}

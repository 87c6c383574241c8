// Technology nodes (energy.node_nm, spec/technology.hpp): every gate and line
// energy is C V^2 with C proportional to the node, ADC and DAC energies do not
// move with the node (ZigZag-IMC's validation rule). Checked against hand
// ratios on the same sampled histograms (pricing only changes).
#include <gtest/gtest.h>

#include <string>

#include "config/config.hpp"
#include "config_test_util.hpp"
#include "pricing/pricing.hpp"
#include "test_util.hpp"

using namespace cimmc;
using namespace cimmc::test;

namespace {

Config with_node(Config c, int node_nm, double vdd_v = 0.9) {
  c.energy.node_nm = node_nm;
  c.energy.vdd_v = vdd_v;
  return c;
}

double component(const Report& r, Component k) { return r.component_pj[static_cast<int>(k)].mean; }

}  // namespace

TEST(Technology, DigitalEnergyScalesAsNodeTimesVddSquared) {
  Config c = small_config();
  c.macro.kind = MacroKind::digital;
  c.tile.inputs = uniform_operand(8, false, 0.0, 1.0, 1.0);
  c.tile.weights = uniform_operand(8, false, 0.0, 1.0, 1.0);
  c.tile.cols_used = 4;
  c.run.samples = 256;
  const JobResult r = run_cpu(c);
  const double e28 = price(r, make_energy_tables(c, r)).total_pj.mean;
  ASSERT_GT(e28, 0.0);
  // Every digital event is a gate or a line toggle: the whole energy moves.
  EXPECT_NEAR(price(r, make_energy_tables(with_node(c, 22), r)).total_pj.mean, e28 * 22.0 / 28.0, 1e-12 * e28);
  EXPECT_NEAR(price(r, make_energy_tables(with_node(c, 65), r)).total_pj.mean, e28 * 65.0 / 28.0, 1e-12 * e28);
  const double v = 0.8 / 0.9;
  EXPECT_NEAR(price(r, make_energy_tables(with_node(c, 22, 0.8), r)).total_pj.mean, e28 * 22.0 / 28.0 * v * v,
              1e-12 * e28);
}

TEST(Technology, AnalogLinesAndLogicScaleButConvertersDoNot) {
  Config c = small_config();
  c.macro.dac_bits = 2;  // a DAC with a non-zero default energy
  c.tile.cols_used = 4;
  c.run.samples = 256;
  const JobResult r = run_cpu(c);
  const Report a = price(r, make_energy_tables(c, r));
  const Report b = price(r, make_energy_tables(with_node(c, 65), r));
  const double s = 65.0 / 28.0;
  for (Component k : {Component::row_driver, Component::column, Component::shift_add, Component::accumulator}) {
    ASSERT_GT(component(a, k), 0.0) << kComponentNames[static_cast<int>(k)];
    EXPECT_NEAR(component(b, k), component(a, k) * s, 1e-12 * component(a, k)) << kComponentNames[static_cast<int>(k)];
  }
  for (Component k : {Component::dac, Component::adc, Component::cell}) {
    ASSERT_GT(component(a, k), 0.0) << kComponentNames[static_cast<int>(k)];
    EXPECT_EQ(component(b, k), component(a, k)) << kComponentNames[static_cast<int>(k)];
  }
  // 28 nm is today's default: the ZigZag-IMC wordline, 0.35 fF per cell and column at 0.9 V.
  const EnergyTables t = make_energy_tables(c, r);
  EXPECT_NEAR(t.row_driver[3] - t.row_driver[2], 0.35e-15 * r.view.P * 0.81 * 1e12, 1e-15);
}

TEST(Technology, OnlyNodesWithConstantsAreAccepted) {
  const std::string ok = "energy:\n  node_nm: 22\n" + kValidWorkload;
  EXPECT_EQ(parse_error(ok, "cfg.yaml"), "");
  EXPECT_EQ(parse_config(ok, "cfg.yaml").energy.node_nm, 22);
  EXPECT_TRUE(is_config_error(parse_error("energy:\n  vdd_v: 0.8\n  node_nm: 40\n" + kValidWorkload, "cfg.yaml"),
                              "cfg.yaml", 3, "energy.node_nm", "40", "must be one of 22, 28, 65"));
  EXPECT_TRUE(is_config_error(parse_error("energy:\n  node_nm: -5\n" + kValidWorkload, "cfg.yaml"), "cfg.yaml", 2,
                              "energy.node_nm", "-5", "must be an integer"));
}

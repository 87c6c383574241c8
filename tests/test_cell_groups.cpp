// Cell groups (macro.cell_group), the analog SRAM cell (macro.cell) and the
// line span (energy.lines), against hand counts and closed forms:
//   - analog: G cells per bitline input make G conversions per column per
//     cycle, each summing 1/G of the active rows (the same draws, so exact);
//   - digital: the row groups share one multiplier and input line per tree
//     input, counted toggle by toggle for constant operands, plus one local
//     bitline read (G cells of line) per tree input per evaluation, or per
//     sample with group_order cycles_inside (hand counts of both orders, and
//     the fair-bit closed form of the multiplier toggles);
//   - SRAM bitline energy C_line V^2 x value / full scale, no cell term;
//   - config rules.
#include <gtest/gtest.h>


#include <cmath>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "config_test_util.hpp"
#include "io/hdf5_file.hpp"
#include "pricing/pricing.hpp"
#include "run_file_util.hpp"
#include "test_util.hpp"

using namespace cimmc;
using namespace cimmc::test;

namespace {

constexpr double kWirePj = 0.35e-15 * 0.81 * 1e12;  // ZigZag-IMC line per cell, 28 nm, 0.9 V [pJ]

double events(const Report& r, Component k) { return r.events_per_mvm[static_cast<int>(k)]; }
double energy(const Report& r, Component k) { return r.component_pj[static_cast<int>(k)].mean; }

// Active rows summed over all conversions of the run.
double active_rows(const JobResult& r) {
  const std::vector<std::uint64_t> h = r.total(Hist::row);
  double s = 0;
  for (std::size_t n = 0; n < h.size(); ++n) s += static_cast<double>(n) * h[n];
  return s;
}

Config analog(int group) {
  Config c = small_config();  // 64 rows, 1 bit per cell, 4-bit unsigned operands
  c.macro.cell_group = group;
  c.macro.rows_active = 64 / group;
  c.tile.cols_used = 4;
  c.run.samples = 512;
  return c;
}

Config digital_pair(int group) {
  Config c = digital_by_hand(4, constant_operand(1, false, 1.0, 1.0), constant_operand(1, false, 1.0, 1.0));
  c.macro.cell_group = group;
  c.macro.rows_active = 2;  // two tree inputs, two row groups either way
  return c;
}

// macro.group_order: 4 rows in 2 cell groups of 2 (2 tree inputs, 2 row
// groups), one column of weight 1, inputs 2-bit 0b01: cycle 0's bit is 1,
// cycle 1's is 0.
Config ordered_pair(GroupOrder order) {
  Config c = digital_by_hand(4, constant_operand(2, false, 1.0, 3.0), constant_operand(1, false, 1.0, 1.0));
  c.macro.cell_group = 2;
  c.macro.rows_active = 2;
  c.macro.group_order = order;
  return c;
}

}  // namespace

TEST(CellGroups, AnalogConversionsScaleByGroupAndActiveRowsByItsInverse) {
  const JobResult r1 = run_cpu(analog(1)), r4 = run_cpu(analog(4));
  const Report p1 = price(r1, make_energy_tables(analog(1), r1)), p4 = price(r4, make_energy_tables(analog(4), r4));
  // 4 input cycles x row groups x 16 physical columns (4 weights of 4 one-bit slices).
  EXPECT_DOUBLE_EQ(events(p1, Component::adc), 4.0 * 1 * 16);
  EXPECT_DOUBLE_EQ(events(p4, Component::adc), 4.0 * 4 * 16);
  EXPECT_DOUBLE_EQ(events(p4, Component::row_driver), 4 * events(p1, Component::row_driver));
  // Same operand draws: the active cells are the same, spread over 4x the conversions.
  ASSERT_GT(active_rows(r1), 0.0);
  EXPECT_DOUBLE_EQ(active_rows(r4), active_rows(r1));
  EXPECT_DOUBLE_EQ(active_rows(r4) / events(p4, Component::row_driver),
                   active_rows(r1) / events(p1, Component::row_driver) / 4);
  // The bitline still passes all 64 cells (16 inputs x 4 per group): 4x the precharges.
  EXPECT_NEAR(energy(p4, Component::column), 4 * energy(p1, Component::column), 1e-9 * energy(p1, Component::column));
}

TEST(CellGroups, DigitalGroupsShareMultiplierAndInputLineByHand) {
  // 4 rows, 2 tree inputs, constant input 1 and weight 1: each evaluation has
  // all leaves 1. One cell per group: 4 input lines and 4 multipliers rise
  // once each. Two per group: rows 0, 2 and 1, 3 take turns on 2 lines and 2
  // multipliers, which rise once and then hold 1. Stage 1 (2 rows -> 0b10)
  // rises once; counters: [line, multiplier, stage 1, accumulator, output].
  const JobResult a = run_cpu(digital_pair(1)), b = run_cpu(digital_pair(2));
  const std::vector<std::uint64_t> ta = a.toggles(), tb = b.toggles();
  ASSERT_EQ(ta.size(), 5u);
  ASSERT_EQ(tb.size(), 5u);
  EXPECT_EQ(ta[0], 4u);
  EXPECT_EQ(ta[1], 4u);
  EXPECT_EQ(tb[0], 2u);
  EXPECT_EQ(tb[1], 2u);
  EXPECT_EQ(ta[2], 1u);
  EXPECT_EQ(tb[2], 1u);
  EXPECT_EQ(ta[3], tb[3]);
  EXPECT_EQ(ta[4], tb[4]);
  // Every evaluation reads one cell per tree input onto a 2-cell local
  // bitline: 1 cycle x 4 rows x 1 column per MVM.
  const Config c2 = digital_pair(2);
  const Report rep = price(b, make_energy_tables(c2, b));
  EXPECT_DOUBLE_EQ(events(rep, Component::cell), 4 + 2.0 / 2);  // reads + multiplier toggles per MVM
  EXPECT_NEAR(energy(rep, Component::cell), 4 * 2 * kWirePj + 2 * 0.28e-3 / 2, 1e-15);
  // Input lines: 2 toggles over 2 MVMs across the 1 used column, or the macro's 64 with lines physical.
  EXPECT_NEAR(energy(rep, Component::row_driver), 1 * kWirePj, 1e-15);
  Config phys = c2;
  phys.energy.lines = LineSpan::physical;
  EXPECT_NEAR(energy(price(b, make_energy_tables(phys, b)), Component::row_driver), 64 * kWirePj, 1e-15);
  const Report rep1 = price(a, make_energy_tables(digital_pair(1), a));
  EXPECT_NEAR(energy(rep1, Component::cell), 4 * 0.28e-3 / 2, 1e-15);  // no reads without groups
}

TEST(SramCell, BitlineEnergyFollowsTheColumnValue) {
  Config c = small_config();
  c.macro.cell = CellKind::sram;
  c.macro.g_off_us = 0.0;
  c.tile.rows_used = 16;
  c.tile.cols_used = 2;
  c.tile.inputs = constant_operand(1, false, 1.0, 1.0);
  c.tile.weights = constant_operand(1, false, 1.0, 1.0);  // every product at its top
  c.run.samples = 64;
  const JobResult r = run_cpu(c);
  const Report rep = price(r, make_energy_tables(c, r));
  // 1 cycle, 2 conversions of a fully discharged 16-cell bitline: 2 x 16 C V^2.
  EXPECT_NEAR(energy(rep, Component::column), 2 * 16 * kWirePj, 1e-15);
  EXPECT_EQ(energy(rep, Component::cell), 0.0);
  // Half the products at the top: half the swing.
  Config half = c;
  half.tile.weights = uniform_operand(1, false, 0.0, 1.0, 1.0);
  const JobResult rh = run_cpu(half);
  const EnergyTables th = make_energy_tables(half, rh);
  EXPECT_NEAR(th.column[8] * 2, th.column[16], 1e-15);
  EXPECT_NEAR(th.column[16], 16 * kWirePj, 1e-15);
  // energy.lines physical: the macro's 64 rows of bitline and 64 columns of wordline.
  Config phys = c;
  phys.energy.lines = LineSpan::physical;
  const Report rp = price(r, make_energy_tables(phys, r));
  EXPECT_NEAR(energy(rp, Component::column), 2 * 64 * kWirePj, 1e-15);
  EXPECT_NEAR(energy(rp, Component::row_driver), 16 * 64 * kWirePj, 1e-15);
  EXPECT_NEAR(energy(rep, Component::row_driver), 16 * 2 * kWirePj, 1e-15);
}

TEST(CellGroups, ConfigRules) {
  const std::string tile = kValidWorkload;
  const Config c = parse_config("macro:\n  rows: 128\n  cell_group: 4\n" + tile, "cfg.yaml");
  EXPECT_EQ(c.macro.rows_active, 32);  // rows / cell_group by default
  EXPECT_EQ(parse_config("macro:\n  rows: 128\n  cell_group: 4\n  rows_active: 8\n" + tile, "cfg.yaml").macro.rows_active, 8);
  EXPECT_TRUE(is_config_error(parse_error("macro:\n  rows: 128\n  cell_group: 3\n" + tile, "cfg.yaml"), "cfg.yaml", 3,
                              "macro.cell_group", "3", "must divide macro.rows (128)"));
  EXPECT_TRUE(is_config_error(parse_error("macro:\n  rows: 128\n  cell_group: 4\n  rows_active: 64\n" + tile, "cfg.yaml"),
                              "cfg.yaml", 4, "macro.rows_active", "64", "must be at most macro.rows / macro.cell_group = 32"));
  EXPECT_TRUE(is_config_error(parse_error("macro:\n  kind: digital\n  cell: reram\n" + tile, "cfg.yaml"), "cfg.yaml", 3,
                              "macro.cell", "reram", "must be sram when macro.kind is digital"));
  EXPECT_TRUE(is_config_error(parse_error("macro:\n  cell: sram\nenergy:\n  read_pulse_ns: 2\n" + tile, "cfg.yaml"),
                              "cfg.yaml", 4, "energy.read_pulse_ns", "2", "prices a ReRAM cell read"));
  EXPECT_TRUE(is_config_error(parse_error("energy:\n  lines: all\n" + tile, "cfg.yaml"), "cfg.yaml", 2, "energy.lines",
                              "all", "must be one of: used, physical"));
  EXPECT_EQ(parse_config("energy:\n  lines: physical\n" + tile, "cfg.yaml").energy.lines, LineSpan::physical);
}

TEST(CellGroups, RunFileKeepsTheGroupAndOrderSoReadsRePrice) {
  // With cycles inside row groups the file says so, and the reads re-price
  // once per sample (4 per MVM, not 8).
  for (const Config& c : {digital_pair(2), ordered_pair(GroupOrder::cycles_inside)}) {
    const JobResult r = run_cpu(c);
    const EnergyTables t = make_energy_tables(c, r);
    const RunFile f = run_file_round_trip(c, r, "cell_group");
    EXPECT_EQ(f.result.view.cell_group, 2);
    EXPECT_EQ(f.result.view.cycles_inside, c.macro.group_order == GroupOrder::cycles_inside);
    EXPECT_DOUBLE_EQ(make_energy_tables(c, f.result).cell_reads_per_mvm, t.cell_reads_per_mvm);
    EXPECT_EQ(price(f.result, make_energy_tables(c, f.result)).total_pj.mean, price(r, t).total_pj.mean);
  }
}

// macro.group_order (kernels/digital_model.hpp): the order of a sample's
// (input cycle, row group) evaluations.

TEST(CellGroups, CyclesInsideGroupsToggleAndReadByHand) {
  // Each tree input's shared line and multiplier see, per sample,
  //   groups inside: (c0,g0) (c0,g1) (c1,g0) (c1,g1) = 1 1 0 0: 2 toggles,
  //   cycles inside: (g0,c0) (g0,c1) (g1,c0) (g1,c1) = 1 0 1 0: 4 toggles,
  // so 2 inputs x 2 samples give 8 and 16; stage 1 (2 leaves, value 2 or 0)
  // changes one bit per change: 4 and 8. The accumulator steps 2, 4, 4, 4
  // (groups inside) or 2, 2, 4, 4 (cycles inside) from 0 then from 4: 1 + 2
  // + 2 + 2 bit flips either way, and the output register holds 4 twice.
  const JobResult a = run_cpu(ordered_pair(GroupOrder::groups_inside));
  const JobResult b = run_cpu(ordered_pair(GroupOrder::cycles_inside));
  EXPECT_FALSE(a.view.cycles_inside);
  EXPECT_TRUE(b.view.cycles_inside);
  EXPECT_EQ(a.toggles(), (std::vector<std::uint64_t>{8, 8, 4, 7, 1}));
  EXPECT_EQ(b.toggles(), (std::vector<std::uint64_t>{16, 16, 8, 7, 1}));
  // The same evaluations in another order: same column values, same outputs.
  EXPECT_EQ(a.total(Hist::col), b.total(Hist::col));
  EXPECT_EQ(b.totals().sum_err2, 0.0);
  // Cell reads per MVM: one per tree input, row group and column per cycle
  // (2 x 4 x 1), or once per sample with cycles inside (4 x 1).
  const EnergyTables ta = make_energy_tables(ordered_pair(GroupOrder::groups_inside), a);
  const EnergyTables tb = make_energy_tables(ordered_pair(GroupOrder::cycles_inside), b);
  EXPECT_DOUBLE_EQ(ta.cell_reads_per_mvm, 8.0);
  EXPECT_DOUBLE_EQ(tb.cell_reads_per_mvm, 4.0);
  EXPECT_NEAR(tb.cell_per_mvm, 4 * 2 * kWirePj, 1e-15);
}

TEST(CellGroups, CyclesInsideGroupsMultiplierTogglesOfFairBitsMatchTheClosedForm) {
  // 64 tree inputs, 2 row groups (cell_group 2), fair 1-bit weights, 8-bit
  // inputs uniform on 0..255 (fair independent bits), 16 samples per array
  // instance. A multiplier output is x AND w, 1 with p = 1/4; from the
  // programmed 0 it rises with p 1/4; between independent operands it
  // changes with 2 (1/4)(3/4) = 3/8; between two cycles of one cell (same w)
  // with P(w) P(x_c != x_c') = 1/4. Per instance and tree input:
  //   groups inside: 1/4 + (S G C - 1) 3/8
  //   cycles inside: 1/4 + S G (C - 1) / 4 + (S G - 1) 3/8.
  // The input lines carry fair bits in either order: 1/2 per evaluation.
  // Tolerance: 4 sigma, mostly from the weights, which are drawn once per
  // instance: the N = instances R G cells with w = 1 (Binomial(N, 1/2)) each
  // add S (C - 1) / 2 toggles inside their group; the rest is at most
  // Poisson-like.
  const int S = 16, G = 2, C = 8, R = 64, samples = 4096;
  const double instances = samples / S, cells = instances * R * G;
  for (const GroupOrder order : {GroupOrder::groups_inside, GroupOrder::cycles_inside}) {
    Config c = digital_by_hand(R * G, uniform_operand(8, false, -0.5, 255.5, 255.0), bernoulli_operand(0.5));
    c.macro.cell_group = G;
    c.macro.rows_active = R;
    c.macro.group_order = order;
    c.run.samples = samples;
    c.run.inputs_per_instance = S;
    const JobResult r = run_cpu(c);
    const std::vector<std::uint64_t> t = r.toggles();
    const double per_input = order == GroupOrder::groups_inside
                                 ? 0.25 + (S * G * C - 1) * 0.375
                                 : 0.25 + S * G * (C - 1) * 0.25 + (S * G - 1) * 0.375;
    const double mult = instances * R * per_input;
    const double sigma = S * (C - 1) / 2.0 * std::sqrt(cells / 4) + std::sqrt(mult);
    EXPECT_NEAR(static_cast<double>(t[1]), mult, 4 * sigma) << to_string(order);
    const double lines = instances * R * S * G * C * 0.5;
    EXPECT_NEAR(static_cast<double>(t[0]), lines, 4 * std::sqrt(lines)) << to_string(order);
    EXPECT_EQ(r.totals().sum_err2, 0.0);
    EXPECT_EQ(run_cpu(c, 1).hist, run_cpu(c, 2).hist) << to_string(order);  // any thread count
  }
}

TEST(CellGroups, GroupOrderConfigRules) {
  const std::string tile = kValidWorkload;
  EXPECT_EQ(parse_config("macro:\n  kind: digital\n  rows: 128\n  cell_group: 4\n  group_order: cycles_inside\n" + tile,
                         "cfg.yaml")
                .macro.group_order,
            GroupOrder::cycles_inside);
  EXPECT_TRUE(is_config_error(parse_error("macro:\n  kind: digital\n  group_order: inside\n" + tile, "cfg.yaml"),
                              "cfg.yaml", 3, "macro.group_order", "inside",
                              "must be one of: groups_inside, cycles_inside"));
  EXPECT_TRUE(is_config_error(parse_error("macro:\n  group_order: cycles_inside\n" + tile, "cfg.yaml"), "cfg.yaml", 2,
                              "macro.group_order", "cycles_inside", "is a digital setting"));
}

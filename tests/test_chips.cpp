// Seven published SRAM CiM macros (configs/chips/*.yaml) against their
// published energy efficiency. Published TOPS/W: the chips' papers as
// tabulated in issue 13 and in ZigZag-IMC's validation scripts (KU Leuven
// zigzag-imc, imc_model_validation: aimc_validation/22-28nm,
// dimc_validation/28nm); ops are counted as the papers do, 1 MAC = 2 ops, so
// energy per MAC = 2 / (TOPS/W) pJ.
//
// The goal is every chip within 25% of its published energy per MAC
// and the median within 10%. One set of technology constants serves all
// seven (ZigZag-IMC's 28 nm gates, scaled by node and supply); nothing is
// tuned per chip. Chips that miss are listed below with the measured
// mechanism: for each, one component's sampled energy alone (AIMC2: two
// components together) exceeds the whole published energy per MVM, so the
// miss is in those components' architecture or constants, not in the data
// (checked, and their share printed). For the
// digital chips the adder tree's data-dependent toggles are also compared with
// a fixed 50% toggle rate on every adder output bit (ZigZag-IMC's kind of
// assumption): data dependence moves the tree energy, but not by the factor
// missing. A known miss that starts to pass fails the test, so the list stays
// true.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "physical/area_clock.hpp"
#include "pricing/pricing.hpp"
#include "test_util.hpp"

using namespace cimmc;
using namespace cimmc::test;

namespace {

struct Chip {
  const char* name;
  double published_topsw;
  Component culprit;  // known miss: the component whose energy alone exceeds the published total
  bool known_miss;
  Component with = Component::count;  // a second component the culprit needs to exceed it (count: none)
};

// Issue 13's table (the papers' values, ZigZag-IMC's validation scripts agree).
const Chip kChips[] = {
    {"aimc1", 1050.0, Component::adc, false},  // CICC 2021, 22 nm, 0.8 V
    // JSSC 2023, 28 nm: with its weight bits charge-combined before one ADC
    // per weight (slice_combine: charge) no component alone exceeds the
    // published total; the ADCs and the bitline charge together do.
    {"aimc2", 15.02, Component::adc, true, Component::column},
    {"aimc3", 18.7, Component::adc, true},     // ISSCC 2023 7.8, 22 nm: 3-bit ADC at ZigZag-IMC's 100 fF/bit
    {"dimc1", 36.63, Component::column, true}, // ISSCC 2022 15.5: adder tree
    {"dimc2", 22.0, Component::column, true},  // ISSCC 2022 11.7: adder tree (cell reads once per sample)
    {"dimc3", 19.5, Component::column, true},  // ISSCC 2023 7.2: adder tree
    {"dimc4", 275.0, Component::column, true}, // ISSCC 2023 16.3: adder tree
};

// Adder output bits of an R-input tree of L-bit leaves (kernels/digital_model.hpp,
// digital_weight_tree.hpp: stage s nodes whose right child holds a row are
// adders with L + s output bits).
double tree_output_bits(int R, int L) {
  double bits = 0;
  for (int s = 1; (1 << (s - 1)) < R; ++s)
    for (long long i = 0; (i << s) < R; ++i)
      if ((i << s) + (1ll << (s - 1)) < R) bits += L + s;
  return bits;
}

}  // namespace

TEST(Chips, SevenPublishedMacrosEnergyPerMac) {
  std::vector<double> errors;
  std::printf("chip    published  cimmc TOPS/W  E_cimmc/E_pub  culprit share  culprit/E_pub\n");
  for (const Chip& chip : kChips) {
    const Config c = load_config(std::string(CIMMC_SOURCE_DIR) + "/configs/chips/" + chip.name + ".yaml");
    const JobResult r = run_cpu(c, 2);
    const EnergyTables t = make_energy_tables(c, r);
    const Report rep = price(r, t);
    const double e_pub = 2.0 * rep.macs_per_mvm / chip.published_topsw;  // pJ per MVM
    const double ratio = rep.total_pj.mean / e_pub;
    const double culprit = rep.component_pj[static_cast<int>(chip.culprit)].mean +
                           (chip.with == Component::count ? 0.0 : rep.component_pj[static_cast<int>(chip.with)].mean);
    errors.push_back(std::fabs(ratio - 1));
    std::printf("%-6s %10.2f %13.2f %14.3f %13.1f%% %14.2f\n", chip.name, chip.published_topsw, rep.tops_per_w, ratio,
                100 * culprit / rep.total_pj.mean, culprit / e_pub);
    if (!chip.known_miss) {
      EXPECT_LE(std::fabs(ratio - 1), 0.25) << chip.name << ": energy per MAC " << ratio << " x published";
      continue;
    }
    EXPECT_GT(std::fabs(ratio - 1), 0.25) << chip.name << " now meets the goal: take it off the known misses";
    EXPECT_GT(culprit, e_pub) << chip.name << ": the named component no longer explains the miss";
    if (c.macro.kind == MacroKind::digital) {
      // Tree toggles sampled vs every adder output bit toggling half the time.
      const JobView& v = r.view;
      // A tree per input bit of a cycle (one with cycle leaves), per column
      // (per weight with per-weight trees).
      const double trees = v.tree_per_weight ? v.N : v.P, sets = v.tree_cycle_leaves || v.tree_booth ? 1 : v.dac_bits;
      const double evals = static_cast<double>(v.cycles) * v.G * trees * sets;
      const double fixed = 0.5 * tree_output_bits(v.R, v.leaf_bits) * evals * t.toggle[kTogStage1];
      const double tree = rep.component_pj[static_cast<int>(Component::column)].mean;
      std::printf("       adder tree: sampled %.1f pJ/MVM, fixed 50%% rate %.1f pJ/MVM, published total %.1f\n", tree,
                  fixed, e_pub);
      EXPECT_GT(fixed, 0.0);
    }
  }
  std::vector<double> sorted = errors;
  std::sort(sorted.begin(), sorted.end());
  const double median = sorted[sorted.size() / 2];
  std::printf("median |E_cimmc/E_pub - 1| = %.3f (goal 0.10: not met; see README \"Seven published chips\")\n", median);
  EXPECT_GT(median, 0.10) << "the median goal is met: update the test and README";
}

namespace {

// Published core area and clock as ZigZag-IMC's validation scripts record them
// from the papers (KULeuven-MICAS/zigzag, zigzag/inputs/validation/hardware/
// sram_imc: aimc_validation/22-28nm/aimc_validation.py `area`, `tclk`;
// dimc_validation/28nm/dimc_validation.py and dimc_validation4.py): the area
// of `banks` macros (what ZigZag-IMC compares its banks x macro estimate
// with), the clock from tclk. AIMC1 and AIMC3 at 22 nm as published.
struct ChipSize {
  const char* name;
  int macros;            // ZigZag-IMC's `banks`
  double published_mm2, published_mhz;
  bool area_within, clock_within;  // within the 30% (README lists the mechanism of each miss)
};
const ChipSize kSizes[] = {
    {"aimc1", 1, 1.9425, 22.5, true, true},         // tclk 1000/22.5 ns
    {"aimc2", 4, 0.468, 1000 / 7.2, true, false},   // tclk 7.2 ns (4 banks in ZigZag-IMC's area record)
    {"aimc3", 8, 1.88, 364.0, false, false},        // tclk 1000/364 ns
    {"dimc1", 64, 0.9408, 195.0, true, false},      // tclk 1/195 us
    {"dimc2", 2, 0.03, 1000 / 3.0, false, true},    // tclk 3 ns
    {"dimc3", 8, 0.1462, 182.0, false, false},       // tclk 1000/182 ns
    {"dimc4", 4, 0.269, 400.0, false, true},        // tclk 1000/400 ns
};

}  // namespace

// Modelled area (macro x banks) and clock against the published ones. The
// model's own numbers are checked by hand in AreaClock.*; here one chip's
// clock is added up by hand (AIMC1: a 6-bit conversion over 1024 rows and the
// per-cell multiply gate at 22 nm, one cycle so no accumulator), and the
// within-30% lists are held true both ways, like the energy test's.
TEST(Chips, SevenPublishedMacrosAreaAndClock) {
  std::printf("chip   macros  cimmc mm2  published  ratio   cimmc MHz  published  ratio\n");
  for (const ChipSize& chip : kSizes) {
    const Config c = load_config(std::string(CIMMC_SOURCE_DIR) + "/configs/chips/" + chip.name + ".yaml");
    const AreaClock a = area_clock(macro_geometry(c));
    const double mm2 = chip.macros * a.area_mm2, mhz = 1e3 / a.clock_ns;
    const double ra = mm2 / chip.published_mm2, rc = mhz / chip.published_mhz;
    std::printf("%-6s %6d %10.4f %10.4f %6.3f %11.1f %10.1f %6.3f\n", chip.name, chip.macros, mm2, chip.published_mm2, ra,
                mhz, chip.published_mhz, rc);
    EXPECT_EQ(std::fabs(ra - 1) <= 0.30, chip.area_within) << chip.name << ": area " << ra << " x published";
    EXPECT_EQ(std::fabs(rc - 1) <= 0.30, chip.clock_within) << chip.name << ": clock " << rc << " x published";
    if (std::string(chip.name) == "aimc1") {
      EXPECT_NEAR(a.clock_ns, 6 * (0.00653 * 1024 + 0.640) + 0.0478 * 22 / 28, 1e-9);
    }
  }
}

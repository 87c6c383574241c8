// Studies on a configured hierarchy (issue 12 item 5): `cimmc run` maps each
// layer with the loop-nest search, samples the kept nests' tile jobs, and
// prices rows as macro (sampled) + level and link energies (the nest's).
// Expectations are recomputed here from their definitions: loopnest::cost on
// analyze() of the row's nest, the tile job sampled on its own, and the sum
// of the row's own columns.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "arch/hierarchy.hpp"
#include "config/config.hpp"
#include "config/sweep.hpp"
#include "engine/engine.hpp"
#include "loopnest/analysis.hpp"
#include "loopnest/cost.hpp"
#include "study/plan.hpp"
#include "study/rollup.hpp"
#include "study/runner.hpp"
#include "study/tile_jobs.hpp"
#include "study_test_util.hpp"
#include "table_test_util.hpp"

using namespace cimmc;
namespace ln = cimmc::loopnest;

namespace {

// The two layers of test::tiny_network under DRAM, a global buffer (capacity binding, 2 x 2 mesh
// to 4 macros) and the macro level.
std::string tiny_hier(const std::string& extra = "") {
  std::string y = test::tiny_network("run: {samples: 256, seed: 3, inputs_per_instance: 16}");
  const std::string flat = "architecture: {macros: 8}\n";
  y.replace(y.find(flat), flat.size(), R"(architecture:
  hierarchy:
    dram: {read_pj_per_bit: 10, write_pj_per_bit: 12, bandwidth_bits_per_cycle: 64}
    glb:
      holds: [inputs, outputs]
      capacity_bits: 16384
      read_pj_per_bit: 0.5
      write_pj_per_bit: 0.6
      fanout: 4
      interconnect: {topology: mesh, mesh_x: 2, mesh_y: 2, hop_pj_per_bit: 0.3}
    macro: {kind: macro, write_pj_per_bit: 0.02}
)");
  return y + extra;
}

const std::vector<double>& col(const Table& t, const std::string& n) {
  const Column* c = t.find(n);
  EXPECT_NE(c, nullptr) << n;
  return std::get<std::vector<double>>(c->data);
}
const std::vector<std::int64_t>& icol(const Table& t, const std::string& n) {
  return std::get<std::vector<std::int64_t>>(t.find(n)->data);
}

StudyFile run_mem(const Sweep& s, int threads = 0, Model model = Model::sampled) {
  StudyOptions o;
  o.engine.backend = Backend::cpu;
  o.engine.threads = threads;
  o.model = model;
  StudyStats st;
  return run_study(s, o, st);
}

const std::vector<std::string> kLevels = {"dram", "glb", "macro"};

double macro_pj(const Table& t, std::size_t r) {
  double s = 0;
  for (const char* c : kComponentNames) s += col(t, std::string(c) + "_pj")[r];
  return s;
}

}  // namespace

// total_pj = macro components + every level and link column, on layer and
// network rows; the network sums its layers' level columns; no flat memory
// columns appear.
TEST(HierRun, TotalIsMacroPlusLevelsAndLinks) {
  const StudyFile f = run_mem(parse_sweep(tiny_hier(), "tinyh.yaml"));
  ASSERT_EQ(f.layers.rows(), 2u);
  ASSERT_EQ(f.network.rows(), 1u);
  EXPECT_EQ(f.layers.find("dram_pj"), nullptr);
  EXPECT_EQ(f.layers.find("loop_order"), nullptr);
  for (const Table* t : {&f.layers, &f.network})
    for (std::size_t r = 0; r < t->rows(); ++r) {
      double want = macro_pj(*t, r), storage = 0;
      for (const std::string& l : kLevels) storage += col(*t, "level." + l + "_pj")[r] + col(*t, "link." + l + "_pj")[r];
      want += storage;
      EXPECT_GT(storage, 0);
      EXPECT_NEAR(col(*t, "total_pj")[r], want, 1e-9 * want) << r;
    }
  for (const std::string& l : kLevels)
    for (const char* suffix : {"_pj", "_reads", "_writes"}) {
      const std::string n = "level." + l + suffix;
      EXPECT_NEAR(col(f.network, n)[0], col(f.layers, n)[0] + col(f.layers, n)[1], 1e-9 * col(f.network, n)[0]) << n;
    }
  EXPECT_GT(col(f.layers, "link.glb_pj")[0] + col(f.layers, "link.glb_pj")[1], 0);  // the mesh carries something
  // The factor columns multiply to the layer's loop bounds (conv: C 8, R 3, M 12).
  for (auto [dim, size] : {std::pair{"C", 8}, {"R", 3}, {"M", 12}, {"P", 4}}) {
    std::int64_t prod = 1;
    for (const std::string& l : kLevels)
      prod *= icol(f.layers, "level." + l + "_t_" + dim)[0] * icol(f.layers, "level." + l + "_s_" + dim)[0];
    EXPECT_EQ(prod, size) << dim;
  }
  EXPECT_FALSE(std::get<std::vector<std::string>>(f.layers.find("nest")->data)[0].empty());
}

// Each row's level and link energies are loopnest::cost of analyze() of its
// nest, on the hierarchy rebuilt from the config; its access counts are
// analyze()'s reads + drains and fills + updates.
TEST(HierRun, LevelEnergiesAreTheNestsCost) {
  const Sweep s = parse_sweep(tiny_hier(), "tinyh.yaml");
  const StudyFile f = run_mem(s, 0, Model::statistical);
  const Config& c = s.points[0].config;
  const std::vector<const Config*> pts{&c};
  const StudyPlan plan = make_plan(pts, 0, 1);
  for (std::size_t l = 0; l < c.network.layers.size(); ++l) {
    const LayerSpec& layer = c.network.layers[l];
    const LayerPlan& lp = plan.points[0].layers[l];
    ASSERT_TRUE(lp.hier);
    const ln::LoopNest& nest = lp.hier->nests.at(std::size_t(icol(f.layers, "mapping")[l])).nest;
    const ln::ConvShape shape = hiermap::conv_shape(layer);
    const hier::OperandBits ob = hier::layer_operand_bits(layer.inputs, layer.weights, shape.C * shape.R * shape.S);
    const ln::Hierarchy h = hier::to_hierarchy(c.arch.hierarchy, c.macro, layer.weights, ob, c.arch.clock_ghz);
    const ln::NestCounts counts = ln::analyze(h, shape, nest);
    ln::CostParams p;
    p.bits = {double(ob[0]), double(ob[1]), double(ob[2]), double(layer.inputs.bits)};
    const ln::NestCost cost = ln::cost(h, shape, nest, counts, p);
    for (int i = 0; i < h.size(); ++i) {
      double lv = 0, lk = 0, rd = 0, wr = 0;
      for (int op = 0; op < ln::kOperands; ++op) {
        lv += cost.level_pj[std::size_t(i)][std::size_t(op)];
        lk += cost.link_pj[std::size_t(i)][std::size_t(op)];
        const ln::AccessCounts& a = counts.at(i, ln::Operand(op));
        rd += double(a.reads + a.drains);
        wr += double(a.fills + a.updates);
      }
      const std::string n = h.levels[std::size_t(i)].name;
      EXPECT_NEAR(col(f.layers, "level." + n + "_pj")[l], lv, 1e-9 * lv) << layer.name << " " << n;
      EXPECT_NEAR(col(f.layers, "link." + n + "_pj")[l], lk, 1e-9 * lk) << layer.name << " " << n;
      EXPECT_EQ(col(f.layers, "level." + n + "_reads")[l], rd) << layer.name << " " << n;
      EXPECT_EQ(col(f.layers, "level." + n + "_writes")[l], wr) << layer.name << " " << n;
    }
    EXPECT_EQ(col(f.layers, "macro_activations")[l], double(counts.job.runs));
    EXPECT_EQ(counts.job.runs * icol(f.layers, "rows_used")[l] * icol(f.layers, "cols_used")[l], shape.macs());
  }
}

// The macro energy of a row is runs x the energy per MVM of its tile job,
// sampled here on its own (same key, same seed: the same draws).
static void expect_macro_is_runs_times_sampled_job(const std::string& yaml) {
  const Sweep s = parse_sweep(yaml, "tinyh.yaml");
  const StudyFile f = run_mem(s);
  const Config& c = s.points[0].config;
  for (std::size_t l = 0; l < c.network.layers.size(); ++l) {
    const LayerSpec& layer = c.network.layers[l];
    const Config tc = tile_config(c, &layer, int(icol(f.layers, "rows_used")[l]), int(icol(f.layers, "cols_used")[l]));
    EngineOptions eo;
    eo.backend = Backend::cpu;
    const std::vector<JobResult> r = run_jobs({&tc}, {job_id_of(job_key(tc))}, eo);
    const double per_mvm = sampled_job_cost(c, &layer, r.at(0)).rep.total_pj.mean;
    const double want = col(f.layers, "macro_activations")[l] * per_mvm;
    EXPECT_GT(want, 0);
    EXPECT_NEAR(macro_pj(f.layers, l), want, 1e-9 * want) << layer.name;
  }
}

TEST(HierRun, MacroEnergyIsRunsTimesTheSampledJob) { expect_macro_is_runs_times_sampled_job(tiny_hier()); }

// SRAM cells: the column's bitline energy follows the column value, which the
// energy-only statistical model does not predict, so the mapper ranks tile
// shapes with the full one (it threw before: an internal error).
TEST(HierRun, SramCellsAreMappedAndPriced) {
  std::string y = tiny_hier();
  const std::string cell = "bits_per_cell: 2, weight_encoding: differential";
  y.replace(y.find(cell), cell.size(), "cell: sram, g_off_us: 0.0, bits_per_cell: 1, weight_encoding: twos_complement");
  expect_macro_is_runs_times_sampled_job(y);
  const StudyFile f = run_mem(parse_sweep(y, "tinyh.yaml"));
  for (std::size_t l = 0; l < f.layers.rows(); ++l) {
    EXPECT_EQ(col(f.layers, "cell_pj")[l], 0.0);  // an SRAM cell's read is its bitline's charge
    EXPECT_GT(col(f.layers, "column_pj")[l], 0.0);
  }
}

// A sweep over a level's capacity gives one row per point and layer; the
// capacity column is the swept key, and the binding 1 Kib buffer costs DRAM
// traffic that the 1 Mib one avoids.
TEST(HierRun, SweepOverACapacity) {
  const Sweep s = parse_sweep(
      tiny_hier("sweep:\n  cartesian:\n    architecture.hierarchy.glb.capacity_bits: [1024, 1048576]\n"), "tinyh.yaml");
  ASSERT_EQ(s.points.size(), 2u);
  const StudyFile f = run_mem(s, 0, Model::statistical);
  ASSERT_EQ(f.network.rows(), 2u);
  ASSERT_EQ(f.layers.rows(), 4u);
  const auto& cap = icol(f.network, "architecture.hierarchy.glb.capacity_bits");
  EXPECT_EQ(cap[0], 1024);
  EXPECT_EQ(cap[1], 1048576);
  EXPECT_GT(col(f.network, "level.dram_reads")[0], col(f.network, "level.dram_reads")[1]);
}

// keep: all keeps up to kHierKeepAll nests per layer, best (by the sampled
// totals) first, each with its own nest.
TEST(HierRun, KeepAllKeepsBoundedRankedNests) {
  const StudyFile f = run_mem(parse_sweep(tiny_hier("mapping: {keep: all}\n"), "tinyh.yaml"), 0, Model::statistical);
  const auto& layer = icol(f.layers, "layer");
  const auto& sel = icol(f.layers, "selected");
  const auto& total = col(f.layers, "total_pj");
  std::size_t per_layer[2] = {0, 0};
  for (std::size_t r = 0; r < f.layers.rows(); ++r) {
    ++per_layer[layer[r]];
    EXPECT_EQ(sel[r], r == 0 || layer[r] != layer[r - 1]);
    if (r > 0 && layer[r] == layer[r - 1]) {
      EXPECT_LE(total[r - 1], total[r]);
    }
  }
  for (std::size_t n : per_layer) {
    EXPECT_GT(n, 1u);
    EXPECT_LE(n, std::size_t(kHierKeepAll));
  }
}

TEST(HierRun, SameTablesForOneAndTwoThreads) {
  const Sweep s = parse_sweep(tiny_hier(), "tinyh.yaml");
  const StudyFile a = run_mem(s, 1), b = run_mem(s, 2);
  test::expect_same_table(a.layers, b.layers, "layers");
  test::expect_same_table(a.network, b.network, "network");
  test::expect_same_table(a.jobs, b.jobs, "jobs");
}

// Points that disagree on the hierarchy's levels are refused: their columns
// would not line up.
TEST(HierRun, RefusesPointsWithDifferentLevels) {
  const Config a = parse_config(tiny_hier(), "a.yaml");
  std::string other = tiny_hier();
  other.replace(other.find("glb:"), 4, "gb2:");
  const Config b = parse_config(other, "b.yaml");
  const std::vector<const Config*> pts{&a, &b};
  try {
    make_plan(pts, 0, 2);
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("same hierarchy levels"), std::string::npos) << e.what();
  }
}

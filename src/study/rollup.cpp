#include "study/rollup.hpp"

#include <array>
#include <cmath>
#include <limits>
#include <map>
#include <utility>
#include <vector>

#include "study/tile_jobs.hpp"

namespace cimmc {

double Costs::err_rms() const { return std::sqrt(mse); }
double Costs::sqnr_db() const {
  if (std::isnan(mse)) return mse;  // not predicted (energy-only statistical model)
  return mse > 0 ? 10.0 * std::log10(signal / mse) : std::numeric_limits<double>::infinity();
}
double Costs::clip_rate() const { return conversions > 0 ? clipped / conversions : 0.0; }
double Costs::tops_per_mm2() const { return area_mm2 > 0 ? tops / area_mm2 : 0.0; }

JobCost sampled_job_cost(const Config& point, const LayerSpec* layer, const JobResult& r) {
  const Config tc = tile_config(point, layer, r.view.K, r.view.N);
  JobCost jc;
  jc.rep = price(r, make_energy_tables(tc, r));
  const GroupMoments t = r.totals();
  if (t.outputs > 0) {
    jc.mse = t.sum_err2 / t.outputs;
    jc.power = t.sum_ref2 / t.outputs;
    jc.err_mean = t.sum_err / t.outputs;
  }
  jc.clip_rate = jc.rep.accuracy.clip_rate;
  return jc;
}

namespace {

void finish(Costs& c) {
  c.tops = c.latency_ns > 0 ? 2.0 * c.macs / c.latency_ns / 1e3 : 0.0;
  c.tops_per_w = c.total_pj.mean > 0 ? 2.0 * c.macs / c.total_pj.mean : 0.0;
  c.pj_per_mac = c.macs > 0 ? c.total_pj.mean / c.macs : 0.0;
}

// Macros a point provisions: architecture.macros, or with chiplets every
// macro of every provisioned tile.
double provisioned_macros(const Config& c, const Costs& k) {
  return k.chip.present ? static_cast<double>(k.chip.tiles) * c.arch.chiplets.macros_per_tile : c.arch.macros;
}

// MVMs per inference served by each tile job. A job may serve several tile
// uses and layers (dedupe): its sampling error is the same in each, so its
// MVMs add first, and only then do the independent jobs' variances add.
using JobMvms = std::vector<std::pair<std::size_t, double>>;

void add_mvms(JobMvms& uses, std::size_t job, double mvms) {
  for (auto& [j, n] : uses)
    if (j == job) {
      n += mvms;
      return;
    }
  uses.emplace_back(job, mvms);
}

void set_se(Estimate& e, double var) {
  e.se = std::sqrt(var);
  e.ci_lo = e.mean - 1.96 * e.se;
  e.ci_hi = e.mean + 1.96 * e.se;
}

// Standard errors of the macro components and of the total (memory energies
// have none); CI by 1.96 sigma (each job's own CI already used its batch
// degrees of freedom).
void set_errors(Costs& c, const JobMvms& uses, const std::map<std::size_t, JobCost>& priced) {
  std::array<double, kComponents> var{};
  double var_total = 0;
  for (const auto& [j, n] : uses) {
    const Report& r = priced.at(j).rep;
    for (int ci = 0; ci < kComponents; ++ci) var[ci] += (n * r.component_pj[ci].se) * (n * r.component_pj[ci].se);
    var_total += (n * r.total_pj.se) * (n * r.total_pj.se);
  }
  for (int ci = 0; ci < kComponents; ++ci) set_se(c.macro_pj[ci], var[ci]);
  set_se(c.total_pj, var_total);
}

}  // namespace

RollUp roll_up(const StudyPlan& plan, const std::vector<const Config*>& points, const JobPricer& price_job) {
  RollUp out;
  for (const PointPlan& pp : plan.points) {
    const Config& c = *points[pp.point];
    NetworkRow net;
    net.point = pp.point;
    net.macro = area_clock(macro_geometry(c));
    net.sqnr_db_min = std::numeric_limits<double>::infinity();
    std::map<std::size_t, JobCost> priced;  // job index -> cost at this point
    JobMvms net_uses;
    double net_outputs = 0;
    for (const LayerPlan& lp : pp.layers) {
      const LayerSpec* layer = is_single_tile(c) ? nullptr : &c.network.layers[lp.layer];
      std::vector<Costs> costs;
      std::vector<JobMvms> uses;
      std::vector<MappingCost> objective;
      for (std::size_t mi = 0; mi < lp.space.feasible.size(); ++mi) {
        const Mapping& m = lp.space.feasible[mi];
        Costs k;
        JobMvms u;
        const double rep = lp.repeat;
        for (std::size_t t = 0; t < m.tiles.size(); ++t) {
          const std::size_t j = lp.jobs[mi][t];
          auto it = priced.find(j);
          if (it == priced.end()) it = priced.emplace(j, price_job(j, c, layer)).first;
          const JobCost& jc = it->second;
          const double mvms = static_cast<double>(m.tiles[t].mvms) * rep;
          for (int ci = 0; ci < kComponents; ++ci) k.macro_pj[ci].mean += mvms * jc.rep.component_pj[ci].mean;
          k.total_pj.mean += mvms * jc.rep.total_pj.mean;
          add_mvms(u, j, mvms);
          // Each of the tile's cols_used outputs per MVM carries this job's error.
          const double outputs = static_cast<double>(m.tiles[t].tiles) * m.tiles[t].cols_used;
          k.mse += outputs * jc.mse;
          k.signal += outputs * jc.power;
          k.err_mean += outputs * jc.err_mean;
          const double conv = mvms * jc.rep.events_per_mvm[static_cast<int>(Component::adc)];
          k.conversions += conv;
          k.clipped += conv * jc.clip_rate;
        }
        const double outputs_per_vector = static_cast<double>(lp.gemm.N) * lp.gemm.groups;
        k.mse /= outputs_per_vector;
        k.signal /= outputs_per_vector;
        k.err_mean /= outputs_per_vector;
        const double bits[kMemories] = {m.input_buffer_bits, m.output_buffer_bits, m.global_buffer_bits, m.dram_bits};
        const double pj_bit[kMemories] = {c.arch.input_buffer.energy_pj_per_bit, c.arch.output_buffer.energy_pj_per_bit,
                                          c.arch.global_buffer.energy_pj_per_bit, c.arch.dram_pj_per_bit};
        for (int i = 0; i < kMemories; ++i) {
          k.memory_pj[i] = bits[i] * pj_bit[i] * rep;
          k.total_pj.mean += k.memory_pj[i];
        }
        if (lp.hier) {
          k.hier = nest_costs(*lp.hier, mi, rep);
          k.total_pj.mean += k.hier.storage_pj();
        }
        if (lp.chiplet) {  // all repeats already
          k.chip = chiplet_layer_rollup(*lp.chiplet, lp.layer);
          k.total_pj.mean += k.chip.cost.pj();
        }
        set_errors(k, u, priced);
        k.macs = m.macs * rep;
        k.latency_ns = m.latency_ns * rep;
        k.area_mm2 = provisioned_macros(c, k) * net.macro.area_mm2;
        finish(k);
        objective.push_back(MappingCost{k.total_pj.mean, k.latency_ns});
        costs.push_back(k);
        uses.push_back(std::move(u));
      }
      const std::vector<std::size_t> keep = select(objective, c.mapping.objective, c.mapping.keep_all);
      for (std::size_t rank = 0; rank < keep.size(); ++rank) {
        const std::size_t mi = keep[rank];
        LayerRow row;
        row.point = pp.point;
        row.layer = lp.layer;
        row.layer_name = lp.name;
        row.mapping = static_cast<int>(mi);
        row.selected = rank == 0;
        row.m = &lp.space.feasible[mi];
        row.hier = lp.hier.get();
        row.cost = costs[mi];
        if (rank == 0) {
          Costs& n = net.cost;
          const Costs& k = costs[mi];
          for (int ci = 0; ci < kComponents; ++ci) n.macro_pj[ci].mean += k.macro_pj[ci].mean;
          for (int i = 0; i < kMemories; ++i) n.memory_pj[i] += k.memory_pj[i];
          if (!k.hier.levels.empty()) add_hier_costs(n.hier, k.hier);
          if (k.chip.present) add_chiplet_rollup(n.chip, k.chip);
          n.total_pj.mean += k.total_pj.mean;
          for (const auto& [j, mvms] : uses[mi]) add_mvms(net_uses, j, mvms);
          n.macs += k.macs;
          n.latency_ns += k.latency_ns;  // layers run one after another
          // Pooled over every output of the network: the layer's per-output
          // means weighted by its outputs per inference.
          const double outs = static_cast<double>(lp.gemm.M) * lp.gemm.N * lp.gemm.groups * lp.repeat;
          n.mse += k.mse * outs;
          n.signal += k.signal * outs;
          n.err_mean += k.err_mean * outs;
          net_outputs += outs;
          n.conversions += k.conversions;
          n.clipped += k.clipped;
          const double sq = k.sqnr_db();  // a NaN (not predicted) layer makes the minimum NaN
          net.sqnr_db_min = std::isnan(sq) || std::isnan(net.sqnr_db_min) ? std::numeric_limits<double>::quiet_NaN()
                                                                          : std::min(net.sqnr_db_min, sq);
          net.layers += 1;
        }
        out.layers.push_back(std::move(row));
      }
    }
    if (net_outputs > 0) {
      net.cost.mse /= net_outputs;
      net.cost.signal /= net_outputs;
      net.cost.err_mean /= net_outputs;
    }
    set_errors(net.cost, net_uses, priced);
    net.macros = provisioned_macros(c, net.cost);
    net.cost.area_mm2 = net.macros * net.macro.area_mm2;
    finish(net.cost);
    out.network.push_back(std::move(net));
  }
  return out;
}

}  // namespace cimmc

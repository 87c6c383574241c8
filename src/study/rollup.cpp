#include "study/rollup.hpp"

#include <cmath>
#include <limits>
#include <map>

#include "study/tile_jobs.hpp"

namespace cimmc {

double Costs::err_rms() const { return std::sqrt(mse); }
double Costs::sqnr_db() const {
  if (std::isnan(mse)) return mse;  // not predicted (energy-only statistical model)
  return mse > 0 ? 10.0 * std::log10(signal / mse) : std::numeric_limits<double>::infinity();
}
double Costs::clip_rate() const { return conversions > 0 ? clipped / conversions : 0.0; }

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

// Sum of independent estimates: means add, variances add; CI by 1.96 sigma
// (each term's own CI already used its batch degrees of freedom).
void add(Estimate& acc, double mean, double se) {
  const double var = acc.se * acc.se + se * se;
  acc.mean += mean;
  acc.se = std::sqrt(var);
  acc.ci_lo = acc.mean - 1.96 * acc.se;
  acc.ci_hi = acc.mean + 1.96 * acc.se;
}

}  // namespace

RollUp roll_up(const StudyPlan& plan, const std::vector<const Config*>& points, const JobPricer& price_job) {
  RollUp out;
  for (const PointPlan& pp : plan.points) {
    const Config& c = *points[pp.point];
    NetworkRow net;
    net.point = pp.point;
    net.sqnr_db_min = std::numeric_limits<double>::infinity();
    std::map<std::size_t, JobCost> priced;  // job index -> cost at this point
    for (const LayerPlan& lp : pp.layers) {
      const LayerSpec* layer = is_single_tile(c) ? nullptr : &c.network.layers[lp.layer];
      std::vector<Costs> costs;
      std::vector<MappingCost> objective;
      for (std::size_t mi = 0; mi < lp.space.feasible.size(); ++mi) {
        const Mapping& m = lp.space.feasible[mi];
        Costs k;
        const double rep = lp.repeat;
        for (std::size_t t = 0; t < m.tiles.size(); ++t) {
          const std::size_t j = lp.jobs[mi][t];
          auto it = priced.find(j);
          if (it == priced.end()) it = priced.emplace(j, price_job(j, c, layer)).first;
          const JobCost& jc = it->second;
          const double mvms = static_cast<double>(m.tiles[t].mvms) * rep;
          for (int ci = 0; ci < kComponents; ++ci)
            add(k.macro_pj[ci], mvms * jc.rep.component_pj[ci].mean, mvms * jc.rep.component_pj[ci].se);
          add(k.total_pj, mvms * jc.rep.total_pj.mean, mvms * jc.rep.total_pj.se);
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
          add(k.total_pj, k.memory_pj[i], 0.0);
        }
        k.macs = m.macs * rep;
        k.latency_ns = m.latency_ns * rep;
        finish(k);
        objective.push_back(MappingCost{k.total_pj.mean, k.latency_ns});
        costs.push_back(k);
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
        row.cost = costs[mi];
        if (rank == 0) {
          Costs& n = net.cost;
          const Costs& k = costs[mi];
          for (int ci = 0; ci < kComponents; ++ci) add(n.macro_pj[ci], k.macro_pj[ci].mean, k.macro_pj[ci].se);
          for (int i = 0; i < kMemories; ++i) n.memory_pj[i] += k.memory_pj[i];
          add(n.total_pj, k.total_pj.mean, k.total_pj.se);
          n.macs += k.macs;
          n.latency_ns += k.latency_ns;  // layers run one after another
          n.mse += k.mse * lp.repeat;
          n.signal += k.signal * lp.repeat;
          n.err_mean += k.err_mean * lp.repeat;
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
    finish(net.cost);
    out.network.push_back(std::move(net));
  }
  return out;
}

}  // namespace cimmc

#include "study/hier_layers.hpp"

#include <algorithm>

#include "arch/timing.hpp"
#include "pricing/pricing.hpp"
#include "study/tile_jobs.hpp"

namespace cimmc {

hiermap::MvmFigures MvmFiguresCache::operator()(const hiermap::TileShape& t) {
  const std::pair key{t.rows_used, t.cols_used};
  if (auto it = cache_.find(key); it != cache_.end()) return it->second;
  // The tile job the study would sample for this shape, through the
  // energy-only statistical model (no accuracy needed to rank mappings), or
  // the full one where a conversion's energy depends on its value (SRAM cells).
  const Config tc = tile_config(point_, &layer_, t.rows_used, t.cols_used);
  const JobId id = job_id_of(job_key(tc));
  const bool energy_only = value_dependent_conversion(tc).empty();
  const JobCost cost = statistical_job_cost(point_, &layer_, stat_.evaluate(tc, id, energy_only));
  const MacroSpec& m = point_.macro;
  const int adc_ppw = adc_cols_per_weight(m, layer_.weights);  // columns converted per weight
  const double ns = mvm_latency_ns(m, rows_summed(m, t.rows_used), row_groups(m, t.rows_used),
                                   input_cycles(m, layer_.inputs), t.cols_used * adc_ppw,
                                   point_.arch.row_settle_ns);
  const hiermap::MvmFigures f{cost.rep.total_pj.mean, ns};
  cache_.emplace(key, f);
  return f;
}

}  // namespace cimmc

// Pricing a mapping from its tile jobs' sampled energies, and choosing among
// mappings by the objective.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "mapping/mapping.hpp"

namespace cimmc {

double mapping_energy_pj(const Mapping& m, const ArchSpec& arch,
                         const std::function<double(int rows_used, int cols_used)>& job_energy_pj_per_mvm) {
  double e = 0;
  for (const TileUse& u : m.tiles) e += static_cast<double>(u.mvms) * job_energy_pj_per_mvm(u.rows_used, u.cols_used);
  e += m.input_buffer_bits * arch.input_buffer.energy_pj_per_bit;
  e += m.output_buffer_bits * arch.output_buffer.energy_pj_per_bit;
  e += m.global_buffer_bits * arch.global_buffer.energy_pj_per_bit;
  e += m.dram_bits * arch.dram_pj_per_bit;
  return e;
}

double objective_value(const MappingCost& c, Objective objective) {
  switch (objective) {
    case Objective::energy: return c.energy_pj;
    case Objective::latency: return c.latency_ns;
    case Objective::edp: return c.energy_pj * c.latency_ns;
  }
  return c.energy_pj;
}

std::vector<std::size_t> select(const std::vector<MappingCost>& costs, Objective objective, bool keep_all) {
  std::vector<std::size_t> idx(costs.size());
  std::iota(idx.begin(), idx.end(), std::size_t{0});
  // A strict weak order even with NaN: NaN ranks after every number.
  auto better = [&](std::size_t a, std::size_t b) {
    const double va = objective_value(costs[a], objective), vb = objective_value(costs[b], objective);
    const bool na = std::isnan(va), nb = std::isnan(vb);
    if (na != nb) return nb;
    return !na && va < vb;
  };
  // stable_sort keeps index order among equals: the tie-break.
  std::stable_sort(idx.begin(), idx.end(), better);
  if (!keep_all && !idx.empty()) return {idx.front()};
  return idx;
}

const char* loop_order_name(LoopOrder order) {
  return order == LoopOrder::input_reuse ? "input_reuse" : "output_reuse";
}

}  // namespace cimmc

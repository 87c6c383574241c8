#include "gpucim/pe_array.hpp"

#include "config/config.hpp"

namespace cimmc::gpucim {

const hier::LevelSpec* pe_array_level(const Config& point) {
  const auto& levels = point.arch.hierarchy.levels;
  if (levels.empty() || levels.back().kind != hier::LevelKind::pe_array) return nullptr;
  return &levels.back();
}

hiermap::MvmFigures op_figures(const hier::LevelSpec& pe, const hiermap::TileShape& t, double clock_ghz) {
  const double macs = double(t.rows_used) * double(t.cols_used);
  return {macs * pe.pj_per_mac, pe.cycles_per_op / clock_ghz};
}

hiermap::MvmFiguresFn op_figures_fn(const Config& point) {
  const hier::LevelSpec* pe = pe_array_level(point);
  if (!pe) return {};
  const double clock = point.arch.clock_ghz;
  return [pe = *pe, clock](const hiermap::TileShape& t) { return op_figures(pe, t, clock); };
}

void require_macro_level(const Config& point) {
  const hier::LevelSpec* pe = pe_array_level(point);
  if (!pe || point.network.layers.empty()) return;
  fail_config_key(point, "architecture.hierarchy." + pe->name + ".kind", "pe_array",
                  "cimmc run samples the tile jobs of a macro level; a pe_array level is priced at its fixed energy "
                  "per MAC by cimmc plan (or make it kind macro to sample it)");
}

}  // namespace cimmc::gpucim

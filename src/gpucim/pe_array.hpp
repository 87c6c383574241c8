// Compute that is not a sampled CiM macro (issue 15, part 2): the innermost
// hierarchy level `kind: pe_array` (arch/level_spec.hpp), priced at a fixed
// energy per MAC. It stands for two things:
//   - a tensor-core-like PE array: the level is the PEs' local registers, its
//     fan-out the PEs of one instance (or 1, with the PEs as the fan-out of
//     the register file above), one MAC per PE per operation of one cycle;
//   - a CiM primitive priced as its paper prices it (WWW, Sharma et al.,
//     arXiv 2312.15896): the level is the primitive's cells (capacity: its
//     bytes), its fan-out the MACs it does at once (Rp rows x Cp columns),
//     `pj_per_mac` and `cycles_per_op` the paper's energy and latency.
// The same primitive as a `kind: macro` level keeps cimmc's sampled,
// data-dependent tile jobs instead (docs/config.md, "CiM in a GPU's
// hierarchy").
#pragma once
#include "hiermap/hiermap.hpp"
#include "spec/spec.hpp"

namespace cimmc::gpucim {

// The pe_array level of the point's hierarchy, or nullptr when its innermost
// level is a macro (or it has no hierarchy).
const hier::LevelSpec* pe_array_level(const Config& point);

// One operation of the pe_array level on a tile of this shape: rows_used x
// cols_used MACs (the spatial factors on its fan-out, one MAC unit each) at
// pj_per_mac, taking cycles_per_op cycles of a clock_ghz clock. Every run of a
// nest's tile job is one operation, so a nest's compute energy is exactly its
// MACs x pj_per_mac.
hiermap::MvmFigures op_figures(const hier::LevelSpec& pe, const hiermap::TileShape& t, double clock_ghz);

// op_figures bound to the point's pe_array level and clock; an empty
// function when the point has none.
hiermap::MvmFiguresFn op_figures_fn(const Config& point);

// `cimmc run` samples macro tile jobs and has no pe_array pricing: throws the
// ConfigError for the level's kind when the point has a pe_array level
// (`cimmc plan` evaluates it).
void require_macro_level(const Config& point);

}  // namespace cimmc::gpucim

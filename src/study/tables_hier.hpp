// The columns of a layer mapped on a hierarchy (study/plan_hier.hpp): the
// nest as text and as factor columns, and its level and link energies and
// access counts. Column names carry the level names, so every point of a
// study has the same hierarchy levels (make_plan checks it).
// docs/hdf5-format.md lists them.
#pragma once
#include <cstddef>
#include <string>

#include "io/table.hpp"
#include "mapping/mapping.hpp"
#include "study/rollup_hier.hpp"

namespace cimmc {

// The mapping of a layer row: nest `mapping` of `plan` and its tile job `m`.
void put_nest_columns(Table& t, const HierLayerPlan& plan, std::size_t mapping, const Mapping& m);

// level.<name>_pj, link.<name>_pj, level.<name>_reads, level.<name>_writes;
// `per` completes each description ("per inference of the ...").
void put_hier_costs(Table& t, const HierCosts& h, const std::string& per);

}  // namespace cimmc

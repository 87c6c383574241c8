// The columns of a chiplet system's rows (study/rollup_chiplet.hpp);
// docs/hdf5-format.md lists them.
#pragma once
#include <string>

#include "io/table.hpp"
#include "study/rollup.hpp"

namespace cimmc {

// Energies, traffic, stage times and the tile / chiplet range, on layer and
// network rows; `per` completes each description ("per inference of the ...").
void put_chiplet_costs(Table& t, const ChipletRollup& c, const std::string& per);

// The system's figures on a network row: chiplets, tiles, area, pipeline
// interval and throughput, EDP.
void put_chiplet_system(Table& t, const Costs& c);

}  // namespace cimmc

// Gate and line energies at a technology node and supply: the ZigZag-IMC
// 28 nm, 0.9 V constants of zigzag.hpp moved as switched capacitance moves,
// C V^2 with C scaled by spec/technology.hpp's node rule.
#pragma once

#include "spec/technology.hpp"

namespace cimmc::tech {

// A 28 nm, 0.9 V gate energy at (node_nm, vdd_v): x cap_scale x (vdd / 0.9)^2.
double gate_energy(double e28_at_0v9, int node_nm, double vdd_v);

// Wordline / bitline capacitance per cell at node_nm [F] (ZigZag-IMC: half a NAND2).
double cell_wire_cap_f(int node_nm);

}  // namespace cimmc::tech

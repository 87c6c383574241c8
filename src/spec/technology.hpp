// Technology nodes with energy constants. The gate energies themselves are
// ZigZag-IMC's 28 nm, 0.9 V constants (pricing/zigzag.hpp); a node only scales
// their capacitance. ZigZag-IMC's own validation scripts (KU Leuven
// zigzag-imc, imc_model_validation, e.g. the CICC 2021 AIMC1 script: "scale
// from 28nm -> 22nm ... assume linear") move the logic, wordline and bitline
// energies of a 22 nm chip by 22/28 and keep ADC and DAC energies node
// independent (those capacitors are sized for matching and noise, not by
// lithography). cimmc applies the same rule, to the nodes listed here only.
#pragma once
#include <string>

namespace cimmc::tech {

// The nodes a config may name, ascending.
inline constexpr int kNodesNm[] = {22, 28, 65};

bool has_node(int node_nm);
std::string node_list();  // "22, 28, 65"

// Capacitance of a logic gate or a line per cell at node_nm relative to
// 28 nm: node_nm / 28 (the linear rule above).
double cap_scale(int node_nm);

}  // namespace cimmc::tech

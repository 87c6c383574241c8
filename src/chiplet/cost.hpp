// Manufacturing cost of a chiplet system (issue 15): SIAM's case for chiplets
// is that small dies yield better than one large one. The model is Chiplet
// Actuary's (Feng and Ma, DAC 2022; chiplet_actuary/package.py and chip.py),
// restricted to the dies and their bonding:
//   dies per wafer (Hennessy and Patterson's form, with a scribe lane s and an
//     edge loss e, as Chiplet Actuary writes it): a die of area A takes
//     A' = (sqrt(A) + s)^2; DPW = floor(pi (d/2 - e)^2 / A' - pi (d - 2e) / sqrt(2 A'));
//   die yield, negative binomial with defect density D0 and clustering alpha:
//     Y = (1 + D0 A / alpha)^-alpha;
//   cost per good die = wafer cost / (DPW x Y);
//   a system of C dies: C x (good die + bonding cost per mm^2 x A) / bond_yield^C
//     (chip-last bonding: one failed bond scraps the package with every die on it).
// The interposer and substrate are left out (the same silicon area needs them
// either way); the monolithic comparison is one die of the chiplets' total
// area through the same formula, undefined (NaN) where it exceeds a
// lithography field of 26 x 33 mm = 858 mm^2 (the step-and-scan exposure
// field of ASML's scanners) or leaves no whole die on the wafer.
#pragma once

#include "chiplet/chiplet_spec.hpp"

namespace cimmc::chiplet {

inline constexpr double kReticleMm2 = 26.0 * 33.0;

double dies_per_wafer(double die_mm2, const CostSpec& c);
double die_yield(double die_mm2, const CostSpec& c);

struct SystemCost {
  double dies_per_wafer = 0, yield = 0;  // of one chiplet
  double good_die_usd = 0;               // one good chiplet
  double system_usd = 0;                 // every chiplet, bonded
  double monolithic_usd = 0;             // one die of the same total area, bonded (NaN: cannot be made)
};

// NaN everywhere when the chiplet's area is not given (0).
SystemCost system_cost(double chiplet_mm2, int chiplets, const CostSpec& c);

}  // namespace cimmc::chiplet

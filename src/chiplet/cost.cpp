#include "chiplet/cost.hpp"

#include <cmath>
#include <limits>
#include <numbers>

namespace cimmc::chiplet {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Good-die cost plus bonding, over the bonding yield of n dies (NaN: no whole die on the wafer).
double bonded_usd(double die_mm2, int n, const CostSpec& c) {
  const double dpw = dies_per_wafer(die_mm2, c);
  if (dpw < 1) return kNaN;
  const double die = c.wafer_usd / (dpw * die_yield(die_mm2, c)) + c.bond_usd_per_mm2 * die_mm2;
  return n * die / std::pow(c.bond_yield, n);
}

}  // namespace

double dies_per_wafer(double die_mm2, const CostSpec& c) {
  const double a = std::pow(std::sqrt(die_mm2) + c.scribe_mm, 2);
  const double r = c.wafer_mm / 2 - c.edge_mm;
  if (r <= 0) return 0;
  const double n = std::numbers::pi * r * r / a - std::numbers::pi * 2 * r / std::sqrt(2 * a);
  return n > 0 ? std::floor(n) : 0;
}

double die_yield(double die_mm2, const CostSpec& c) {
  return std::pow(1 + c.defects_per_cm2 * (die_mm2 / 100) / c.clustering, -c.clustering);
}

SystemCost system_cost(double chiplet_mm2, int chiplets, const CostSpec& c) {
  if (!(chiplet_mm2 > 0)) return SystemCost{kNaN, kNaN, kNaN, kNaN, kNaN};
  SystemCost s;
  s.dies_per_wafer = dies_per_wafer(chiplet_mm2, c);
  s.yield = die_yield(chiplet_mm2, c);
  s.good_die_usd = s.dies_per_wafer >= 1 ? c.wafer_usd / (s.dies_per_wafer * s.yield) : kNaN;
  s.system_usd = bonded_usd(chiplet_mm2, chiplets, c);
  const double mono = chiplet_mm2 * chiplets;
  s.monolithic_usd = mono <= kReticleMm2 ? bonded_usd(mono, 1, c) : kNaN;
  return s;
}

}  // namespace cimmc::chiplet

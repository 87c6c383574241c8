// Chiplet manufacturing cost (src/chiplet/cost.hpp) against figures worked by
// hand from the formulas, with Chiplet Actuary's 28 nm defaults: 300 mm wafer,
// 5 mm edge loss, 0.2 mm scribe lane, D0 0.07 / cm^2, alpha 10, $2891 a wafer,
// $0.01 / mm^2 bonding, bonding yield 0.95.
#include <gtest/gtest.h>

#include <cmath>

#include "chiplet/cost.hpp"

using namespace cimmc::chiplet;

// 10 mm^2: A' = (3.16228 + 0.2)^2 = 11.30491; pi 145^2 / A' = 66052.0 / 11.30491 = 5842.80;
// pi 290 / sqrt(22.60982) = 911.062 / 4.75498 = 191.60; 5842.80 - 191.60 = 5651.2 -> 5651 dies.
// 100 mm^2: A' = 10.2^2 = 104.04; 66052.0 / 104.04 = 634.87; 911.062 / 14.4250 = 63.16 -> 571 dies.
TEST(ChipletCost, DiesPerWaferByHand) {
  const CostSpec c;
  EXPECT_EQ(dies_per_wafer(10, c), 5651);
  EXPECT_EQ(dies_per_wafer(100, c), 571);
  CostSpec bare = c;  // no scribe, no edge: pi 150^2 / 100 - pi 300 / sqrt(200) = 706.86 - 66.64 -> 640
  bare.scribe_mm = bare.edge_mm = 0;
  EXPECT_EQ(dies_per_wafer(100, bare), 640);
}

// Negative binomial: 10 mm^2 = 0.1 cm^2, D0 A = 0.007, (1 + 0.0007)^-10 = 0.993027;
// 100 mm^2: (1 + 0.007)^-10 = 0.932621. Large alpha tends to Poisson, exp(-D0 A).
TEST(ChipletCost, NegativeBinomialYieldByHand) {
  const CostSpec c;
  EXPECT_NEAR(die_yield(10, c), 0.993027, 1e-6);
  EXPECT_NEAR(die_yield(100, c), 0.932621, 1e-6);
  CostSpec poisson = c;
  poisson.clustering = 1e6;
  EXPECT_NEAR(die_yield(100, poisson), std::exp(-0.07), 1e-7);
}

// 4 chiplets of 25 mm^2: A' = 5.2^2 = 27.04, 66052.0 / 27.04 - 911.062 / 7.3539 = 2442.75 - 123.89
// -> 2318 dies; yield (1.00175)^-10 = 0.982667; a good die $2891 / (2318 x 0.982667) = $1.26920;
// + $0.25 bonding each, x 4 / 0.95^4 = $7.4607. One 100 mm^2 die: $2891 / (571 x 0.932621) + $1.00 =
// $6.4288, / 0.95 = $6.7672: at this size the bonding yield outweighs the die yield.
TEST(ChipletCost, SystemAgainstMonolithicByHand) {
  const SystemCost s = system_cost(25, 4, CostSpec{});
  EXPECT_EQ(s.dies_per_wafer, 2318);
  EXPECT_NEAR(s.yield, 0.982667, 1e-6);
  EXPECT_NEAR(s.good_die_usd, 1.26920, 1e-5);
  EXPECT_NEAR(s.system_usd, 7.4607, 1e-4);
  EXPECT_NEAR(s.monolithic_usd, 6.7672, 1e-4);
  // 4 x 300 mm^2 exceeds the 858 mm^2 reticle as one die; no area given: no cost.
  EXPECT_TRUE(std::isnan(system_cost(300, 4, CostSpec{}).monolithic_usd));
  EXPECT_FALSE(std::isnan(system_cost(300, 4, CostSpec{}).system_usd));
  EXPECT_TRUE(std::isnan(system_cost(0, 4, CostSpec{}).system_usd));
}

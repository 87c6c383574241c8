// ZigZag-IMC's 28 nm, 0.9 V gate-level constants (Houshmand, Sun, Verhelst,
// KU Leuven; /work/shared/REFERENCES.md), shared by the analog and digital
// energy tables.
#pragma once

namespace cimmc::zigzag {

constexpr double kNand2CapF = 0.7e-15;          // NAND2 input capacitance
constexpr double kCellWireCapF = 0.35e-15;      // wordline / bitline capacitance per cell = half a NAND2
constexpr double kVoltsRef = 0.9;               // the supply the energies below are quoted at
constexpr double kFullAdderJ = 3.40e-15;        // 1-bit full adder = 6 NAND2 capacitances x (0.9 V)^2
constexpr double kDffJ = 1.70e-15;              // one flip-flop write = 3 NAND2 capacitances x (0.9 V)^2
constexpr double kNorMultiplyJ = 0.28e-15;      // 1-bit multiply (NOR, weight static) = half a NAND2 x (0.9 V)^2
constexpr double kPjPerJ = 1e12;

}  // namespace cimmc::zigzag

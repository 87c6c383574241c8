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

// Areas and delays at 28 nm (ZigZag-IMC tech_param; /work/shared/REFERENCES.md;
// used by physical/area_clock.cpp).
namespace cimmc::zigzag {

constexpr double kNand2AreaUm2 = 0.614;                 // NAND2 area (ZigZag-IMC)
constexpr double kXor2AreaUm2 = 2.4 * kNand2AreaUm2;    // XOR2 = 2.4x NAND2 area (ZigZag-IMC)
constexpr double kDffAreaUm2 = 6.0 * kNand2AreaUm2;     // DFF = 6x NAND2 area (ZigZag-IMC)
// 1-bit full adder = 3 NAND2 + 2 XOR2; 1-bit multiplier = one NOR costed as a NAND2 (ZigZag-IMC LogicUnit).
constexpr double kFullAdderAreaUm2 = 3 * kNand2AreaUm2 + 2 * kXor2AreaUm2;
// Radix-4 Booth logic in these units (gate-level constructions; cimmc's, not
// ZigZag-IMC's, which has no Booth macro): an encoder per input line is
// one = XOR2(x[2j], x[2j-1]), two = NOR2(one, XNOR2(x[2j+1], x[2j])) -- 2 XOR2
// + 1 NOR2 costed as a NAND2; a selector per leaf bit picks w_i or w_(i-1)
// (AO22 = 3 NAND2) and negates (XOR2).
constexpr double kBoothEncoderAreaUm2 = 2 * kXor2AreaUm2 + kNand2AreaUm2;
constexpr double kBoothSelectAreaUm2 = 3 * kNand2AreaUm2 + kXor2AreaUm2;
constexpr double kNand2DelayNs = 0.0478;                // NAND2 delay (ZigZag-IMC)
constexpr double kXor2DelayNs = 2.4 * kNand2DelayNs;    // XOR2 = 2.4x NAND2 delay (ZigZag-IMC)
// Full-adder paths (ZigZag-IMC LogicUnit): input to sum = 2 XOR2, input to
// carry-out = XOR2 + 2 NAND2, carry-in to carry-out = 2 NAND2.
constexpr double kAdderInToSumNs = 2 * kXor2DelayNs;
constexpr double kAdderInToCoutNs = kXor2DelayNs + 2 * kNand2DelayNs;
constexpr double kAdderCinToCoutNs = 2 * kNand2DelayNs;
// Booth encoder to selected leaf: XOR2, NOR2 (encoder's `two`), then the
// selector's AO22 (2 NAND2 levels) and XOR2 (constructions above).
constexpr double kBoothDelayNs = 2 * kXor2DelayNs + 3 * kNand2DelayNs;
// ADC area [µm²] = 10^(k1 B + k2) 2^B for B >= 2 bits, 0 for 1 bit: ZigZag-IMC
// get_adc_cost, "extracted and validated against 3 AIMC papers on 28nm".
constexpr double kAdcAreaK1 = -0.0369, kAdcAreaK2 = 1.206;
// ADC delay [ns] = B (k3 D2 + k4), D2 rows summed (ZigZag-IMC get_adc_cost).
constexpr double kAdcDelayK3Ns = 0.00653, kAdcDelayK4Ns = 0.640;

// Cell areas. ZigZag-IMC takes the cell array's area from CACTI or the user;
// no published per-cell figure was found, so these are ASSUMPTIONS (docs/config.md):
// an SRAM CiM bitcell (8T/10T class, larger than a 6T) about one NAND2
// footprint, and a 1T1R ReRAM cell of 12 F^2 (access-transistor limited).
constexpr double kSramCellAreaUm2 = kNand2AreaUm2;
constexpr double kReramCellAreaUm2 = 12 * 0.028 * 0.028;

}  // namespace cimmc::zigzag

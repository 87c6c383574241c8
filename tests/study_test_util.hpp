// A two-layer network config shared by the study and model tests.
#pragma once
#include <string>

namespace cimmc::test {

// conv: K = 8*3*3 = 72 on 64 rows (a full and a ragged K tile), N = 12, M = 16;
// fc: K = 100, N = 10, M = 1. `run` is the config's run section (one line).
inline std::string tiny_network(const std::string& run) {
  return "name: tiny\n" + run + "\n" + R"(macro: {rows: 64, cols: 64, bits_per_cell: 2, weight_encoding: differential, adc: {bits: 6, range: full}}
workload:
  defaults:
    inputs: {bits: 4, distribution: {kind: relu_normal, std: 1.0, zero_fraction: 0.5}}
    weights: {bits: 4, signed: true, distribution: {kind: normal, std: 0.5}}
  layers:
    - {name: conv, type: conv2d, C: 8, M: 12, P: 4, Q: 4, R: 3, S: 3}
    - {name: fc, type: linear, in_features: 100, out_features: 10}
architecture: {macros: 8}
)";
}

}  // namespace cimmc::test

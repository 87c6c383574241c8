// Domain structs for whole networks on a system of macros (issue 3): layers,
// the architecture around the macros, and mapping options. Plain data; the
// config module fills them, mapping/ and the roll-up read them.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "spec/spec.hpp"

namespace cimmc {

enum class LayerKind { conv2d, linear, matmul };

// One DNN layer. Lowered to a GEMM (M x K x N per group) by workload/gemm.hpp:
//   conv2d: M = batch*P*Q, K = (C/groups)*R*S, N = M_out/groups, `groups` independent GEMMs
//   linear: M = batch*tokens, K = in_features (C), N = out_features (M_out)
//   matmul: M = gemm_m, K = gemm_k, N = gemm_n (both operands are activations;
//           the `weights` operand is the one stored in the array)
struct LayerSpec {
  std::string name;
  LayerKind kind = LayerKind::conv2d;
  int batch = 1;
  // conv2d (CiMLoop/Timeloop names): C in channels, M out channels, P x Q output,
  // R x S kernel, strides, groups (groups == C == M: depthwise).
  int C = 1, M = 1, P = 1, Q = 1, R = 1, S = 1, stride_h = 1, stride_w = 1, groups = 1;
  int tokens = 1;                        // linear: rows of the activation matrix per batch item
  std::int64_t gemm_m = 1, gemm_k = 1, gemm_n = 1;  // matmul
  OperandSpec inputs;
  OperandSpec weights;
  int repeat = 1;                        // identical layers (e.g. transformer blocks) counted this many times
};

struct NetworkSpec {
  std::string name;
  std::vector<LayerSpec> layers;
};

// A memory level outside the macros: per-access energy and bandwidth.
struct BufferSpec {
  double energy_pj_per_bit = 0.0;
  double bandwidth_bits_per_cycle = 0.0;  // 0 = unlimited
};

struct ArchSpec {
  int macros = 1;                          // identical macros working in parallel
  double clock_ghz = 1.0;                  // digital clock for buffers and the global schedule
  double row_settle_ns = 0.0;              // DAC/row settle time per input cycle and row group
  BufferSpec input_buffer{0.05, 0.0};      // per-macro input buffer (SRAM)
  BufferSpec output_buffer{0.05, 0.0};     // per-macro output/partial-sum buffer
  BufferSpec global_buffer{0.198, 512.0};  // MIREDO 28 nm SRAM global buffer, 0.198 pJ/bit
  double dram_pj_per_bit = 3.7;            // ZigZag-IMC example DRAM energy
  double dram_bandwidth_gbps = 204.8;      // bits per ns: 25.6 GB/s (one DDR4-3200 channel) x 8
};

enum class Objective { energy, latency, edp };
enum class LoopOrder { input_reuse, output_reuse };

struct MappingOptions {
  Objective objective = Objective::energy;
  bool keep_all = false;                   // --mappings all
  bool allow_duplication = true;
};

}  // namespace cimmc

// Energy and latency of a loop nest from its access counts (issue 12 item 4):
// a pure, allocation-free function of (hierarchy, layer, nest, counts, the
// caller's per-run macro figures). The search calls it once per candidate.
//
// PRECISION. Words keep their operand's width at every level: inputs at
// `inputs` bits, weights at `weights` bits. An output word is a partial sum
// (`psums` bits, the accumulator width) unless it is final. A transfer of
// output words (compute units or a level's drains going up, a level's updates)
// is final, at `outputs` bits, exactly when it carries each output element
// once: its word count equals the output tensor's words. Each element then
// crosses that boundary with its complete sum, so it can leave the
// accumulator requantized; any larger count means some crossing carries a
// partial sum. RMW reads always read partial sums (`psums` bits).
//
// ENERGY (pJ). Level i, operand op: (reads + drains) x bits x read pJ/bit +
// (fills + updates) x bits x write pJ/bit, with the word widths above (an
// output level's updates at the width of the transfer arriving, its drains at
// the width of the transfer leaving).
// Interconnect below level j: every word that travels between a holding level
// p <= j and the next holding level below j (or the compute units) crosses
// fan-out j. A word multicast to a group of children (inputs, weights: the
// children that share its relevant spatial indices) or reduced from one
// (outputs: the children that differ only in reduction indices, summed on the
// way up) pays hop_pj_per_bit per bit per link of the group's route tree:
//   bus   1 link per group (one broadcast on the shared medium);
//   tree  the links of a binary tree of depth ceil(log2(fan-out)) over the
//         children in index order that lie on a path to a group member;
//   mesh  the parent sits at corner (0,0) and injects with one hop; children
//         are placed row-major (x fastest) by their index; routes go along
//         column 0 to the member's row, then along that row (YX order), and
//         a group pays the links of the union of its members' routes:
//         1 + max y + sum over its rows of the largest x in that row.
// A child's index is axis-0 position + axis-0 size x axis-1 position (full
// axis sizes: the used children sit nearest the parent); on one axis the
// dimensions it admits are mixed-radix digits, lowest dimension fastest.
// Macro: job_energy_pj per tile-job run (sampled elsewhere, supplied here).
//
// LATENCY (cycles, then ns at the hierarchy's clock).
//   compute      = time_steps x cycles_per_run (one tile job per time step
//                  per instance; all instances in lockstep)
//   port(i)      = bits through level i's port (reads, fills, updates,
//                  drains, every operand) / (bandwidth x instances)
//   link(j)      = bits injected into fan-out j's interconnect (words x bits
//                  per group, once per group) / (link bandwidth x instances of j)
//   swap(i)      = port time of level i's fills and drains alone, when the
//                  level is not double-buffered (0 when it is): the next tile
//                  can only come in after the old one is out and compute
//                  waits for it; with double buffering it overlaps compute
//   cycles       = max(compute, every port and link) + sum of every swap
// Unlimited bandwidth (0) makes a term 0. Level 0 has no swap (the tensors
// live there).
#pragma once
#include <array>

#include "loopnest/counts.hpp"
#include "loopnest/hierarchy.hpp"
#include "loopnest/nest.hpp"
#include "loopnest/problem.hpp"

namespace cimmc::loopnest {

// Word widths in bits (see PRECISION above).
struct WordBits {
  double inputs = 8, weights = 8;
  double psums = 24;   // accumulator width: partial sums and RMW reads
  double outputs = 8;  // final outputs, requantized
};

struct CostParams {
  WordBits bits;
  double job_energy_pj = 0;   // one tile-job run of the macro (periphery + array), sampled elsewhere
  double cycles_per_run = 1;  // cycles one tile-job run occupies its macro
};

struct NestCost {
  std::array<std::array<double, kOperands>, kMaxLevels> level_pj{};  // [level][Operand]
  std::array<std::array<double, kOperands>, kMaxLevels> link_pj{};   // [fan-out below level][Operand]
  double macro_pj = 0;
  double total_pj = 0;

  double compute_cycles = 0;
  std::array<double, kMaxLevels> port_cycles{}, link_cycles{}, swap_cycles{};
  double cycles = 0;
  double ns = 0;

  double edp() const { return total_pj * ns; }  // pJ x ns
};

// Precondition: `counts` = analyze(h, shape, nest) and the nest is legal.
NestCost cost(const Hierarchy& h, const ConvShape& shape, const LoopNest& nest, const NestCounts& counts,
              const CostParams& p);

// "" when `p` is usable with `h`, else the rule it breaks: widths > 0,
// job energy >= 0, cycles per run > 0 (all finite), and every mesh or tree
// fan-out at most kMaxRoutedChildren instances (route trees are walked child
// by child in fixed-size scratch).
inline constexpr std::int64_t kMaxRoutedChildren = 4096;
std::string cost_params_error(const Hierarchy& h, const CostParams& p);

}  // namespace cimmc::loopnest

// The residual addition of a skip connection (issue 15): where a layer names a
// `residual`, its outputs are added element by element to that layer's output
// (the skip tensor). traffic.hpp moves the tensor; this prices the rest, on
// the tiles of the adding layer, where its outputs are complete:
//   adds   = min(from's, to's output channels) x to's M elements (channels
//            beyond the producer's are option-A zero padding: nothing to add),
//   adder  = max(from.x_bits, to.x_bits) one-bit full adders per element (a
//            ripple-carry add of the two activations), each one full-adder
//            evaluation at the node and supply (ZigZag-IMC's kFullAdderJ,
//            pricing/zigzag.hpp, scaled by pricing/technology.hpp, the energy
//            the flat macro's shift-add uses per bit, pricing/energy_tables.cpp),
//   buffer = the skip tensor (adds x from.x_bits, the bits traffic.hpp sends)
//            written into the adding tile's output buffer when it arrives and
//            read back when the adder runs: 2 x its bits x the output buffer's
//            pJ/bit. architecture.output_buffer has no capacity, so nothing
//            limits how long it waits there.
// Its latency (one add per element beside the tile's output path) is not modelled.
#pragma once
#include "chiplet/placement.hpp"

namespace cimmc::chiplet {

struct ResidualAdd {
  double adds = 0;         // element-wise additions
  double adder_pj = 0;     // their full adders
  double buffer_bits = 0;  // skip-tensor bits written and read in the output buffer (2 x the tensor)
  double buffer_pj = 0;
};

// from: the layer whose output is the skip tensor; to: the layer that adds it.
// full_adder_pj: one full-adder evaluation; buffer_pj_per_bit: the output buffer's energy per bit.
ResidualAdd residual_add(const LayerShape& from, const LayerShape& to, double full_adder_pj, double buffer_pj_per_bit);

}  // namespace cimmc::chiplet

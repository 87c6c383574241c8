// Data moved between the tiles of a placed network, and what it costs on the
// NoC and NoP. Every flow is computed from the actual placement:
//   activations: output channel j of a stage leaves its home tile (the tile of
//     its column group's k tile 0, where the partial sums are reduced) for
//     every tile of the next stage holding a row of the input channel it feeds
//     (all of that channel's k tiles, in every n tile); the tile buffers do the
//     im2col reuse, so a channel's input elements cross once per tile.
//     When the next layer's input channels C' differ from the outputs N (a
//     projection shortcut, a flatten), channel c' is fed by output channel
//     floor(c' N / C'): the network is taken as a chain.
//   partial sums: a column group whose k tiles span several tiles sends one
//     partial-sum vector (cols x psum_bits per input vector) from every tile
//     but the home tile to the home tile.
//   skip connections: a layer with a residual adds layer R's output to its
//     own: output channel j of R goes from R's home tile of j to the layer's
//     home tile of j (where its outputs are complete), out_M x x_bits of R per
//     channel (the adding layer's output size: a strided option-A shortcut
//     sends the subsampled tensor), for j < min of the two channel counts
//     (channels beyond R's are option-A zero padding, not sent).
//   network input and output: from the global buffer to the first stage's
//     tiles, and from the last stage's home tiles back.
// Routes: on a chiplet XY over the tile mesh; between chiplets XY from the
// source tile to the chiplet's NoP port (tile 0), XY over the package mesh,
// then XY from the port to the destination tile. The global buffer (and the
// DRAM behind it) is a package node west of chiplet 0 (package point (-1, 0)).
// A flow of b bits is ceil(b / flit_bits) flits.
#pragma once
#include <cstdint>
#include <vector>

#include "chiplet/placement.hpp"

namespace cimmc::chiplet {

inline constexpr std::int64_t kGlobalBuffer = -1;  // a flow's end at the global buffer

struct Flow {
  std::int64_t src = 0, dst = 0;  // global tile ids or kGlobalBuffer
  double bits = 0;
};

// Channel of the previous stage's outputs that feeds input channel c of the
// next (see above).
std::int64_t feeding_channel(std::int64_t c, std::int64_t in_channels, std::int64_t out_channels);

// Flows, summed per (src, dst) pair, sorted by (src, dst).
std::vector<Flow> activation_flows(const Placement& p, const LayerShape& from, const Stage& s_from,
                                   const LayerShape& to, const Stage& s_to);
// The skip tensor of `from`'s output to `to`, which adds it (see above).
std::vector<Flow> skip_flows(const Placement& p, const LayerShape& from, const Stage& s_from, const LayerShape& to,
                             const Stage& s_to);
std::vector<Flow> psum_flows(const Placement& p, const LayerShape& l, const Stage& s);
std::vector<Flow> input_flows(const Placement& p, const LayerShape& l, const Stage& s);   // global buffer -> stage
std::vector<Flow> output_flows(const Placement& p, const LayerShape& l, const Stage& s);  // stage -> global buffer
// The stage's weights from the global buffer to the tiles that hold them (once, before inference).
std::vector<Flow> weight_flows(const Placement& p, const LayerShape& l, const Stage& s);

struct Traffic {
  double bits = 0, flits = 0;
  double noc_flit_hops = 0;        // flits x NoC links crossed (both chiplets' meshes)
  double nop_bit_hops = 0;         // bits x package links crossed
  double max_noc_link_flits = 0;   // the busiest NoC link (one direction)
  double max_nop_link_bits = 0;    // the busiest NoP link (one direction)
  int max_noc_hops = 0, max_nop_hops = 0;  // longest route
};

// Routes every flow (summing loads per directed link) with flits of flit_bits.
Traffic route(const Placement& p, int flit_bits, const std::vector<Flow>& flows);

}  // namespace cimmc::chiplet

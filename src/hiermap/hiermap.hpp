// A network layer on a configured memory hierarchy (issue 12): the layer as a
// loop-nest problem, the hierarchy for its precisions, and the search for its
// best loop nests, with the macro's per-run energy and time supplied by the
// caller for each tile-job shape (the study prices them with the statistical
// model, then samples only the kept mappings' jobs: the sampling work does not
// grow with the mapspace).
//
// Precisions (loopnest/cost.hpp "PRECISION"): inputs and weights at the
// layer's bits; partial sums at the exact accumulator width x + w +
// ceil(log2 K) (arch/hierarchy.hpp layer_operand_bits); final outputs
// requantized to the layer's input bits, the precision the next layer reads
// (they went to DRAM at the 26-bit accumulator width before, which no
// accelerator does).
#pragma once
#include <cstdint>
#include <functional>

#include "loopnest/cost.hpp"
#include "loopnest/hierarchy.hpp"
#include "loopnest/problem.hpp"
#include "loopnest/search.hpp"
#include "mipmap/mapper.hpp"
#include "spec/spec.hpp"

namespace cimmc::hiermap {

// The layer's loops: conv2d as G groups x N batch x M, C per group x P, Q x
// R, S with its strides; linear as N = batch x tokens, C in, M out; matmul as
// G = batch of N = gemm_m, C = gemm_k, M = gemm_n. Same MACs as lower().
loopnest::ConvShape conv_shape(const LayerSpec& layer);

// The macro array a tile job uses: rows (the reduction loops unrolled on the
// macro's rows) and logical weight columns (output channels on its columns).
struct TileShape {
  int rows_used = 0, cols_used = 0;
  friend bool operator==(const TileShape&, const TileShape&) = default;
};
// Precondition: `h`'s innermost level is the macro level of arch/hierarchy.hpp.
TileShape tile_shape(const loopnest::Hierarchy& h, const loopnest::TileJob& job);

// Energy (pJ) and time (ns) of one MVM of a tile of this shape on the macro.
struct MvmFigures {
  double energy_pj = 0, ns = 0;
};
using MvmFiguresFn = std::function<MvmFigures(const TileShape&)>;

struct LayerSearch {
  loopnest::Hierarchy hierarchy;
  loopnest::ConvShape shape;
  loopnest::WordBits bits;
  loopnest::SearchReport report;
  // The MIP mapper's proof (mipmap/mapper.hpp) when it mapped the layer;
  // `report` then holds its best mappings and what it costed.
  bool mip = false;
  mipmap::MipReport mip_report;
};

// Searches `layer` on the point's architecture.hierarchy (non-empty) with the
// point's objective; `keep` best, `budget` as loopnest::SearchOptions, seeded
// by the point's run seed. Throws hier::HierarchyError when the layer cannot
// be held at all, loopnest::LoopNestError when no mapping is legal.
LayerSearch search_layer(const Config& point, const LayerSpec& layer, const MvmFiguresFn& mvm, int keep,
                         std::int64_t budget, loopnest::SearchMode mode = loopnest::SearchMode::automatic);
// The same with the search's other options (sampler, refinement) as given;
// objective and seed still come from the point.
LayerSearch search_layer(const Config& point, const LayerSpec& layer, const MvmFiguresFn& mvm,
                         loopnest::SearchOptions opt);

// The same layer mapped by the MIP mapper (mipmap::map_layer) with `opt`;
// the objective comes from the point. Throws mipmap::MipError without CBC.
LayerSearch map_layer_mip(const Config& point, const LayerSpec& layer, const MvmFiguresFn& mvm,
                          mipmap::MipOptions opt);

}  // namespace cimmc::hiermap

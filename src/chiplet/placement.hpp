// Weight-stationary placement of a network on a chiplet system, as SIAM does
// it: each layer's weights take whole tiles, layers are placed in network
// order filling tiles and then chiplets in order, and a layer may span
// chiplets. A layer with `repeat` r is r stages with their own weights
// (copies placed one after another).
//
// Inside a layer, its flat mapping's matrix tiles t = (g * n_tiles + n) *
// k_tiles + k (src/mapping/mapping.hpp "Placement": k fastest, so one
// column group's partial sums sit on as few tiles as possible) fill macros
// `placed_per_macro` at a time and macros fill tiles `macros_per_tile` at a
// time. Global tile i is tile i % T of chiplet i / T.
#pragma once
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "chiplet/chiplet_spec.hpp"
#include "chiplet/mesh.hpp"

namespace cimmc::chiplet {

// What placement and traffic need of one layer: its flat mapping's tiling
// (duplication 1, one round) and its operands.
struct LayerShape {
  std::string name;
  std::int64_t M = 1, K = 1, N = 1;    // GEMM per group: M input vectors, K rows, N weight columns
  int groups = 1;
  int rows = 1;                        // macro rows: rows of one k tile
  int wpm = 1;                         // weight columns per macro: columns of one n tile
  std::int64_t k_tiles = 1, n_tiles = 1, placed_per_macro = 1, macros = 1;
  // The inputs: row k of a group reads input channel k / rows_per_channel of
  // that group (rows ordered channel-major: c, then the kernel's r, s).
  std::int64_t in_channels = 1;        // C over all groups
  int rows_per_channel = 1;            // R * S (1 for linear)
  double in_elems_per_channel = 1;     // input elements of one channel per inference
  int x_bits = 8;                      // input (activation) bits
  int psum_bits = 16;                  // partial sums: x + w + ceil(log2 K), the accumulator width
  int w_bits = 8;                      // weight bits (loaded once, before inference)
  int repeat = 1;
  // Operand links by layer name (LayerSpec::input_from / residual_from): the
  // layer whose output this one reads ("" = the previous layer) and the one
  // whose output is added to this one's (a skip connection; "" = none).
  std::string input_name, residual_name;

  std::int64_t out_channels() const { return N * groups; }
  // Tile (0-based within the layer's own tiles) of matrix tile (g, n, k).
  std::int64_t tile_of(std::int64_t g, std::int64_t n, std::int64_t k, int macros_per_tile) const {
    const std::int64_t t = (g * n_tiles + n) * k_tiles + k;
    return t / placed_per_macro / macros_per_tile;
  }
  std::int64_t tiles(int macros_per_tile) const { return (macros + macros_per_tile - 1) / macros_per_tile; }
  int cols_of(std::int64_t n) const {  // weight columns of n tile n (the last may be ragged)
    const std::int64_t r = N - n * wpm;
    return static_cast<int>(r < wpm ? r : wpm);
  }
  int rows_of(std::int64_t k) const {  // rows of k tile k (the last may be ragged)
    const std::int64_t r = K - k * rows;
    return static_cast<int>(r < rows ? r : rows);
  }
};

// One stage of the pipeline: copy `copy` of layer `layer`.
struct Stage {
  std::size_t layer = 0;
  int copy = 0;
  std::int64_t first_tile = 0, tiles = 0;  // global tile ids [first_tile, first_tile + tiles)
};

struct Placement {
  int chiplets = 1, tiles_per_chiplet = 1, macros_per_tile = 1;
  Grid tile_grid{1}, chip_grid{1};
  std::int64_t tiles_used = 0;
  std::vector<Stage> stages;                 // in network order
  std::vector<std::size_t> first_stage;      // per layer: index of its copy 0 in stages

  int chiplet_of(std::int64_t tile) const { return static_cast<int>(tile / tiles_per_chiplet); }
  Point tile_point(std::int64_t tile) const { return tile_grid.at(static_cast<int>(tile % tiles_per_chiplet)); }
  Point chip_point(int chiplet) const { return chip_grid.at(chiplet); }
};

// The network does not fit the configured chiplets.
struct PlacementError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Tiles the network needs (every copy of every layer).
std::int64_t tiles_needed(const std::vector<LayerShape>& layers, int macros_per_tile);

// Places the layers; spec.chiplets == 0 takes ceil(tiles needed / T).
// Throws PlacementError when they need more than spec.chiplets x T tiles.
Placement place(const std::vector<LayerShape>& layers, const ChipletSpec& spec);

}  // namespace cimmc::chiplet

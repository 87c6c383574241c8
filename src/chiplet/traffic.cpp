#include "chiplet/traffic.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <unordered_map>
#include <utility>

namespace cimmc::chiplet {
namespace {

using Pairs = std::map<std::pair<std::int64_t, std::int64_t>, double>;

std::vector<Flow> to_flows(const Pairs& m) {
  std::vector<Flow> out;
  out.reserve(m.size());
  for (const auto& [k, bits] : m) out.push_back(Flow{k.first, k.second, bits});
  return out;
}

// Global tiles of stage s holding a row of input channel c, sorted, distinct.
std::vector<std::int64_t> tiles_reading(const Placement& p, const LayerShape& l, const Stage& s, std::int64_t c) {
  const std::int64_t per_group = l.in_channels / l.groups;
  const std::int64_t g = c / per_group, cl = c % per_group;
  const std::int64_t k_lo = cl * l.rows_per_channel;
  const std::int64_t k_hi = std::min(l.K, k_lo + l.rows_per_channel) - 1;
  std::vector<std::int64_t> out;
  for (std::int64_t kt = k_lo / l.rows; kt <= k_hi / l.rows; ++kt)
    for (std::int64_t nt = 0; nt < l.n_tiles; ++nt) out.push_back(s.first_tile + l.tile_of(g, nt, kt, p.macros_per_tile));
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

// Global home tile of output channel j (where its partial sums are reduced).
std::int64_t home_of(const Placement& p, const LayerShape& l, const Stage& s, std::int64_t j) {
  const std::int64_t g = j / l.N, n = j % l.N;
  return s.first_tile + l.tile_of(g, n / l.wpm, 0, p.macros_per_tile);
}

}  // namespace

std::int64_t feeding_channel(std::int64_t c, std::int64_t in_channels, std::int64_t out_channels) {
  if (in_channels == out_channels) return c;
  return static_cast<std::int64_t>((static_cast<double>(c) * out_channels) / in_channels);
}

std::vector<Flow> activation_flows(const Placement& p, const LayerShape& from, const Stage& s_from,
                                   const LayerShape& to, const Stage& s_to) {
  Pairs m;
  const double bits = to.in_elems_per_channel * to.x_bits;
  for (std::int64_t c = 0; c < to.in_channels; ++c) {
    const std::int64_t src = home_of(p, from, s_from, feeding_channel(c, to.in_channels, from.out_channels()));
    for (std::int64_t dst : tiles_reading(p, to, s_to, c)) m[{src, dst}] += bits;
  }
  return to_flows(m);
}

std::vector<Flow> skip_flows(const Placement& p, const LayerShape& from, const Stage& s_from, const LayerShape& to,
                             const Stage& s_to) {
  Pairs m;
  const double bits = static_cast<double>(to.M) * from.x_bits;
  const std::int64_t n = std::min(from.out_channels(), to.out_channels());
  for (std::int64_t j = 0; j < n; ++j) m[{home_of(p, from, s_from, j), home_of(p, to, s_to, j)}] += bits;
  return to_flows(m);
}

std::vector<Flow> psum_flows(const Placement& p, const LayerShape& l, const Stage& s) {
  Pairs m;
  for (std::int64_t g = 0; g < l.groups; ++g)
    for (std::int64_t nt = 0; nt < l.n_tiles; ++nt) {
      const std::int64_t home = s.first_tile + l.tile_of(g, nt, 0, p.macros_per_tile);
      const double bits = static_cast<double>(l.M) * l.cols_of(nt) * l.psum_bits;
      // k tiles are consecutive in the fill, so their tiles form one run.
      const std::int64_t last = s.first_tile + l.tile_of(g, nt, l.k_tiles - 1, p.macros_per_tile);
      for (std::int64_t t = home + 1; t <= last; ++t) m[{t, home}] += bits;
    }
  return to_flows(m);
}

std::vector<Flow> input_flows(const Placement& p, const LayerShape& l, const Stage& s) {
  Pairs m;
  const double bits = l.in_elems_per_channel * l.x_bits;
  for (std::int64_t c = 0; c < l.in_channels; ++c)
    for (std::int64_t dst : tiles_reading(p, l, s, c)) m[{kGlobalBuffer, dst}] += bits;
  return to_flows(m);
}

std::vector<Flow> output_flows(const Placement& p, const LayerShape& l, const Stage& s) {
  Pairs m;
  const double bits = static_cast<double>(l.M) * l.x_bits;  // outputs leave at the activation precision
  for (std::int64_t j = 0; j < l.out_channels(); ++j) m[{home_of(p, l, s, j), kGlobalBuffer}] += bits;
  return to_flows(m);
}

std::vector<Flow> weight_flows(const Placement& p, const LayerShape& l, const Stage& s) {
  Pairs m;
  for (std::int64_t g = 0; g < l.groups; ++g)
    for (std::int64_t nt = 0; nt < l.n_tiles; ++nt)
      for (std::int64_t kt = 0; kt < l.k_tiles; ++kt)
        m[{kGlobalBuffer, s.first_tile + l.tile_of(g, nt, kt, p.macros_per_tile)}] +=
            double(l.rows_of(kt)) * l.cols_of(nt) * l.w_bits;
  return to_flows(m);
}

Traffic route(const Placement& p, int flit_bits, const std::vector<Flow>& flows) {
  Traffic t;
  std::unordered_map<std::int64_t, double> noc, nop;  // directed link -> load
  const std::int64_t tile_sites = std::int64_t{p.tile_grid.width} * p.tile_grid.height;
  const Point port{0, 0};
  const Point glb{-1, 0};
  for (const Flow& f : flows) {
    const double flits = std::ceil(f.bits / flit_bits);
    t.bits += f.bits;
    t.flits += flits;
    int noc_hops = 0, nop_hops = 0;
    auto on_chip = [&](int chiplet, Point a, Point b) {
      walk_xy(a, b, [&](Point q, Dir d) {
        const std::int64_t site = chiplet * tile_sites + std::int64_t{q.y} * p.tile_grid.width + q.x;
        noc[site * 4 + static_cast<int>(d)] += flits;
        ++noc_hops;
      });
    };
    auto on_package = [&](Point a, Point b) {
      walk_xy(a, b, [&](Point q, Dir d) {
        const std::int64_t site = std::int64_t{q.y} * (p.chip_grid.width + 1) + (q.x + 1);
        nop[site * 4 + static_cast<int>(d)] += f.bits;
        ++nop_hops;
      });
    };
    const bool from_glb = f.src == kGlobalBuffer, to_glb = f.dst == kGlobalBuffer;
    const int cs = from_glb ? -1 : p.chiplet_of(f.src), cd = to_glb ? -1 : p.chiplet_of(f.dst);
    if (!from_glb && !to_glb && cs == cd) {
      on_chip(cs, p.tile_point(f.src), p.tile_point(f.dst));
    } else {
      if (!from_glb) on_chip(cs, p.tile_point(f.src), port);
      on_package(from_glb ? glb : p.chip_point(cs), to_glb ? glb : p.chip_point(cd));
      if (!to_glb) on_chip(cd, port, p.tile_point(f.dst));
    }
    t.noc_flit_hops += flits * noc_hops;
    t.nop_bit_hops += f.bits * nop_hops;
    t.max_noc_hops = std::max(t.max_noc_hops, noc_hops);
    t.max_nop_hops = std::max(t.max_nop_hops, nop_hops);
  }
  for (const auto& [k, v] : noc) t.max_noc_link_flits = std::max(t.max_noc_link_flits, v);
  for (const auto& [k, v] : nop) t.max_nop_link_bits = std::max(t.max_nop_link_bits, v);
  return t;
}

}  // namespace cimmc::chiplet

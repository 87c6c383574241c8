#include "loopnest/routes.hpp"

#include <algorithm>
#include <bit>

#include "loopnest/cost.hpp"
#include "loopnest/nest.hpp"

namespace cimmc::loopnest {

namespace {

// Children visited in increasing index order (cost.hpp: index = axis-0
// position + axis-0 size x axis-1 position; on an axis, lowest dim fastest),
// so each group's members arrive sorted and its route tree grows by a
// constant-time rule per member.
struct Digits {
  int n = 0;
  std::array<int, kDims> dim{};
  std::array<std::int64_t, kDims> radix{};  // spatial factor
  std::array<std::int64_t, kDims> axis_weight{};
  std::array<int, kDims> axis{};
  std::array<std::int64_t, kDims> group_weight{};  // 0 for a dim irrelevant to op
};

Digits digits(const StorageLevel& lv, const std::array<std::int64_t, kDims>& s, Operand op, std::int64_t& groups) {
  Digits g;
  std::array<std::int64_t, 2> axis_span{1, 1};
  groups = 1;
  for (int a = 0; a < 2; ++a)
    for (int d = 0; d < kDims; ++d) {
      if (s[std::size_t(d)] == 1 || spatial_axis(lv, d) != a) continue;
      const std::size_t k = std::size_t(g.n++);
      g.dim[k] = d;
      g.radix[k] = s[std::size_t(d)];
      g.axis[k] = a;
      g.axis_weight[k] = axis_span[std::size_t(a)];
      axis_span[std::size_t(a)] *= s[std::size_t(d)];
      g.group_weight[k] = relevant(op, d) ? groups : 0;
      if (relevant(op, d)) groups *= s[std::size_t(d)];
    }
  return g;
}

// Everything route_links reads: the fan-out's axes, topology and mesh
// width, the spatial factors and the operand.
struct RouteKey {
  std::array<std::int64_t, kDims> spatial{};
  std::array<std::int64_t, 2> axis_size{};
  std::array<DimMask, 2> axis_dims{};
  std::int64_t mesh_x = 0;
  Topology topology = Topology::bus;
  Operand op = Operand::inputs;
  friend bool operator==(const RouteKey&, const RouteKey&) = default;
};

std::int64_t walk_routes(const StorageLevel& lv, const std::array<std::int64_t, kDims>& spatial, Operand op);

}  // namespace

// A search costs up to 10^5 nests per layer, and most share their fan-outs'
// spatial factors with an earlier one, while a mesh or tree walk visits every
// child: a per-thread direct-mapped memo of the pure walk makes a repeat a
// key compare (a fifth of a ResNet-18 search on arch-mesh4x4 went to walks).
// The key holds every input, so a hit is the walk's own value.
std::int64_t route_links(const StorageLevel& lv, const std::array<std::int64_t, kDims>& spatial, Operand op) {
  // A bus needs no walk, and a walk over a few children costs less than the memo's key.
  if (lv.link.topology == Topology::bus || lv.fanout_instances() <= 8) return walk_routes(lv, spatial, op);
  const RouteKey key{spatial, {lv.fanout[0].size, lv.fanout[1].size}, {lv.fanout[0].dims, lv.fanout[1].dims},
                     lv.link.mesh_x, lv.link.topology, op};
  std::uint64_t hash = std::uint64_t(op) + 0x9e3779b97f4a7c15ULL * (std::uint64_t(key.topology) + 1);
  for (std::int64_t f : spatial) hash = (hash ^ std::uint64_t(f)) * 0x100000001b3ULL;
  hash ^= std::uint64_t(key.axis_size[0]) * 31 + std::uint64_t(key.axis_size[1]);
  struct Entry {
    bool valid = false;
    RouteKey key;
    std::int64_t links = 0;
  };
  constexpr int kBits = 11;
  thread_local std::array<Entry, std::size_t(1) << kBits> memo;
  Entry& e = memo[std::size_t((hash * 0x9e3779b97f4a7c15ULL) >> (64 - kBits))];
  if (!e.valid || !(e.key == key)) e = {true, key, walk_routes(lv, spatial, op)};
  return e.links;
}

namespace {

std::int64_t walk_routes(const StorageLevel& lv, const std::array<std::int64_t, kDims>& spatial, Operand op) {
  std::int64_t groups = 1;
  const Digits g = digits(lv, spatial, op, groups);
  const Topology t = lv.link.topology;
  if (t == Topology::bus) return groups;

  const std::int64_t A0 = lv.fanout[0].size;
  const int depth = int(std::bit_width(std::uint64_t(lv.fanout_instances() - 1)));  // ceil(log2 F)
  const std::int64_t mx = lv.link.mesh_x;
  // Per group: the last member's child index (-1: none yet) and the links
  // committed so far.
  std::array<std::int32_t, kMaxRoutedChildren> last;
  std::array<std::int32_t, kMaxRoutedChildren> acc;
  for (std::int64_t k = 0; k < groups; ++k) {
    last[std::size_t(k)] = -1;
    acc[std::size_t(k)] = 0;
  }
  std::array<std::int64_t, kDims> idx{};
  for (;;) {
    std::array<std::int64_t, 2> pos{0, 0};
    std::int64_t gk = 0;
    for (int k = 0; k < g.n; ++k) {
      pos[std::size_t(g.axis[std::size_t(k)])] += idx[std::size_t(k)] * g.axis_weight[std::size_t(k)];
      gk += idx[std::size_t(k)] * g.group_weight[std::size_t(k)];
    }
    const std::int64_t child = pos[0] + A0 * pos[1];
    const std::int32_t prev = last[std::size_t(gk)];
    if (t == Topology::tree) {
      // Path nodes not shared with the previous (sorted) member: the levels
      // at which the two indices' ancestors differ.
      acc[std::size_t(gk)] +=
          prev < 0 ? depth : std::min(depth, int(std::bit_width(std::uint64_t(child ^ prev))));
    } else if (prev >= 0 && prev / mx != child / mx) {
      acc[std::size_t(gk)] += std::int32_t(prev % mx);  // the previous row's largest x
    }
    last[std::size_t(gk)] = std::int32_t(child);
    int k = 0;
    for (; k < g.n; ++k) {
      if (++idx[std::size_t(k)] < g.radix[std::size_t(k)]) break;
      idx[std::size_t(k)] = 0;
    }
    if (k == g.n) break;
  }
  std::int64_t links = 0;
  for (std::int64_t k = 0; k < groups; ++k) {
    links += acc[std::size_t(k)];
    if (t == Topology::mesh) links += 1 + last[std::size_t(k)] / mx + last[std::size_t(k)] % mx;
  }
  return links;
}

}  // namespace

}  // namespace cimmc::loopnest

#include "loopnest/nest.hpp"

#include <algorithm>
#include <cmath>

#include "loopnest/text.hpp"

namespace cimmc::loopnest {

using text::cat;
using text::level_label;

namespace {

// Above this, counts could overflow int64 (every count is at most the MACs).
constexpr double kMaxMacs = 4611686018427387904.0;  // 2^62

std::string capacity_error(const Hierarchy& h, int i, const TileGeometry& g) {
  const StorageLevel& l = h.levels[std::size_t(i)];
  const Capacity& c = l.capacity;
  if (c.kind == CapacityKind::unbounded) return {};
  std::int64_t total = 0;
  for (Operand op : kAllOperands) {
    if (!l.keeps(op)) continue;
    const std::int64_t w = g.words(i, op);
    total += w;
    if (c.kind == CapacityKind::per_operand && w > c.operand_words[int(op)])
      return cat(level_label(h, i), ": ", operand_name(op), " tile of ", w, " words exceeds its capacity of ",
                 c.operand_words[int(op)], " words");
  }
  if (c.kind == CapacityKind::shared && total > c.shared_words) {
    std::string parts;
    for (Operand op : kAllOperands)
      if (l.keeps(op))
        parts += cat(parts.empty() ? "" : " + ", operand_name(op), ' ', g.words(i, op));
    return cat(level_label(h, i), ": tiles of ", total, " words (", parts, ") exceed its shared capacity of ",
               c.shared_words, " words");
  }
  return {};
}

}  // namespace

int spatial_axis(const StorageLevel& l, int d) {
  for (int a = 0; a < 2; ++a)
    if (l.fanout[std::size_t(a)].size > 1 && (l.fanout[std::size_t(a)].dims >> d & 1u)) return a;
  return -1;
}

TileGeometry tile_geometry(const LoopNest& nest) {
  TileGeometry g;
  const int L = int(nest.levels.size());
  g.levels = L;
  g.extent[std::size_t(L)] = {1, 1, 1};
  for (int i = L - 1; i >= 0; --i) {
    const LevelLoops& l = nest.levels[std::size_t(i)];
    for (int d = 0; d < kDims; ++d)
      g.extent[std::size_t(i)][std::size_t(d)] =
          g.extent[std::size_t(i) + 1][std::size_t(d)] * l.temporal[std::size_t(d)] * l.spatial[std::size_t(d)];
  }
  g.instances[0] = 1;
  for (int i = 0; i < L; ++i) {
    const LevelLoops& l = nest.levels[std::size_t(i)];
    g.instances[std::size_t(i) + 1] = g.instances[std::size_t(i)] * l.spatial[0] * l.spatial[1] * l.spatial[2];
  }
  return g;
}

std::string mapping_error(const Hierarchy& h, const GemmShape& shape, const LoopNest& nest) {
  if (std::string e = hierarchy_error(h); !e.empty()) return e;
  for (int d = 0; d < kDims; ++d)
    if (shape.size(d) < 1) return cat("layer: ", dim_name(d), " must be at least 1");
  if (double(shape.M) * double(shape.K) * double(shape.N) > kMaxMacs)
    return "layer: more than 2^62 MACs";
  if (nest.levels.size() != h.levels.size())
    return cat("loop nest: ", nest.levels.size(), " levels of loops for a hierarchy of ", h.levels.size(),
               " levels");
  const int L = h.size();
  // A product that overflows int64 cannot equal a valid size: it is reported
  // as "more than 2^63" instead of wrapping around to a plausible number.
  std::array<std::int64_t, kDims> product{1, 1, 1};
  std::array<bool, kDims> overflow{};
  for (int i = 0; i < L; ++i) {
    const LevelLoops& l = nest.levels[std::size_t(i)];
    std::array<bool, kDims> seen{};
    for (Dim d : l.order) {
      const int di = int(d);
      if (di < 0 || di >= kDims || seen[std::size_t(di)])
        return cat(level_label(h, i), ": loop order must name M, K and N once each");
      seen[std::size_t(di)] = true;
    }
    for (int d = 0; d < kDims; ++d) {
      const std::size_t du = std::size_t(d);
      if (l.temporal[du] < 1 || l.spatial[du] < 1)
        return cat(level_label(h, i), ": ", dim_name(d), " factors must be at least 1");
      overflow[du] = overflow[du] || __builtin_mul_overflow(product[du], l.temporal[du], &product[du]) ||
                     __builtin_mul_overflow(product[du], l.spatial[du], &product[du]);
    }
    const StorageLevel& lv = h.levels[std::size_t(i)];
    for (int a = 0; a < 2; ++a) {
      const FanoutAxis& ax = lv.fanout[std::size_t(a)];
      double on_axis = 1;
      for (int d = 0; d < kDims; ++d)
        if (spatial_axis(lv, d) == a) on_axis *= double(l.spatial[std::size_t(d)]);
      if (on_axis > double(ax.size))
        return cat(level_label(h, i), ": spatial factors M", l.spatial[0], " K", l.spatial[1], " N", l.spatial[2],
                   " need ", std::llround(on_axis), " instances along fan-out axis ", a, ", it has ", ax.size);
    }
    for (int d = 0; d < kDims; ++d)
      if (l.spatial[std::size_t(d)] > 1 && spatial_axis(lv, d) < 0)
        return cat(level_label(h, i), ": no fan-out axis admits spatial ", dim_name(d), l.spatial[std::size_t(d)]);
  }
  for (int d = 0; d < kDims; ++d)
    if (overflow[std::size_t(d)] || product[std::size_t(d)] != shape.size(d))
      return cat("loop nest: ", dim_name(d), " factors multiply to ",
                 overflow[std::size_t(d)] ? std::string("more than 2^63") : std::to_string(product[std::size_t(d)]),
                 ", the layer has ", dim_name(d), " = ", shape.size(d));
  const TileGeometry g = tile_geometry(nest);
  for (int i = 0; i < L; ++i)
    if (std::string e = capacity_error(h, i, g); !e.empty()) return e;
  return {};
}

void require_valid(const Hierarchy& h, const GemmShape& shape, const LoopNest& nest) {
  if (std::string e = mapping_error(h, shape, nest); !e.empty()) throw LoopNestError(e);
}

std::string describe(const Hierarchy& h, const LoopNest& nest) {
  std::string s;
  for (std::size_t i = 0; i < nest.levels.size(); ++i) {
    const LevelLoops& l = nest.levels[i];
    if (!s.empty()) s += ' ';
    s += i < h.levels.size() && !h.levels[i].name.empty() ? h.levels[i].name : cat('L', i);
    s += '[';
    for (int j = 0; j < kDims; ++j) {
      const int d = int(l.order[std::size_t(j)]);
      if (j) s += ' ';
      s += cat(dim_name(d), l.temporal[std::size_t(d)]);
    }
    s += ']';
    if (l.spatial[0] * l.spatial[1] * l.spatial[2] != 1) {
      s += " {";
      bool first = true;
      for (int d = 0; d < kDims; ++d)
        if (l.spatial[std::size_t(d)] != 1) {
          s += cat(first ? "" : " ", dim_name(d), l.spatial[std::size_t(d)]);
          first = false;
        }
      s += '}';
    }
  }
  return s;
}

LoopNest random_nest(std::mt19937_64& rng, const Hierarchy& h, const GemmShape& g) {
  const int L = h.size();
  LoopNest n;
  n.levels.resize(std::size_t(L));
  std::array<std::array<std::int64_t, 2>, kMaxLevels> used{};
  for (auto& u : used) u = {1, 1};
  for (int d = 0; d < kDims; ++d) {
    std::int64_t rest = g.size(d);
    for (std::int64_t p = 2; rest > 1;) {
      if (rest % p != 0) {
        ++p;
        continue;
      }
      rest /= p;
      const std::size_t i = std::size_t(rng() % std::uint64_t(L));
      const int a = spatial_axis(h.levels[i], d);
      if (rng() % 2 == 0 && a >= 0 && used[i][std::size_t(a)] * p <= h.levels[i].fanout[std::size_t(a)].size) {
        n.levels[i].spatial[std::size_t(d)] *= p;
        used[i][std::size_t(a)] *= p;
      } else {
        n.levels[i].temporal[std::size_t(d)] *= p;
      }
    }
  }
  for (LevelLoops& l : n.levels) std::shuffle(l.order.begin(), l.order.end(), rng);
  return n;
}

}  // namespace cimmc::loopnest

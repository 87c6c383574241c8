#include "loopnest/nest.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

#include "loopnest/text.hpp"

namespace cimmc::loopnest {

using text::cat;
using text::level_label;

namespace {

// Above this, counts could overflow int64.
constexpr double kMaxWords = 4611686018427387904.0;  // 2^62

std::string capacity_error(const Hierarchy& h, int i, const TileGeometry& g) {
  const StorageLevel& l = h.levels[std::size_t(i)];
  if (fits_capacity(l, g, i)) return {};
  const Capacity& c = l.capacity;
  // Only a failing level pays for the message.
  const std::int64_t copies = tile_copies(l);
  const std::string twice = copies == 2 ? " (double-buffered: two tiles)" : "";
  std::int64_t total = 0;
  for (Operand op : kAllOperands) {
    if (!l.keeps(op)) continue;
    const std::int64_t w = copies * g.words(i, op);
    total += w;
    if (c.kind == CapacityKind::per_operand && w > c.operand_words[int(op)])
      return cat(level_label(h, i), ": ", operand_name(op), " tile", twice, " of ", w,
                 " words exceeds its capacity of ", c.operand_words[int(op)], " words");
  }
  std::string parts;
  for (Operand op : kAllOperands)
    if (l.keeps(op)) parts += cat(parts.empty() ? "" : " + ", operand_name(op), ' ', copies * g.words(i, op));
  return cat(level_label(h, i), ": tiles", twice, " of ", total, " words (", parts,
             ") exceed its shared capacity of ", c.shared_words, " words");
}

}  // namespace

std::string shape_error(const ConvShape& shape) {
  double macs = 1;
  for (int d = 0; d < kDims; ++d) {
    if (shape.size(d) < 1) return cat("layer: ", dim_name(d), " must be at least 1");
    macs *= double(shape.size(d));
  }
  const std::pair<const char*, std::int64_t> steps[] = {{"stride_h", shape.stride_h},
                                                        {"stride_w", shape.stride_w},
                                                        {"dilation_h", shape.dilation_h},
                                                        {"dilation_w", shape.dilation_w}};
  for (auto [name, v] : steps)
    if (v < 1) return cat("layer: ", name, " must be at least 1");
  // Every count is at most the MACs or a few whole tensors; the input tensor
  // can outgrow the MACs when strides or dilations are huge.
  const double in = double(shape.G) * double(shape.N) * double(shape.C) *
                    (double(shape.P - 1) * double(shape.stride_h) + double(shape.R - 1) * double(shape.dilation_h) + 1) *
                    (double(shape.Q - 1) * double(shape.stride_w) + double(shape.S - 1) * double(shape.dilation_w) + 1);
  if (macs > kMaxWords || in > kMaxWords) return "layer: more than 2^62 MACs or input words";
  // An input window is at most its box x max(stride, dilation) per axis, so
  // every input count is at most this bound: keeping it in range keeps the
  // analytic model's products in int64.
  const double spread = double(std::max(shape.stride_h, shape.dilation_h)) *
                        double(std::max(shape.stride_w, shape.dilation_w));
  if (macs * spread > kMaxWords)
    return "layer: MACs x max(stride_h, dilation_h) x max(stride_w, dilation_w) exceed 2^62 (counts would overflow)";
  return {};
}

bool fits_capacity(const StorageLevel& l, const TileGeometry& g, int i) {
  const Capacity& c = l.capacity;
  if (c.kind == CapacityKind::unbounded) return true;
  const std::int64_t copies = tile_copies(l);
  std::int64_t total = 0;
  for (Operand op : kAllOperands) {
    if (!l.keeps(op)) continue;
    const std::int64_t w = copies * g.words(i, op);
    if (c.kind == CapacityKind::per_operand && w > c.operand_words[std::size_t(op)]) return false;
    total += w;
  }
  return c.kind != CapacityKind::shared || total <= c.shared_words;
}

int spatial_axis(const StorageLevel& l, int d) {
  for (int a = 0; a < 2; ++a)
    if (l.fanout[std::size_t(a)].size > 1 && (l.fanout[std::size_t(a)].dims >> d & 1u)) return a;
  return -1;
}

TileGeometry tile_geometry(const ConvShape& shape, const LoopNest& nest) {
  TileGeometry g;
  const int L = int(nest.levels.size());
  g.levels = L;
  g.stride_h = shape.stride_h;
  g.stride_w = shape.stride_w;
  g.dilation_h = shape.dilation_h;
  g.dilation_w = shape.dilation_w;
  // Built in locals: the result may alias nothing the compiler can rule out,
  // and storing through it would serialise the loops.
  std::array<std::int64_t, kDims> e = kUnitFactors;
  g.extent[std::size_t(L)] = e;
  for (int i = L - 1; i >= 0; --i) {
    const LevelLoops& l = nest.levels[std::size_t(i)];
    for (std::size_t d = 0; d < kDims; ++d) e[d] *= l.temporal[d] * l.spatial[d];
    g.extent[std::size_t(i)] = e;
  }
  std::int64_t n = 1;
  g.instances[0] = 1;
  for (int i = 0; i < L; ++i) {
    for (std::int64_t f : nest.levels[std::size_t(i)].spatial) n *= f;
    g.instances[std::size_t(i) + 1] = n;
  }
  return g;
}

std::string mapping_error(const Hierarchy& h, const ConvShape& shape, const LoopNest& nest) {
  if (std::string e = hierarchy_error(h); !e.empty()) return e;
  if (std::string e = shape_error(shape); !e.empty()) return e;
  if (nest.levels.size() != h.levels.size())
    return cat("loop nest: ", nest.levels.size(), " levels of loops for a hierarchy of ", h.levels.size(),
               " levels");
  const int L = h.size();
  // A product that overflows int64 cannot equal a valid size: it is reported
  // as "more than 2^63" instead of wrapping around to a plausible number.
  std::array<std::int64_t, kDims> product = kUnitFactors;
  std::array<bool, kDims> overflow{};
  for (int i = 0; i < L; ++i) {
    const LevelLoops& l = nest.levels[std::size_t(i)];
    std::array<bool, kDims> seen{};
    for (Dim d : l.order) {
      const int di = int(d);
      if (di < 0 || di >= kDims || seen[std::size_t(di)])
        return cat(level_label(h, i), ": loop order must name each of G N M C P Q R S once");
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
    for (int d = 0; d < kDims; ++d)
      if (l.spatial[std::size_t(d)] > 1 && spatial_axis(lv, d) < 0)
        return cat(level_label(h, i), ": no fan-out axis admits spatial ", dim_name(d), l.spatial[std::size_t(d)]);
    for (int a = 0; a < 2; ++a) {
      double on_axis = 1;
      for (int d = 0; d < kDims; ++d)
        if (spatial_axis(lv, d) == a) on_axis *= double(l.spatial[std::size_t(d)]);
      if (on_axis > double(lv.fanout[std::size_t(a)].size)) {
        std::string factors;
        for (int d = 0; d < kDims; ++d)
          if (spatial_axis(lv, d) == a && l.spatial[std::size_t(d)] > 1)
            factors += cat(factors.empty() ? "" : " ", dim_name(d), l.spatial[std::size_t(d)]);
        return cat(level_label(h, i), ": spatial factors ", factors, " need ", std::llround(on_axis),
                   " instances along fan-out axis ", a, ", it has ", lv.fanout[std::size_t(a)].size);
      }
    }
  }
  for (int d = 0; d < kDims; ++d)
    if (overflow[std::size_t(d)] || product[std::size_t(d)] != shape.size(d))
      return cat("loop nest: ", dim_name(d), " factors multiply to ",
                 overflow[std::size_t(d)] ? std::string("more than 2^63") : std::to_string(product[std::size_t(d)]),
                 ", the layer has ", dim_name(d), " = ", shape.size(d));
  const TileGeometry g = tile_geometry(shape, nest);
  for (int i = 0; i < L; ++i)
    if (std::string e = capacity_error(h, i, g); !e.empty()) return e;
  return {};
}

void require_valid(const Hierarchy& h, const ConvShape& shape, const LoopNest& nest) {
  if (std::string e = mapping_error(h, shape, nest); !e.empty()) throw LoopNestError(e);
}

std::string describe(const Hierarchy& h, const LoopNest& nest) {
  std::string s;
  for (std::size_t i = 0; i < nest.levels.size(); ++i) {
    const LevelLoops& l = nest.levels[i];
    if (!s.empty()) s += ' ';
    s += i < h.levels.size() && !h.levels[i].name.empty() ? h.levels[i].name : cat('L', i);
    std::string loops;
    for (Dim dd : l.order) {
      const int d = int(dd);
      if (d >= 0 && d < kDims && l.temporal[std::size_t(d)] != 1)
        loops += cat(loops.empty() ? "" : " ", dim_name(d), l.temporal[std::size_t(d)]);
    }
    s += cat('[', loops, ']');
    std::string spatial;
    for (int d = 0; d < kDims; ++d)
      if (l.spatial[std::size_t(d)] != 1) spatial += cat(spatial.empty() ? "" : " ", dim_name(d), l.spatial[std::size_t(d)]);
    if (!spatial.empty()) s += cat(" {", spatial, '}');
  }
  return s;
}

LoopNest random_nest(std::mt19937_64& rng, const Hierarchy& h, const ConvShape& g) {
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

#include "loopnest/analysis.hpp"

#include <algorithm>
#include <cstdlib>

namespace cimmc::loopnest {

namespace {

// One temporal loop with bound > 1, in nest order (outermost first).
// No member initializers: temporal_loops() writes every entry it uses, and
// clearing 64 unused entries per evaluation costs as much as the analysis.
struct TemporalLoop {
  int dim;
  bool block;           // G, N or C: input tiles along it are aligned blocks
  std::int64_t bound;
  std::int64_t outer;   // product of the bounds of the loops outside it
  std::int64_t step_h;  // input window rows one step moves: stride (P) or dilation (R) x coordinate step
  std::int64_t step_w;  // columns alike (Q, S)
};

struct TemporalLoops {
  std::array<TemporalLoop, std::size_t(kMaxLevels) * kDims> loop;
  std::array<int, kMaxLevels + 1> above;  // above[i]: loops of levels < i, a prefix of `loop`
  std::int64_t steps = 1;                 // product of every bound
};

TemporalLoops temporal_loops(const LoopNest& nest, const TileGeometry& g) {
  TemporalLoops t;
  int n = 0;
  // Table lookups instead of a switch on the dim: random nests make the
  // branches unpredictable, and mispredictions cost more than the analysis.
  std::array<std::int64_t, kDims> rows{}, cols{};
  rows[std::size_t(Dim::P)] = g.stride_h;
  rows[std::size_t(Dim::R)] = g.dilation_h;
  cols[std::size_t(Dim::Q)] = g.stride_w;
  cols[std::size_t(Dim::S)] = g.dilation_w;
  for (int i = 0; i < g.levels; ++i) {
    t.above[std::size_t(i)] = n;
    const LevelLoops& l = nest.levels[std::size_t(i)];
    for (Dim dd : l.order) {
      const std::size_t d = std::size_t(dd);
      const std::int64_t b = l.temporal[d];
      // Coordinates are mixed-radix numbers: one step of this loop skips the
      // spatial loop of the same level and the whole tile below. Written
      // always and kept when b > 1 (no branch, as above).
      const std::int64_t stride = l.spatial[d] * g.extent[std::size_t(i) + 1][d];
      const bool block = dd == Dim::G || dd == Dim::N || dd == Dim::C;
      t.loop[std::size_t(n)] = {int(d), block, b, t.steps, rows[d] * stride, cols[d] * stride};
      n += b != 1;
      t.steps *= b;
    }
  }
  t.above[std::size_t(g.levels)] = n;
  return t;
}

// Input words one instance of level i fetches over the whole nest. Its tile
// is a window (problem.hpp) whose origin moves with the temporal loops above
// level i. Consecutive tiles differ by one odometer transition "loop j steps,
// the loops inside it wrap to 0"; that happens outer_j x (bound_j - 1) times
// and always shifts the origin by the same vector, so each transition fetches
// |new \ old| = tile - overlap, a constant. Along G, N, C tiles are aligned
// blocks: any shift there (j or a loop inside it of that dim) leaves no
// overlap. Along H the shift is stride_h x (P shift) + dilation_h x (R shift)
// and the overlap max(0, window - |shift|); W alike. M moves nothing.
std::int64_t input_fills(const TemporalLoops& t, const TileGeometry& g, int i) {
  const auto& e = g.extent[std::size_t(i)];
  auto x = [&](Dim d) { return e[std::size_t(d)]; };
  const std::int64_t tile = g.words(i, Operand::inputs);
  const std::int64_t block = x(Dim::G) * x(Dim::N) * x(Dim::C);
  const std::int64_t wh = window(x(Dim::P), x(Dim::R), g.stride_h, g.dilation_h);
  const std::int64_t ww = window(x(Dim::Q), x(Dim::S), g.stride_w, g.dilation_w);
  // Sums over the loops inside the current one of (bound - 1) x their
  // window step: how far those loops' wrap-around moves the window back.
  std::int64_t wrap_h = 0, wrap_w = 0;
  bool blocked = false;       // a G, N or C loop at or inside the current one
  std::int64_t fills = tile;  // the first tile
  for (int j = t.above[std::size_t(i)]; j-- > 0;) {
    const TemporalLoop& lp = t.loop[std::size_t(j)];
    blocked |= lp.block;
    const std::int64_t dh = std::llabs(lp.step_h - wrap_h), dw = std::llabs(lp.step_w - wrap_w);
    const std::int64_t overlap = block * std::max<std::int64_t>(0, wh - dh) * std::max<std::int64_t>(0, ww - dw);
    fills += lp.outer * (lp.bound - 1) * (blocked ? tile : tile - overlap);
    wrap_h += (lp.bound - 1) * lp.step_h;
    wrap_w += (lp.bound - 1) * lp.step_w;
  }
  return fills;
}

}  // namespace

NestCounts analyze(const Hierarchy& h, const ConvShape& shape, const LoopNest& nest) {
  require_valid(h, shape, nest);
  return analyze_unchecked(h, shape, nest);
}

NestCounts analyze_unchecked(const Hierarchy& h, const ConvShape& shape, const LoopNest& nest) {
  const int L = h.size();
  const TileGeometry g = tile_geometry(shape, nest);
  const TemporalLoops t = temporal_loops(nest, g);
  NestCounts r;
  r.levels = L;
  r.macs = shape.macs();
  r.time_steps = t.steps;

  // visits[i][op]: how many times level i's tile of a block-indexed operand
  // (weights, outputs) changes (first fill included), per instance. Walking
  // the temporal loops above level i from the outside in, every loop up to
  // and including the innermost one relevant to op multiplies the count: it
  // changes the tile when it steps, or (if irrelevant) makes the relevant loop
  // inside it wrap around. Loops inside that one are irrelevant:
  // stationarity. So visits = the product of all bounds up to that loop.
  std::array<std::array<std::int64_t, kOperands>, kMaxLevels + 1> visits{};
  std::array<std::int64_t, kOperands> v{1, 1, 1};
  for (int i = 0, j = 0; i < L; ++i) {
    for (; j < t.above[std::size_t(i)]; ++j) {
      const TemporalLoop& lp = t.loop[std::size_t(j)];
      for (Operand op : kAllOperands)
        v[std::size_t(op)] = relevant(op, lp.dim) ? lp.outer * lp.bound : v[std::size_t(op)];
    }
    visits[std::size_t(i)] = v;
  }

  for (int i = 0; i < L; ++i) {
    LevelCounts& lc = r.level[std::size_t(i)];
    lc.instances = g.instances[std::size_t(i)];
    for (Operand op : kAllOperands)
      if (h.levels[std::size_t(i)].keeps(op)) lc.tile_words[std::size_t(op)] = g.words(i, op);
  }

  for (Operand op : kAllOperands) {
    const std::size_t o = std::size_t(op);
    const bool out = op == Operand::outputs;
    // Product of the op-relevant spatial factors on the fan-outs between the
    // holding level `parent` and the next holding level: the distinct
    // destinations one parent instance serves (inputs, weights: irrelevant
    // factors multicast) or tiles it receives (outputs: C, R, S factors are
    // reduced on the way up).
    auto relevant_spatial = [&](int i) {
      std::int64_t p = 1;
      for (int d = 0; d < kDims; ++d)
        if (relevant(op, d)) p *= nest.levels[std::size_t(i)].spatial[std::size_t(d)];
      return p;
    };
    int parent = 0;
    std::int64_t spread = 1;
    for (int i = 1; i < L; ++i) {
      spread *= relevant_spatial(i - 1);
      if (!h.levels[std::size_t(i)].keeps(op)) continue;
      const std::int64_t per_instance =
          op == Operand::inputs ? input_fills(t, g, i) : visits[std::size_t(i)][o] * g.words(i, op);
      const std::int64_t here = per_instance * g.instances[std::size_t(i)];
      const std::int64_t there = per_instance * g.instances[std::size_t(parent)] * spread;
      if (out) {
        r.level[std::size_t(i)].op[o].drains = here;  // one drain per residency: the whole tile
        r.level[std::size_t(parent)].op[o].updates += there;
      } else {
        r.level[std::size_t(i)].op[o].fills = here;
        r.level[std::size_t(parent)].op[o].reads += there;
      }
      parent = i;
      spread = 1;
    }
    // Compute units keep nothing: every time step each one reads its operands
    // (one read per destination, as above) and sends its product to the
    // innermost level keeping outputs (reduced across spatial C, R, S).
    spread *= relevant_spatial(L - 1);
    const std::int64_t compute = t.steps * g.instances[std::size_t(parent)] * spread;
    if (out)
      r.level[std::size_t(parent)].op[o].updates += compute;
    else
      r.level[std::size_t(parent)].op[o].reads += compute;
    if (out) {
      // Every residency of an output tile starts from nothing, and each of its
      // elements gets a first write (no read) before any read-modify-write;
      // level 0 has one residency of the whole tensor.
      for (int i = 0; i < L; ++i) {
        if (!h.levels[std::size_t(i)].keeps(op)) continue;
        AccessCounts& a = r.level[std::size_t(i)].op[o];
        const std::int64_t first = i == 0 ? shape.words(Operand::outputs) : a.drains;
        a.reads = a.updates - first;
      }
    }
  }

  r.job.shape = nest.levels[std::size_t(L) - 1].spatial;
  r.job.runs = t.steps * g.instances[std::size_t(L) - 1];
  return r;
}

}  // namespace cimmc::loopnest

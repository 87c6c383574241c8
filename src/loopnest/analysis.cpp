#include "loopnest/analysis.hpp"

namespace cimmc::loopnest {

NestCounts analyze(const Hierarchy& h, const GemmShape& shape, const LoopNest& nest) {
  require_valid(h, shape, nest);
  return analyze_unchecked(h, shape, nest);
}

NestCounts analyze_unchecked(const Hierarchy& h, const GemmShape& shape, const LoopNest& nest) {
  const int L = h.size();
  const TileGeometry g = tile_geometry(nest);
  NestCounts r;
  r.levels = L;
  r.macs = shape.macs();

  // visits[i][op]: how many times level i's tile of op changes (first fill
  // included), per instance. Walking the temporal loops above level i from the
  // outside in, every loop up to and including the innermost one that is
  // relevant to op (and has a bound > 1) multiplies the count: it changes the
  // tile when it steps, or (if irrelevant) makes the relevant loop inside it
  // wrap around. Loops inside that one are irrelevant: stationarity.
  // So visits = the product of all bounds up to that loop = `steps` as it
  // stood right after it.
  std::array<std::array<std::int64_t, kOperands>, kMaxLevels + 1> visits{};
  std::array<std::int64_t, kOperands> v{1, 1, 1};
  std::int64_t steps = 1;
  for (int i = 0; i < L; ++i) {
    visits[std::size_t(i)] = v;
    const LevelLoops& l = nest.levels[std::size_t(i)];
    for (Dim dd : l.order) {
      const int d = int(dd);
      const std::int64_t b = l.temporal[std::size_t(d)];
      if (b == 1) continue;
      steps *= b;
      for (Operand op : kAllOperands)
        if (relevant(op, d)) v[std::size_t(op)] = steps;
    }
  }
  r.time_steps = steps;

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
    // holding level `parent` and the next holding level: the distinct tiles one
    // parent instance serves (inputs, weights: irrelevant factors multicast) or
    // receives (outputs: K factors are reduced on the way up).
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
      const std::int64_t per_instance = visits[std::size_t(i)][o] * g.words(i, op);
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
    // (one read per distinct element per parent instance) and sends its product
    // to the innermost level keeping outputs (reduced across spatial K).
    spread *= relevant_spatial(L - 1);
    const std::int64_t compute = steps * g.instances[std::size_t(parent)] * spread;
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
        const std::int64_t first = i == 0 ? shape.M * shape.N : a.drains;
        a.reads = a.updates - first;
      }
    }
  }

  r.job.shape = nest.levels[std::size_t(L) - 1].spatial;
  r.job.runs = steps * g.instances[std::size_t(L) - 1];
  return r;
}

}  // namespace cimmc::loopnest

#include "loopnest/mapspace.hpp"

#include <algorithm>
#include <limits>

namespace cimmc::loopnest {

namespace {

constexpr std::uint64_t kSat = std::numeric_limits<std::uint64_t>::max();

std::uint64_t sat_mul(std::uint64_t a, std::uint64_t b) {
  std::uint64_t r;
  return __builtin_mul_overflow(a, b, &r) ? kSat : r;
}

std::uint32_t nontrivial_mask(const LevelLoops& l) {
  std::uint32_t m = 0;
  for (int d = 0; d < kDims; ++d)
    if (l.temporal[std::size_t(d)] > 1) m |= 1u << d;
  return m;
}

void reset(LoopNest& n) {
  for (LevelLoops& l : n.levels) {
    l.temporal.fill(1);
    l.spatial.fill(1);
  }
}

}  // namespace

std::uint64_t binomial(std::uint64_t n, std::uint64_t k) {
  if (k > n) return 0;
  k = std::min(k, n - k);
  // r = C(n - k + i, i) after step i: exact integer at every step.
  unsigned __int128 r = 1;
  for (std::uint64_t i = 1; i <= k; ++i) {
    r = r * (n - k + i) / i;
    if (r > kSat) return kSat;
  }
  return std::uint64_t(r);
}

Mapspace::Mapspace(const Hierarchy& h, const GemmShape& shape) : h_(h), shape_(shape) {
  if (std::string e = hierarchy_error(h); !e.empty()) throw LoopNestError(e);
  for (int d = 0; d < kDims; ++d) {
    if (shape.size(d) < 1) throw LoopNestError(std::string("layer: ") + dim_name(d) + " must be at least 1");
    std::vector<Slot>& s = slot_list_[std::size_t(d)];
    for (int i = 0; i < h.size(); ++i) {
      s.push_back({i, false});
      if (spatial_axis(h.levels[std::size_t(i)], d) >= 0) s.push_back({i, true});
    }
    slots_[std::size_t(d)] = int(s.size());
    std::int64_t n = shape.size(d);
    for (std::int64_t p = 2; p * p <= n; ++p) {
      int e = 0;
      for (; n % p == 0; n /= p) ++e;
      if (e) primes_[std::size_t(d)].push_back({p, e});
    }
    if (n > 1) primes_[std::size_t(d)].push_back({n, 1});
  }
  build_classes();
}

void Mapspace::build_classes() {
  const int L = h_.size();
  classes_.assign(std::size_t(L), std::vector<std::vector<std::array<Dim, kDims>>>(std::size_t(1) << kDims));
  for (int i = 0; i < L; ++i) {
    std::array<bool, kOperands> below{};
    for (int j = i + 1; j < L; ++j)
      for (Operand op : kAllOperands) below[std::size_t(op)] = below[std::size_t(op)] || h_.levels[std::size_t(j)].keeps(op);
    for (std::uint32_t mask = 0; mask < (1u << kDims); ++mask) {
      std::vector<int> loops, trivial;
      for (int d = 0; d < kDims; ++d) (mask >> d & 1u ? loops : trivial).push_back(d);
      std::vector<std::array<std::uint32_t, kOperands>> seen;
      do {
        // Signature: per operand kept below, the loops inside its innermost relevant one.
        std::array<std::uint32_t, kOperands> sig{};
        for (Operand op : kAllOperands) {
          if (!below[std::size_t(op)]) continue;
          std::uint32_t inside = 0;
          for (auto it = loops.rbegin(); it != loops.rend() && !relevant(op, *it); ++it) inside |= 1u << *it;
          sig[std::size_t(op)] = inside;
        }
        if (std::find(seen.begin(), seen.end(), sig) != seen.end()) continue;
        seen.push_back(sig);
        std::array<Dim, kDims> order{};
        std::size_t k = 0;
        for (int d : trivial) order[k++] = Dim(d);  // bound-1 loops: position irrelevant
        for (int d : loops) order[k++] = Dim(d);
        classes_[std::size_t(i)][mask].push_back(order);
      } while (std::next_permutation(loops.begin(), loops.end()));
    }
  }
}

std::uint64_t Mapspace::factorizations() const {
  std::uint64_t n = 1;
  for (int d = 0; d < kDims; ++d)
    for (const Prime& pr : primes_[std::size_t(d)])
      n = sat_mul(n, binomial(std::uint64_t(pr.e + slots_[std::size_t(d)] - 1), std::uint64_t(slots_[std::size_t(d)] - 1)));
  return n;
}

std::uint64_t Mapspace::size() const {
  std::uint64_t perms = 1;
  for (int d = 2; d <= kDims; ++d) perms *= std::uint64_t(d);
  std::uint64_t n = factorizations();
  for (int i = 0; i < h_.size(); ++i) n = sat_mul(n, perms);
  return n;
}

bool Mapspace::fits(const LoopNest& n) const {
  const int L = h_.size();
  for (int i = 0; i < L; ++i) {
    const StorageLevel& lv = h_.levels[std::size_t(i)];
    std::array<std::int64_t, 2> on_axis{1, 1};
    for (int d = 0; d < kDims; ++d) {
      const std::int64_t s = n.levels[std::size_t(i)].spatial[std::size_t(d)];
      if (s == 1) continue;
      const int a = spatial_axis(lv, d);
      if (a < 0) return false;
      on_axis[std::size_t(a)] *= s;
      if (on_axis[std::size_t(a)] > lv.fanout[std::size_t(a)].size) return false;
    }
  }
  const TileGeometry g = tile_geometry(n);
  for (int i = 0; i < L; ++i) {
    const StorageLevel& lv = h_.levels[std::size_t(i)];
    const Capacity& c = lv.capacity;
    if (c.kind == CapacityKind::unbounded) continue;
    std::int64_t total = 0;
    for (Operand op : kAllOperands) {
      if (!lv.keeps(op)) continue;
      const std::int64_t w = g.words(i, op);
      if (c.kind == CapacityKind::per_operand && w > c.operand_words[std::size_t(op)]) return false;
      total += w;
    }
    if (c.kind == CapacityKind::shared && total > c.shared_words) return false;
  }
  return true;
}

namespace {

// The recursive walk behind Mapspace::enumerate: dimension by dimension, each
// prime's exponent spread over the slots, a fits() check after each
// dimension, then one order class per level.
struct Walk {
  const std::function<void(const LoopNest&)>& visit;
  std::int64_t max_visits, max_nodes;
  std::int64_t visits = 0, nodes = 0;
  bool stopped = false;
  LoopNest cur;

  std::int64_t& slot(int level, bool spatial, int d) {
    LevelLoops& l = cur.levels[std::size_t(level)];
    return (spatial ? l.spatial : l.temporal)[std::size_t(d)];
  }
};

}  // namespace

bool Mapspace::enumerate(const std::function<void(const LoopNest&)>& visit, std::int64_t max_visits,
                         std::int64_t max_nodes) const {
  Walk w{visit, max_visits, max_nodes, 0, 0, false, {}};
  w.cur.levels.resize(std::size_t(h_.size()));
  reset(w.cur);
  const int L = h_.size();

  std::function<void(int)> orders = [&](int i) {
    if (w.stopped) return;
    if (i == L) {
      if (++w.visits > w.max_visits) {
        w.stopped = true;
        return;
      }
      w.visit(w.cur);
      return;
    }
    LevelLoops& l = w.cur.levels[std::size_t(i)];
    for (const auto& o : order_classes(i, nontrivial_mask(l))) {
      l.order = o;
      orders(i + 1);
      if (w.stopped) return;
    }
  };
  // Spread exponent `e` of prime `p` of dimension d over slots k.. of d.
  std::function<void(int, std::size_t, std::size_t, int)> spread = [&](int d, std::size_t pi, std::size_t k, int e) {
    if (w.stopped) return;
    const std::vector<Slot>& s = slot_list_[std::size_t(d)];
    const auto& pr = primes_[std::size_t(d)];
    if (pi == pr.size()) {
      if (++w.nodes > w.max_nodes) {
        w.stopped = true;
        return;
      }
      if (!fits(w.cur)) return;
      if (d + 1 == kDims)
        orders(0);
      else
        spread(d + 1, 0, 0, primes_[std::size_t(d) + 1].empty() ? 0 : primes_[std::size_t(d) + 1][0].e);
      return;
    }
    if (k + 1 == s.size()) {  // the last slot takes what is left
      std::int64_t& f = w.slot(s[k].level, s[k].spatial, d);
      const std::int64_t before = f;
      for (int t = 0; t < e; ++t) f *= pr[pi].p;
      spread(d, pi + 1, 0, pi + 1 < pr.size() ? pr[pi + 1].e : 0);
      f = before;
      return;
    }
    std::int64_t& f = w.slot(s[k].level, s[k].spatial, d);
    const std::int64_t before = f;
    for (int here = 0; here <= e; ++here) {
      spread(d, pi, k + 1, e - here);
      if (w.stopped) break;
      f *= pr[pi].p;
    }
    f = before;
  };
  spread(0, 0, 0, primes_[0].empty() ? 0 : primes_[0][0].e);
  return !w.stopped;
}

void Mapspace::sample(SplitMix64& rng, LoopNest& out) const {
  reset(out);
  for (int d = 0; d < kDims; ++d) {
    const std::vector<Slot>& s = slot_list_[std::size_t(d)];
    const std::uint64_t k = s.size();
    for (const Prime& pr : primes_[std::size_t(d)]) {
      // Stars and bars: a uniform choice of k - 1 bar positions among
      // e + k - 1 (selection sampling, in order).
      std::uint64_t n = std::uint64_t(pr.e) + k - 1, bars = k - 1;
      std::size_t slot = 0;
      for (std::uint64_t pos = 0; pos < std::uint64_t(pr.e) + k - 1; ++pos, --n) {
        if (rng.below(n) < bars) {
          --bars;
          ++slot;
        } else {
          LevelLoops& l = out.levels[std::size_t(s[slot].level)];
          (s[slot].spatial ? l.spatial : l.temporal)[std::size_t(d)] *= pr.p;
        }
      }
    }
  }
  for (int i = 0; i < h_.size(); ++i) {
    LevelLoops& l = out.levels[std::size_t(i)];
    const auto& c = order_classes(i, nontrivial_mask(l));
    l.order = c[std::size_t(rng.below(c.size()))];
  }
}

}  // namespace cimmc::loopnest

#include "loopnest/mapspace.hpp"

#include <algorithm>
#include <limits>
#include <set>

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

Mapspace::Mapspace(const Hierarchy& h, const ConvShape& shape) : h_(h), shape_(shape) {
  if (std::string e = hierarchy_error(h); !e.empty()) throw LoopNestError(e);
  if (std::string e = shape_error(shape); !e.empty()) throw LoopNestError(e);
  for (int d = 0; d < kDims; ++d) {
    std::vector<Slot>& s = slot_list_[std::size_t(d)];
    for (int i = 0; i < h.size(); ++i) {
      s.push_back({i, false});
      if (spatial_axis(h.levels[std::size_t(i)], d) >= 0) s.push_back({i, true});
    }
    slots_[std::size_t(d)] = int(s.size());
    std::int64_t n = shape.size(d);
    if (n > 1) varying_[std::size_t(n_varying_++)] = d;
    for (std::int64_t p = 2; p * p <= n; ++p) {
      int e = 0;
      for (; n % p == 0; n /= p) ++e;
      if (e) primes_[std::size_t(d)].push_back({p, e});
    }
    if (n > 1) primes_[std::size_t(d)].push_back({n, 1});
  }
  build_classes();
  build_divisors();
}

namespace {

// Order signature (PRUNING in mapspace.hpp) of `loops` (non-trivial dims,
// outermost first) for the operands flagged in `below`: per weights and
// outputs a mask, for inputs a mask and a sequence (4 bits a dim, 1-based).
using Signature = std::array<std::uint64_t, kOperands + 1>;

Signature signature(const std::vector<int>& loops, const std::array<bool, kOperands>& below) {
  Signature sig{};
  for (Operand op : {Operand::weights, Operand::outputs}) {
    if (!below[std::size_t(op)]) continue;
    std::uint64_t inside = 0;
    for (auto it = loops.rbegin(); it != loops.rend() && !relevant(op, *it); ++it) inside |= 1u << *it;
    sig[std::size_t(op)] = inside;
  }
  if (below[std::size_t(Operand::inputs)]) {
    std::size_t k = loops.size();  // first loop inside the innermost G, N or C loop
    while (k > 0 && loops[k - 1] != int(Dim::G) && loops[k - 1] != int(Dim::N) && loops[k - 1] != int(Dim::C)) --k;
    std::uint64_t outside = 0, inside = 0;
    for (std::size_t j = 0; j < k; ++j) outside |= 1u << loops[j];
    for (std::size_t j = k; j < loops.size(); ++j) inside = inside << 4 | std::uint64_t(loops[j] + 1);
    sig[std::size_t(Operand::inputs)] = outside;
    sig[kOperands] = inside;
  }
  return sig;
}

}  // namespace

void Mapspace::build_classes() {
  static_assert(kDims <= 15, "input order signatures pack a dim into 4 bits");
  const int L = h_.size();
  std::uint32_t layer_mask = 0;  // dims that can have a bound > 1
  for (int k = 0; k < n_varying_; ++k) layer_mask |= 1u << varying_[std::size_t(k)];
  std::vector<std::array<bool, kOperands>> patterns;
  for (int i = 0; i < L; ++i) {
    std::array<bool, kOperands> below{};
    for (int j = i + 1; j < L; ++j)
      for (Operand op : kAllOperands) below[std::size_t(op)] = below[std::size_t(op)] || h_.levels[std::size_t(j)].keeps(op);
    auto it = std::find(patterns.begin(), patterns.end(), below);
    table_of_[std::size_t(i)] = int(it - patterns.begin());
    if (it != patterns.end()) continue;
    patterns.push_back(below);
    std::vector<Orders>& table = tables_.emplace_back(std::size_t(1) << kDims);
    for (std::uint32_t mask = 0; mask < (1u << kDims); ++mask) {
      if ((mask & ~layer_mask) != 0) continue;  // never asked for
      std::vector<int> loops, trivial;
      for (int d = 0; d < kDims; ++d) (mask >> d & 1u ? loops : trivial).push_back(d);
      std::set<Signature> seen;
      do {
        if (!seen.insert(signature(loops, below)).second) continue;
        std::array<Dim, kDims> order{};
        std::size_t k = 0;
        for (int d : trivial) order[k++] = Dim(d);  // bound-1 loops: position irrelevant
        for (int d : loops) order[k++] = Dim(d);
        table[mask].push_back(order);
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
  const TileGeometry g = tile_geometry(shape_, n);
  for (int i = 0; i < L; ++i)
    if (!fits_capacity(h_.levels[std::size_t(i)], g, i)) return false;
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


namespace {

// Stars and bars: e copies of one prime over k slots, a uniform choice of the
// k - 1 bar positions among e + k - 1 (selection sampling, in order);
// `put(slot)` receives each copy.
template <class Put>
void spread_prime(SplitMix64& rng, int e, std::uint64_t k, const Put& put) {
  std::uint64_t n = std::uint64_t(e) + k - 1, bars = k - 1;
  std::size_t slot = 0;
  for (std::uint64_t pos = 0; pos < std::uint64_t(e) + k - 1; ++pos, --n) {
    if (rng.below(n) < bars) {
      --bars;
      ++slot;
    } else {
      put(slot);
    }
  }
}

}  // namespace

// Each prime of dimension d over d's slots; multiplies into `out`'s factors
// of d, which the caller has reset to 1.
void Mapspace::draw_dim(SplitMix64& rng, int d, LoopNest& out) const {
  const std::vector<Slot>& s = slot_list_[std::size_t(d)];
  for (const Prime& pr : primes_[std::size_t(d)])
    spread_prime(rng, pr.e, s.size(), [&](std::size_t k) {
      LevelLoops& l = out.levels[std::size_t(s[k].level)];
      (s[k].spatial ? l.spatial : l.temporal)[std::size_t(d)] *= pr.p;
    });
}

// The primes of `rest` (a divisor of d's size) over the temporal slots, one
// per level, uniformly; multiplies into `out`'s temporal factors of d.
void Mapspace::draw_rest(SplitMix64& rng, int d, std::int64_t rest, LoopNest& out) const {
  for (const Prime& pr : primes_[std::size_t(d)]) {
    int e = 0;
    for (; rest % pr.p == 0; rest /= pr.p) ++e;
    if (e > 0)
      spread_prime(rng, e, std::uint64_t(h_.size()),
                   [&](std::size_t k) { out.levels[k].temporal[std::size_t(d)] *= pr.p; });
  }
}

namespace {

void clear_dim(LoopNest& n, int d) {
  for (LevelLoops& l : n.levels) l.temporal[std::size_t(d)] = l.spatial[std::size_t(d)] = 1;
}

}  // namespace

void Mapspace::sample_uniform(SplitMix64& rng, LoopNest& out) const {
  reset(out);
  for (int d = 0; d < kDims; ++d) draw_dim(rng, d, out);
  draw_orders(rng, out);
}

bool Mapspace::sample(SplitMix64& rng, LoopNest& out) const {
  reset(out);
  // A fresh dimension order per draw (Fisher-Yates), so no dimension always
  // gets first pick of the capacities and fan-outs.
  std::array<int, kDims> dims = varying_;
  for (int k = n_varying_ - 1; k > 0; --k) std::swap(dims[std::size_t(k)], dims[rng.below(std::uint64_t(k) + 1)]);
  bool ok = n_varying_ > 0 || fits(out);  // a layer of all-1 dims still has to fit level 0
  for (int k = 0; k < n_varying_ && ok; ++k) {
    const int d = dims[std::size_t(k)];
    ok = false;
    for (int t = 0; t < kSampleRetries && !ok; ++t) {
      if (t > 0) clear_dim(out, d);
      draw_dim(rng, d, out);
      ok = fits(out);
    }
    if (!ok) {  // the whole dim as a level-0 loop: grows no tile below level 0
      clear_dim(out, d);
      out.levels[0].temporal[std::size_t(d)] = shape_.size(d);
      ok = fits(out);
    }
  }
  if (!ok) return false;
  draw_orders(rng, out);
  return true;
}

void Mapspace::draw_orders(SplitMix64& rng, LoopNest& out) const {
  for (int i = 0; i < h_.size(); ++i) {
    LevelLoops& l = out.levels[std::size_t(i)];
    const auto& c = order_classes(i, nontrivial_mask(l));
    l.order = c[std::size_t(rng.below(c.size()))];
  }
}

}  // namespace cimmc::loopnest

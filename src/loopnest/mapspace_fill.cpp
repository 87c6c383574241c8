// Mapspace::sample_filled (mapspace.hpp FILLED SAMPLING): fan-out axes first,
// innermost level first, then temporal factors.
#include <algorithm>

#include "loopnest/mapspace.hpp"

namespace cimmc::loopnest {

void Mapspace::build_divisors() {
  for (int d = 0; d < kDims; ++d) {
    const std::int64_t n = shape_.size(d);
    std::vector<std::int64_t>& v = divisors_[std::size_t(d)];
    for (std::int64_t x = 1; x * x <= n; ++x)
      if (n % x == 0) {
        v.push_back(x);
        if (x * x != n) v.push_back(n / x);
      }
    std::sort(v.begin(), v.end());
  }
}

namespace {

// What dimension d has left once the spatial factors already placed are out.
std::int64_t rest_of(const LoopNest& n, const ConvShape& shape, int d) {
  std::int64_t r = shape.size(d);
  for (const LevelLoops& l : n.levels) r /= l.spatial[std::size_t(d)];
  return r;
}

struct Fill {
  std::array<std::int64_t, kDims> f;
  std::int64_t product;
};

}  // namespace

void Mapspace::fill_axis(SplitMix64& rng, int level, int axis, LoopNest& out) const {
  const StorageLevel& lv = h_.levels[std::size_t(level)];
  const std::int64_t size = lv.fanout[std::size_t(axis)].size;
  if (size <= 1) return;
  std::array<int, kDims> dims{};
  std::array<std::int64_t, kDims> rest{};
  int n = 0;
  for (int k = 0; k < n_varying_; ++k) {
    const int d = varying_[std::size_t(k)];
    const std::int64_t r = rest_of(out, shape_, d);
    if (r > 1 && spatial_axis(lv, d) == axis) {
      dims[std::size_t(n++)] = d;
      rest[std::size_t(d)] = r;
    }
  }
  if (n == 0) return;
  // Greedy fills in shuffled dimension orders: the order decides which
  // dimension gets the room (C64 first leaves no room for R3 on 128 rows;
  // R3 first leaves room for C32: 96 rows).
  std::array<Fill, kFillTries> tries;
  std::int64_t best = 0;
  for (Fill& t : tries) {
    t.f = kUnitFactors;
    t.product = 1;
    for (int k = n - 1; k > 0; --k) std::swap(dims[std::size_t(k)], dims[rng.below(std::uint64_t(k) + 1)]);
    for (int k = 0; k < n; ++k) {
      const int d = dims[std::size_t(k)];
      const std::int64_t r = rest[std::size_t(d)], room = size / t.product;
      const std::vector<std::int64_t>& div = divisors_[std::size_t(d)];
      auto it = std::upper_bound(div.begin(), div.end(), room);  // past the largest <= room
      int skip = rng.below(4) == 0 ? 1 : 0;                       // sometimes the next one down
      std::int64_t f = 1;
      while (it != div.begin()) {
        --it;
        if (r % *it != 0) continue;
        f = *it;
        if (skip-- == 0) break;
      }
      t.f[std::size_t(d)] = f;
      t.product *= f;
    }
    best = std::max(best, t.product);
  }
  // One near-maximal fill at random, then the rest from the largest down.
  std::array<int, kFillTries> rank{};
  for (int k = 0; k < kFillTries; ++k) rank[std::size_t(k)] = k;
  // Insertion sort, stable like std::stable_sort but without its buffer
  // allocation on every axis of every draw.
  for (int k = 1; k < kFillTries; ++k)
    for (int j = k; j > 0 && tries[std::size_t(rank[std::size_t(j)])].product >
                                 tries[std::size_t(rank[std::size_t(j) - 1])].product;
         --j)
      std::swap(rank[std::size_t(j)], rank[std::size_t(j) - 1]);
  int near = 0;
  while (near < kFillTries && double(tries[std::size_t(rank[std::size_t(near)])].product) >= kNearMax * double(best)) ++near;
  std::swap(rank[0], rank[rng.below(std::uint64_t(near))]);
  LevelLoops& l = out.levels[std::size_t(level)];
  for (int k : rank) {
    const Fill& t = tries[std::size_t(k)];
    if (t.product == 1) continue;
    for (int j = 0; j < n; ++j) l.spatial[std::size_t(dims[std::size_t(j)])] = t.f[std::size_t(dims[std::size_t(j)])];
    if (fits(out)) return;
    for (int j = 0; j < n; ++j) l.spatial[std::size_t(dims[std::size_t(j)])] = 1;
  }
}

bool Mapspace::sample_filled(SplitMix64& rng, LoopNest& out) const {
  for (LevelLoops& l : out.levels) {
    l.temporal.fill(1);
    l.spatial.fill(1);
  }
  for (int i = h_.size() - 1; i >= 0; --i)
    for (int a = 0; a < 2; ++a) fill_axis(rng, i, a, out);
  // Temporal factors as in sample(): shuffled dimensions, retries, the
  // level-0 fallback (which grows no tile below level 0).
  std::array<int, kDims> dims = varying_;
  for (int k = n_varying_ - 1; k > 0; --k) std::swap(dims[std::size_t(k)], dims[rng.below(std::uint64_t(k) + 1)]);
  bool ok = fits(out);
  for (int k = 0; k < n_varying_ && ok; ++k) {
    const int d = dims[std::size_t(k)];
    const std::int64_t rest = rest_of(out, shape_, d);
    if (rest == 1) continue;
    ok = false;
    for (int t = 0; t < kSampleRetries && !ok; ++t) {
      for (LevelLoops& l : out.levels) l.temporal[std::size_t(d)] = 1;
      draw_rest(rng, d, rest, out);
      ok = fits(out);
    }
    if (!ok) {
      for (LevelLoops& l : out.levels) l.temporal[std::size_t(d)] = 1;
      out.levels[0].temporal[std::size_t(d)] = rest;
      ok = fits(out);
    }
  }
  if (!ok) return false;
  draw_orders(rng, out);
  return true;
}

}  // namespace cimmc::loopnest

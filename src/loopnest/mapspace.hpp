// The mapspace of a layer on a hierarchy (issue 12 item 3): every way to
// split each dimension's size into factors over its slots — a temporal slot
// at every level and a spatial slot at every fan-out with an axis admitting
// the dimension — times a loop order per level.
//
// SIZE (closed form). Dimension d of size prod p^e with s_d slots has
// prod_p C(e + s_d - 1, s_d - 1) ordered factorizations (each prime's
// exponent is spread over the slots independently: stars and bars). The raw
// space is the product over dimensions times (kDims!)^levels orders. Fan-out
// sizes and capacities are not in the closed form (they couple dimensions);
// enumeration counts what survives them.
//
// PRUNING (exact: no distinct cost is lost).
//  * Orders: a level's order changes the counts only through the levels
//    below it (analysis.cpp), and only through its loops with bound > 1.
//    Orders with the same signature, per operand kept somewhere below, are
//    one class; one representative is kept (so the innermost level has one
//    order). Weights and outputs (box tiles): the set of loops inside the
//    innermost relevant loop (they are stationarity; visits = the product
//    of the bounds outside). Inputs (sliding windows): the loops at or
//    outside the innermost G, N or C loop as a set (every step of each
//    refills the whole tile, and outer x (bound - 1) summed over a run of
//    such loops telescopes to an order-free total), and the loops inside it
//    as a sequence (the window's overlap on each step depends on which
//    P, Q, R, S, M loops wrap inside it and on their outer products). Classes
//    are built once per pattern of operands kept below and per set of
//    non-trivial loops that the layer allows (dims of size 1 never loop).
//  * Fan-outs and capacities: checked after each dimension is assigned. The
//    dimensions not assigned yet are 1 everywhere, so tile sizes and axis
//    products only grow as the assignment completes: a partial assignment
//    that breaks a rule has no legal completion.
//
// SAMPLING. sample_uniform draws every prime's exponent uniformly over its
// dimension's slots; on real layers most such draws break a fan-out or a
// capacity. sample (guided) assigns the dimensions of size > 1 one at a time
// in a shuffled order, checking fits() on the partial assignment after each
// (monotone, as above) and redrawing that dimension's split up to
// kSampleRetries times; if every retry fails the whole dimension becomes a
// level-0 temporal loop, which grows no tile below level 0 and no fan-out,
// so the partial assignment still fits. A guided draw is therefore illegal
// only when level 0 cannot hold the layer at all. It is no longer uniform
// over the raw space (each dimension is uniform given the ones before it
// and given that it fits, with the fallback's extra weight). Both samplers
// are pure functions of the generator's state.
//
// FILLED SAMPLING. Guided draws spread each prime uniformly over a
// dimension's slots, so a large spatial factor on a wide axis (C32 R3 on 128
// macro rows) needs several primes to land on the same slot: rare. On the
// ZigZag-like system a 10^4-draw search settled for 16 of 128 rows, at ~8x
// the macro energy per MAC of a full array. sample_filled first fills the
// fan-out axes, innermost level first (the compute array is where a
// half-empty tile costs most), each with a near-maximal product of divisors
// of what the admitted dimensions have left, then spreads what remains of
// each dimension over the temporal slots as sample does.
#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <vector>

#include "loopnest/hierarchy.hpp"
#include "loopnest/nest.hpp"
#include "loopnest/problem.hpp"

namespace cimmc::loopnest {

// SplitMix64: a small deterministic generator for sampled search.
struct SplitMix64 {
  std::uint64_t state;
  std::uint64_t operator()() {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  std::uint64_t below(std::uint64_t n) { return (*this)() % n; }  // bias < n / 2^64
};

// C(n, k) saturating at UINT64_MAX.
std::uint64_t binomial(std::uint64_t n, std::uint64_t k);

class Mapspace {
 public:
  // Throws LoopNestError when the hierarchy or the layer is invalid.
  Mapspace(const Hierarchy& h, const ConvShape& shape);

  int slots(int d) const { return slots_[std::size_t(d)]; }
  std::uint64_t factorizations() const;  // closed form, saturating
  std::uint64_t size() const;            // factorizations x (kDims!)^levels, saturating

  // Calls `visit` for every legal mapping, one per order class, in a fixed
  // order. Returns false (having stopped) as soon as visiting would exceed
  // `max_visits` mappings or checking `max_nodes` partial assignments.
  bool enumerate(const std::function<void(const LoopNest&)>& visit, std::int64_t max_visits,
                 std::int64_t max_nodes) const;

  // A uniform draw of the factors (every prime's exponent spread uniformly
  // over its dimension's slots) and, per level, a uniform order class; written
  // into `out` (already sized to the hierarchy: no allocation). May break
  // fan-out sizes or capacities: check with fits().
  void sample_uniform(SplitMix64& rng, LoopNest& out) const;

  // The guided draw (SAMPLING above) into `out`, sized as for
  // sample_uniform. Returns whether `out` fits (false only when level 0
  // cannot hold the layer; `out` is then some illegal nest); allocation-free.
  static constexpr int kSampleRetries = 8;
  bool sample(SplitMix64& rng, LoopNest& out) const;

  // The filled draw (FILLED SAMPLING above) into `out`, sized as for sample.
  // Per axis, kFillTries randomized greedy fills (dimensions in a shuffled
  // order, each taking its largest divisor that still fits the axis, or the
  // next one down with probability 1/4); one is chosen at random among those
  // whose product is at least kNearMax of the best's, and if the partial
  // nest no longer fits, the others are tried from the largest product down
  // (none fitting leaves the axis empty). Temporal factors then follow
  // sample's rules (retries, level-0 fallback). Same legality guarantee as
  // sample; allocation-free.
  static constexpr int kFillTries = 8;
  static constexpr double kNearMax = 0.75;
  bool sample_filled(SplitMix64& rng, LoopNest& out) const;

  // Fan-out axis products and capacities (the rest of mapping_error holds by
  // construction for what enumerate and sample produce).
  bool fits(const LoopNest& n) const;

  // The representative orders of level i when the loops of `nontrivial`
  // (bit d: dimension d has a temporal bound > 1) are the level's.
  // Precondition: only dimensions of size > 1 in `nontrivial`.
  const std::vector<std::array<Dim, kDims>>& order_classes(int level, std::uint32_t nontrivial) const {
    return tables_[std::size_t(table_of_[std::size_t(level)])][nontrivial];
  }

  const Hierarchy& hierarchy() const { return h_; }
  const ConvShape& shape() const { return shape_; }

  // Where dimension d's factors can go (a temporal slot per level, a spatial
  // one per fan-out admitting d, outermost first) and its size's primes.
  struct Slot {
    int level;
    bool spatial;
  };
  struct Prime {
    std::int64_t p;
    int e;
  };
  const std::vector<Slot>& slot_list(int d) const { return slot_list_[std::size_t(d)]; }
  const std::vector<Prime>& primes(int d) const { return primes_[std::size_t(d)]; }

 private:
  Hierarchy h_;
  ConvShape shape_;
  std::array<int, kDims> slots_{};
  std::array<std::vector<Slot>, kDims> slot_list_;
  std::array<std::vector<Prime>, kDims> primes_;
  std::array<int, kDims> varying_{};  // dims of size > 1 (the first n_varying_)
  int n_varying_ = 0;
  // Order classes: tables_[t][mask], one table per pattern of operands kept
  // below a level; table_of_[level] = t.
  using Orders = std::vector<std::array<Dim, kDims>>;
  std::vector<std::vector<Orders>> tables_;
  std::array<int, kMaxLevels> table_of_{};

  void build_classes();
  std::array<std::vector<std::int64_t>, kDims> divisors_;  // of each size, ascending

  void draw_dim(SplitMix64& rng, int d, LoopNest& out) const;
  // sample_filled's pieces (mapspace_fill.cpp).
  void build_divisors();
  void fill_axis(SplitMix64& rng, int level, int axis, LoopNest& out) const;
  void draw_rest(SplitMix64& rng, int d, std::int64_t rest, LoopNest& out) const;
  void draw_orders(SplitMix64& rng, LoopNest& out) const;
};

}  // namespace cimmc::loopnest

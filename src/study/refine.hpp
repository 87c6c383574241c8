// Which points a hybrid study samples (`--model hybrid`): the best `k` of the
// statistical screen by each objective (lowest energy, lowest latency,
// highest TOPS/mm^2, and highest SQNR where the screen predicts it), with
// `--pareto` also every point of the energy-latency Pareto front, and how
// their sampled rows replace the screen's. Ranked as network rows pass, so a
// streamed screen (study/hybrid_stream.hpp) needs no table of the sweep; the
// whole-sweep pass feeds its one table.
#pragma once
#include <cstddef>
#include <cstdint>
#include <set>
#include <tuple>
#include <utility>
#include <vector>

#include "io/table.hpp"

namespace cimmc {

// Positions of the points that no other point beats in both energy and
// latency (lower is better in each), in increasing order.
std::vector<std::size_t> pareto_front(const std::vector<double>& energy, const std::vector<double>& latency);

class RefineRanks {
 public:
  RefineRanks(std::size_t k, bool sqnr, bool pareto = false) : k_(k), sqnr_(sqnr), pareto_(pareto) {}
  // Network rows in point order (any number of calls). Per objective the
  // best k are kept, equals by the earlier point, as a stable sort of all
  // rows would order them.
  void add(const Table& network);
  // The sweep indices ("point" column) of every kept row, ascending.
  std::set<std::int64_t> points() const;
  // TOPS/mm^2 is a chiplet system's over its whole area (routers, NoP
  // interfaces and buffers besides the macros: system_tops_per_mm2), which
  // changes with the chiplet size where the macros' area does not.

 private:
  using Ranked = std::vector<std::pair<double, std::int64_t>>;  // (value, point), best first
  void keep(Ranked& r, double v, std::int64_t point, bool higher_is_better) const;
  void keep_front(double energy, double latency, std::int64_t point);
  std::size_t k_;
  bool sqnr_, pareto_;
  Ranked energy_, latency_, area_eff_, sqnr_db_;
  // Pareto candidates (energy, latency, point): the rows no other row seen
  // dominates (no worse in both, better in one); pareto_front of these is
  // that of all rows, since a dominated row is never on it.
  std::vector<std::tuple<double, double, std::int64_t>> front_;
};

// Rows of `base` with those of the `refined` points replaced by `fine`'s,
// ordered by point as always. `base` may hold any run of points; `fine`
// holds the refined points' rows (of these and maybe other points).
Table merge_rows(const Table& base, const Table& fine, const std::set<std::int64_t>& refined);

}  // namespace cimmc

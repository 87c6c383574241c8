// Which points a hybrid study samples (`--model hybrid`): the best `k` of the
// statistical screen by each objective (lowest energy, lowest latency,
// highest TOPS/mm^2, and highest SQNR where the screen predicts it), and how
// their sampled rows replace the screen's. Ranked as network rows pass, so a
// streamed screen (study/hybrid_stream.hpp) needs no table of the sweep; the
// whole-sweep pass feeds its one table.
#pragma once
#include <cstddef>
#include <cstdint>
#include <set>
#include <utility>
#include <vector>

#include "io/table.hpp"

namespace cimmc {

class RefineRanks {
 public:
  RefineRanks(std::size_t k, bool sqnr) : k_(k), sqnr_(sqnr) {}
  // Network rows in point order (any number of calls). Per objective the
  // best k are kept, equals by the earlier point, as a stable sort of all
  // rows would order them.
  void add(const Table& network);
  // The sweep indices ("point" column) of every kept row, ascending.
  std::set<std::int64_t> points() const;

 private:
  using Ranked = std::vector<std::pair<double, std::int64_t>>;  // (value, point), best first
  void keep(Ranked& r, double v, std::int64_t point, bool higher_is_better) const;
  std::size_t k_;
  bool sqnr_;
  Ranked energy_, latency_, area_eff_, sqnr_db_;
};

// Rows of `base` with those of the `refined` points replaced by `fine`'s,
// ordered by point as always. `base` may hold any run of points; `fine`
// holds the refined points' rows (of these and maybe other points).
Table merge_rows(const Table& base, const Table& fine, const std::set<std::int64_t>& refined);

}  // namespace cimmc

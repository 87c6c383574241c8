// Studies of any size in memory that does not grow with the number of points
// (issue 10). A chunk of points at a time is built from the sweep file,
// planned, priced, rolled up, and its rows appended to the output file
// (io/study_stream.hpp). Statistical jobs come from a bounded cache of
// analytic results; sampled ones from a byte-bounded store of results
// (study/sampled_store.hpp); either may evaluate a job twice, which changes
// nothing. A sampled run also appends each chunk's rows to its checkpoint log
// (io/checkpoint_log.hpp), from which --resume replays them. Nothing else
// keeps per-point state but the few rows the summary shows and, when sampled,
// 16 bytes of identity per unique tile job (which /jobs already lists).
//
// The rows are the ones run_study's pass gives for the whole sweep at once
// (same values, same order, same column types): tests/test_stream.cpp
// compares the two.
#pragma once
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "config/sweep.hpp"
#include "study/runner.hpp"

namespace cimmc {

using PointParams = std::vector<std::pair<std::string, std::string>>;

struct StreamedStudy {
  // Head of the file written (attributes as written; /jobs empty); `network`
  // holds only summary rows (of a shard's points, when sharded): every point's when there are at most 12, else
  // the first point's and those with the lowest energy, the lowest latency
  // and the best SQNR (first of equals), in point order.
  StudyFile file;
  std::vector<PointParams> params;  // of file.network's rows
  std::size_t layers = 1;           // per point (1 for a tile)
};

// `cimmc run` streams every study instead of loading the whole sweep
// (run_study, which remains for a hybrid's few refined points and tests);
// --model hybrid goes through study/hybrid_stream.hpp. Under MPI (opt.ranks)
// every rank calls run_streamed alike; rank 0 alone writes and gets the
// rows, the others return an empty StreamedStudy. With opt.shard, only that shard's points
// are computed, and the file says which (StudyFile::shard): a statistical
// shard is cut by count (equal_points), a sampled one by the cost of its
// jobs (split_points), for which every point is planned once first and 4
// bytes per (point, unique job) are kept.

// Explicit sweep points checked before any work, at most (each costs about a
// millisecond to build; the rest are checked when their chunk comes).
inline constexpr std::size_t kExplicitChecked = 10000;

// What a hybrid study (study/hybrid_stream.hpp) does with the rows of a
// streamed pass: `rows` sees, and may replace, each chunk's rows before they
// are kept; `jobs` are the /jobs rows the file ends with, `ranks` its /ranks
// (under MPI: the sampled pass's).
struct RowHook {
  std::function<void(Table& layers, Table& network)> rows;
  Table jobs, ranks;
};

// `prepare` is called on every point as it is built (the CLI's overrides and
// checks), and first on the points that take every swept value
// (SweepSource::every_value_indices), so a bad value fails before any work. opt.output "" keeps nothing but the summary rows. `chunk` points
// are planned and rolled up together (any chunk gives the same rows).
StreamedStudy run_streamed(const SweepSource& src, const std::function<void(SweepPoint&)>& prepare,
                           const StudyOptions& opt, StudyStats& stats, std::size_t chunk = 256,
                           const RowHook* hook = nullptr);

}  // namespace cimmc

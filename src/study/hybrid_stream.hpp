// `--model hybrid` on a sweep of any size (issue 10), in three passes that
// each hold a chunk of points: a statistical screen that only ranks the
// points (study/refine.hpp), a sampled run of the few best points, and the
// statistical pass again, written to the file with the sampled rows in
// place of the screen's. The screen is computed twice instead of kept: its
// tables are the sweep's size, and analytic jobs cost little beside sampling.
// The file is the one run_study's whole-sweep hybrid writes (tests/test_stream.cpp).
#pragma once
#include <cstddef>
#include <functional>

#include "study/stream_pass.hpp"

namespace cimmc {

// As run_streamed, for opt.model == Model::hybrid (no shard). Under MPI
// (opt.ranks) every rank calls it; rank 0 screens and writes alone, the
// refined points are sampled over all ranks, and the file's /ranks is that
// sampling's.
StreamedStudy run_hybrid_streamed(const SweepSource& src, const std::function<void(SweepPoint&)>& prepare,
                                  const StudyOptions& opt, StudyStats& stats, std::size_t chunk = 256);

}  // namespace cimmc

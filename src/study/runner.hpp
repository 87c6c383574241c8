// Runs a study (a sweep of hardware points over a network or a tile): plans a
// chunk of points, samples the chunk's unique tile jobs in one batch, rolls
// up, appends the rows, and checkpoints "<out>.partial" after every chunk.
// Rows depend only on (point config, seed), never on the chunking, so a study
// resumed from a checkpoint ends with the same tables as an uninterrupted one.
#pragma once
#include <cstddef>
#include <functional>
#include <string>

#include "cluster/ranks.hpp"
#include "config/sweep.hpp"
#include "engine/engine.hpp"
#include "io/study_file.hpp"
#include "study/refine.hpp"
#include "study/spread.hpp"

namespace cimmc {

// sampled: Monte Carlo tile jobs. statistical: every tile job evaluated
// analytically (independent operands; no sampling). hybrid: statistical for
// the whole study, then the best `refine` points per objective (lowest energy,
// lowest latency, highest TOPS/mm^2, highest SQNR), and with refine_pareto
// every point of the energy-latency Pareto front, sampled and their rows replaced.
enum class Model { sampled, statistical, hybrid };

struct StudyOptions {
  Model model = Model::sampled;
  std::size_t refine = 3;            // hybrid: points re-run sampled per objective
  bool refine_pareto = false;        // hybrid: also every point no other beats in both energy and latency
  // statistical, hybrid: the energy-only statistical model (statistical_energy):
  // no accuracy columns (NaN), rows marked "statistical_energy"; hybrid then
  // refines by energy and latency only.
  bool energy_only = false;
  EngineOptions engine;              // backend and threads (progress is set here)
  std::string output;                // "" = keep in memory only
  bool resume = false;               // continue from output + ".partial"
  std::size_t chunk_points = 8;      // points sampled together (per rank under MPI)
  // Bytes of sampled tile-job results held at once (study/job_budget.hpp):
  // a chunk samples in sub-batches within it. Any budget gives the same tables.
  std::size_t result_budget_bytes = std::size_t{1} << 30;
  // count > 0: compute only shard `index` of `count` (study/shard.hpp); the
  // file holds that shard's points and says which (StudyFile::shard).
  ShardLayout shard;
  Provenance prov;
  std::function<void(double fraction)> progress;
  // The ranks of an MPI run (null: one process). Every rank calls run_study
  // with the same sweep and options; sampled jobs are spread over the ranks
  // (study/spread.hpp), and only rank 0 rolls up, checkpoints and writes: the
  // others return an empty StudyFile. Statistical passes (cheap, analytic) run
  // whole on every rank, so hybrid picks the same points everywhere.
  cluster::Ranks* ranks = nullptr;
};

struct StudyStats {
  std::size_t points = 0, mappings = 0, pruned = 0, job_refs = 0, jobs_sampled = 0, points_resumed = 0;
  std::size_t jobs_statistical = 0, points_refined = 0;
  std::size_t layer_rows = 0;        // rows of /layers written
  std::size_t result_bytes_peak = 0;  // sampled results held at once, estimated (JobBudget::peak)
  double seconds = 0, sampling_seconds = 0;
  EngineTimes engine;                // sampled tile jobs: where their time went (engine.hpp)
  RankTally ranks;                   // MPI runs: each rank's share of the sampled jobs
};

// Returns the finished file contents (written to opt.output when set).
StudyFile run_study(const Sweep& sweep, const StudyOptions& opt, StudyStats& stats);

// Path of the checkpoint of an output file.
std::string partial_path(const std::string& output);

// A checkpoint `part` (read from `path`) may only continue the same study as
// `fresh`: same config text, seed, samples, points and shard; IoError if not.
void check_resumable(const StudyFile& part, const StudyFile& fresh, const std::string& path);

}  // namespace cimmc

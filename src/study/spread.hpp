// Sampling over the ranks of an MPI run (cluster/ranks.hpp): each chunk's
// new tile jobs are dealt by partition_jobs (study/partition.hpp), every rank
// samples its share with its own threads or GPU, and rank 0 receives the
// results and puts them back in the chunk's order. A job's draws depend only
// on (seed, job id, job), never on which rank sampled it or beside which other
// jobs, so rank 0 rolls up exactly what one process would.
#pragma once
#include <string>
#include <vector>

#include "cluster/ranks.hpp"
#include "engine/engine.hpp"
#include "io/table.hpp"
#include "study/plan.hpp"

namespace cimmc {

// What each rank sampled (rank 0 knows every rank's share: it makes the same
// partition).
struct RankTally {
  std::vector<std::size_t> jobs;
  std::vector<double> cost;  // job_cost, cell reads
  double my_seconds = 0;     // this rank's sampling time
};

// Plan jobs `need` sampled by the ranks together. Rank 0 gets every result,
// in `need` order; the other ranks get none. Collective: every rank calls it
// with the same `need`.
std::vector<JobResult> sample_over_ranks(const StudyPlan& plan, const std::vector<std::size_t>& need,
                                         const EngineOptions& eo, cluster::Ranks& ranks, RankTally& tally);

// Each rank's host, backend and device, gathered to rank 0 (collective; call
// once, before sampling).
std::vector<std::string> describe_ranks(cluster::Ranks& ranks, const std::string& backend, const std::string& device);

// The file's /ranks table (docs/hdf5-format.md): one row per rank. Collective
// (it gathers the sampling times); rank 0 gets the table, the others an empty one.
Table rank_table(cluster::Ranks& ranks, const std::vector<std::string>& described, const RankTally& tally);

}  // namespace cimmc

// Sampling over the ranks of an MPI run (cluster/ranks.hpp): each chunk's
// new tile jobs are dealt by deal_jobs (study/partition.hpp) onto the loads
// the ranks carry, every rank samples its share with its own threads or GPU,
// and rank 0 receives the results and puts them back in the chunk's order.
// The other ranks do not wait for rank 0 (study/pipeline.hpp): they send and
// go on with the next chunk. A job's draws depend only on (seed, job id, job),
// never on which rank sampled it or beside which other jobs, so rank 0 rolls
// up exactly what one process would.
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
  std::vector<double> cost;   // job_cost, cell reads, summed in `need` order
  std::vector<double> dealt;  // the same, summed as deal_lpt adds them: what the next deal starts from
  double my_seconds = 0;      // this rank's sampling time
  double my_wait_seconds = 0;  // rank 0: waiting for the others' results; the others: for rank 0 to take theirs
};

// Plan jobs `need` sampled by the ranks together. Rank 0 gets every result,
// in `need` order; the other ranks get none and return once their share is
// sent (at most kRoundsAhead calls ahead of rank 0). Every rank calls it with
// the same `need`, and calls finish_spread at the end.
std::vector<JobResult> sample_over_ranks(const StudyPlan& plan, const std::vector<std::size_t>& need,
                                         const EngineOptions& eo, cluster::Ranks& ranks, RankTally& tally);

// Waits until rank 0 has taken everything this rank sent.
void finish_spread(cluster::Ranks& ranks, RankTally& tally);

// Each rank's host, backend and device, gathered to rank 0 (collective; call
// once, before sampling).
std::vector<std::string> describe_ranks(cluster::Ranks& ranks, const std::string& backend, const std::string& device);

// The file's /ranks table (docs/hdf5-format.md): one row per rank. Collective
// (it gathers the sampling times); rank 0 gets the table, the others an empty one.
Table rank_table(cluster::Ranks& ranks, const std::vector<std::string>& described, const RankTally& tally);

}  // namespace cimmc

// Sampled tile-job results across the chunks of a streamed study
// (study/stream_pass.hpp), in memory bounded by a byte budget and by nothing
// the sweep's length adds but 16 bytes of identity per unique job.
//
// Each chunk's jobs are priced for the chunk's uses: those still held from
// earlier chunks at once, the rest after sampling them in sub-batches within
// what the held ones leave of the budget (study/job_budget.hpp). Results are
// then held, most recently used first, in at most half the budget; a job
// evicted and needed again is sampled again. Its draws depend only on (seed,
// job id, job), so the tables are the same bits for any budget; only time
// grows. /jobs rows are made the first time a job is sampled, so they come in
// the order of first use, as the whole-sweep pass lists them.
#pragma once
#include <cstddef>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "cluster/ranks.hpp"
#include "engine/engine.hpp"
#include "io/table.hpp"
#include "study/plan.hpp"
#include "study/rollup.hpp"
#include "study/spread.hpp"

namespace cimmc {

// One use of a tile job by a chunk: (job index in the plan, point, layer or null).
using PricedUse = std::tuple<std::size_t, const Config*, const LayerSpec*>;
using PricedUses = std::map<PricedUse, JobCost>;
using JobUses = std::map<std::size_t, std::vector<std::pair<const Config*, const LayerSpec*>>>;

// Each job's uses by the points [a, b) of `points`, as roll_up asks for them.
JobUses chunk_uses(const StudyPlan& plan, const std::vector<const Config*>& points, std::size_t a, std::size_t b);

struct JobIdHash {
  std::size_t operator()(const JobId& id) const { return static_cast<std::size_t>(id.lo ^ (id.hi * 0x9E3779B97F4A7C15ull)); }
};

class SampledStore {
 public:
  // digital: /jobs rows carry the adder-tree toggle columns (any digital point).
  SampledStore(std::size_t budget_bytes, bool digital) : budget_(budget_bytes), digital_(digital) {}

  struct Chunk {
    PricedUses priced;  // every use of every job of the chunk
    Table jobs;         // /jobs rows of the jobs sampled for the first time
    std::size_t sampled = 0;
  };
  // The chunk planned as `plan` over `points` (all of them). `eo.progress`,
  // when set, gets the fraction of the chunk's new jobs sampled. With
  // `ranks` (an MPI run), every rank calls it alike and the new jobs are
  // sampled over the ranks (study/spread.hpp); rank 0 alone gets results, so
  // only its Chunk has prices and rows, while the others hold the same jobs
  // without their results, which keeps every rank's decisions alike.
  Chunk run_chunk(const StudyPlan& plan, const std::vector<const Config*>& points, const EngineOptions& eo,
                  cluster::Ranks* ranks = nullptr, RankTally* tally = nullptr);

  // A resumed study: the jobs its file already lists (their job_id column).
  void mark_listed(const Table& jobs);
  std::size_t peak_bytes() const { return peak_; }  // estimated results held at once

 private:
  struct Held {
    JobId id;
    std::unique_ptr<JobResult> result;
    std::size_t bytes = 0;
  };
  // Whether `id` is held, and then made the most recent; `result` is its
  // result (null on ranks other than 0).
  bool find(const JobId& id, const JobResult*& result);
  void hold(const JobId& id, std::unique_ptr<JobResult> r, std::size_t bytes);

  std::size_t budget_, held_bytes_ = 0, peak_ = 0;
  bool digital_;
  std::list<Held> held_;  // most recently used first
  std::unordered_map<JobId, std::list<Held>::iterator, JobIdHash> index_;
  std::unordered_set<JobId, JobIdHash> listed_;
};

}  // namespace cimmc

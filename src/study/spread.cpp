#include "study/spread.hpp"

#include <chrono>
#include <cstring>
#include <string_view>

#include "engine/result_bytes.hpp"
#include "study/partition.hpp"
#include "study/shard.hpp"

namespace cimmc {

std::vector<JobResult> sample_over_ranks(const StudyPlan& plan, const std::vector<std::size_t>& need,
                                         const EngineOptions& eo, cluster::Ranks& ranks, RankTally& tally) {
  const std::size_t n = static_cast<std::size_t>(ranks.size());
  const std::uint32_t me = static_cast<std::uint32_t>(ranks.rank());
  const std::vector<std::uint32_t> owner = partition_jobs(plan, need, n);
  tally.jobs.resize(n, 0);
  tally.cost.resize(n, 0.0);
  std::vector<const Config*> cfgs;
  std::vector<JobId> ids;
  for (std::size_t k = 0; k < need.size(); ++k) {
    ++tally.jobs[owner[k]];
    tally.cost[owner[k]] += job_cost(plan.jobs[need[k]]);
    if (owner[k] != me) continue;
    cfgs.push_back(&plan.jobs[need[k]]);
    ids.push_back(plan.job_ids[need[k]]);
  }
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<JobResult> mine = cfgs.empty() ? std::vector<JobResult>{} : run_jobs(cfgs, ids, eo);
  tally.my_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::string bytes;
  for (const JobResult& r : mine) append_bytes(bytes, r);
  const std::vector<std::string> all = ranks.gather(bytes);
  if (me != 0) return {};
  // Each rank sent its jobs in `need` order: walk `need` once, taking from
  // the owner's message.
  std::vector<std::string_view> from(all.begin(), all.end());
  std::vector<JobResult> out;
  out.reserve(need.size());
  for (std::size_t k = 0; k < need.size(); ++k) out.push_back(take_result(from[owner[k]]));
  return out;
}

std::vector<std::string> describe_ranks(cluster::Ranks& ranks, const std::string& backend, const std::string& device) {
  // Tab-separated: host names, backends and device names hold no tabs.
  return ranks.gather(ranks.host() + '\t' + backend + '\t' + device);
}

Table rank_table(cluster::Ranks& ranks, const std::vector<std::string>& described, const RankTally& tally) {
  std::string secs(sizeof(double), '\0');
  std::memcpy(secs.data(), &tally.my_seconds, sizeof(double));
  const std::vector<std::string> times = ranks.gather(secs);
  Table t;
  for (std::size_t r = 0; r < described.size(); ++r) {
    const std::string& d = described[r];
    const std::size_t t1 = d.find('\t'), t2 = d.find('\t', t1 + 1);
    double seconds = 0;
    std::memcpy(&seconds, times[r].data(), sizeof(double));
    using I = std::int64_t;
    t.put("rank", static_cast<I>(r), "1", "MPI rank (rank 0 rolled up and wrote this file)");
    t.put("host", d.substr(0, t1), "1", "host name the rank ran on");
    t.put("backend", d.substr(t1 + 1, t2 - t1 - 1), "1", "backend the rank sampled with: cpu or cuda");
    t.put("device", d.substr(t2 + 1), "1", "the rank's CPU model level or GPU");
    t.put("jobs", static_cast<I>(r < tally.jobs.size() ? tally.jobs[r] : 0), "1",
          "tile jobs this rank sampled in this invocation (a resumed run counts from its checkpoint)");
    t.put("cost_cell_reads", r < tally.cost.size() ? tally.cost[r] : 0.0, "cell read",
          "estimated work of those jobs (job_cost), what the partition balanced");
    t.put("sampling_s", seconds, "s", "wall time the rank spent sampling its jobs");
  }
  return t;
}

}  // namespace cimmc

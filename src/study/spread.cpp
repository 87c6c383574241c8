#include "study/spread.hpp"

#include <chrono>
#include <cstring>
#include <string_view>

#include "engine/result_bytes.hpp"
#include "study/partition.hpp"
#include "study/pipeline.hpp"
#include "study/shard.hpp"

namespace cimmc {

namespace {
double since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}
}  // namespace

std::vector<JobResult> sample_over_ranks(const StudyPlan& plan, const std::vector<std::size_t>& need,
                                         const EngineOptions& eo, cluster::Ranks& ranks, RankTally& tally) {
  const std::size_t n = static_cast<std::size_t>(ranks.size());
  const std::uint32_t me = static_cast<std::uint32_t>(ranks.rank());
  tally.jobs.resize(n, 0);
  tally.cost.resize(n, 0.0);
  tally.dealt.resize(n, 0.0);
  const std::vector<std::uint32_t> owner = deal_jobs(plan, need, tally.dealt);
  std::vector<std::size_t> share(n, 0);
  std::vector<const Config*> cfgs;
  std::vector<JobId> ids;
  for (std::size_t k = 0; k < need.size(); ++k) {
    ++tally.jobs[owner[k]];
    ++share[owner[k]];
    tally.cost[owner[k]] += job_cost(plan.jobs[need[k]]);
    if (owner[k] != me) continue;
    cfgs.push_back(&plan.jobs[need[k]]);
    ids.push_back(plan.job_ids[need[k]]);
  }
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<JobResult> mine = cfgs.empty() ? std::vector<JobResult>{} : run_jobs(cfgs, ids, eo);
  tally.my_seconds += since(t0);
  const auto t1 = std::chrono::steady_clock::now();
  if (me != 0) {
    if (!mine.empty()) {  // a rank with no share sends nothing, and rank 0 expects nothing
      std::string bytes;
      for (const JobResult& r : mine) append_bytes(bytes, r);
      ranks.send_to_root(std::move(bytes), kRoundsAhead);
    }
    tally.my_wait_seconds += since(t1);
    return {};
  }
  // Rank 0 keeps its own results as they are and takes each other rank's
  // share, sent in `need` order, from its message.
  std::vector<std::string> from(n);
  for (std::size_t r = 1; r < n; ++r)
    if (share[r] > 0) from[r] = ranks.receive_from(static_cast<int>(r));
  tally.my_wait_seconds += since(t1);
  std::vector<std::string_view> rest(from.begin(), from.end());
  std::vector<JobResult> out;
  out.reserve(need.size());
  std::size_t own = 0;
  for (std::size_t k = 0; k < need.size(); ++k)
    out.push_back(owner[k] == 0 ? std::move(mine[own++]) : take_result(rest[owner[k]]));
  return out;
}

void finish_spread(cluster::Ranks& ranks, RankTally& tally) {
  const auto t0 = std::chrono::steady_clock::now();
  ranks.finish_sends();
  tally.my_wait_seconds += since(t0);
}

std::vector<std::string> describe_ranks(cluster::Ranks& ranks, const std::string& backend, const std::string& device) {
  // Tab-separated: host names, backends and device names hold no tabs.
  return ranks.gather(ranks.host() + '\t' + backend + '\t' + device);
}

Table rank_table(cluster::Ranks& ranks, const std::vector<std::string>& described, const RankTally& tally) {
  const double mine[2] = {tally.my_seconds, tally.my_wait_seconds};
  std::string secs(sizeof mine, '\0');
  std::memcpy(secs.data(), mine, sizeof mine);
  const std::vector<std::string> times = ranks.gather(secs);
  Table t;
  for (std::size_t r = 0; r < described.size(); ++r) {
    const std::string& d = described[r];
    const std::size_t t1 = d.find('\t'), t2 = d.find('\t', t1 + 1);
    double seconds[2] = {0, 0};
    std::memcpy(seconds, times[r].data(), sizeof seconds);
    using I = std::int64_t;
    t.put("rank", static_cast<I>(r), "1", "MPI rank (rank 0 rolled up and wrote this file)");
    t.put("host", d.substr(0, t1), "1", "host name the rank ran on");
    t.put("backend", d.substr(t1 + 1, t2 - t1 - 1), "1", "backend the rank sampled with: cpu or cuda");
    t.put("device", d.substr(t2 + 1), "1", "the rank's CPU model level or GPU");
    t.put("jobs", static_cast<I>(r < tally.jobs.size() ? tally.jobs[r] : 0), "1",
          "tile jobs this rank sampled in this invocation (a resumed run counts from its checkpoint)");
    t.put("cost_cell_reads", r < tally.cost.size() ? tally.cost[r] : 0.0, "cell read",
          "estimated work of those jobs (job_cost), what the partition balanced");
    t.put("sampling_s", seconds[0], "s", "wall time the rank spent sampling its jobs");
    t.put("waiting_s", seconds[1], "s",
          "wall time the rank waited: rank 0 for the others' results, the others for rank 0 to take theirs");
  }
  return t;
}

}  // namespace cimmc

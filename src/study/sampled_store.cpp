#include "study/sampled_store.hpp"

#include <algorithm>
#include <cstdio>

#include "study/job_budget.hpp"
#include "study/partition.hpp"
#include "study/tables.hpp"

namespace cimmc {

JobUses chunk_uses(const StudyPlan& plan, const std::vector<const Config*>& points, std::size_t a, std::size_t b) {
  JobUses out;
  for (std::size_t p = a; p < b; ++p) {
    const Config& c = *points[p];
    for (const LayerPlan& lp : plan.points[p].layers) {
      const std::pair use{&c, is_single_tile(c) ? nullptr : &c.network.layers[lp.layer]};
      for (const auto& ids : lp.jobs)
        for (std::size_t j : ids) {
          auto& u = out[j];
          if (std::find(u.begin(), u.end(), use) == u.end()) u.push_back(use);
        }
    }
  }
  return out;
}

bool SampledStore::find(const JobId& id, const JobResult*& result) {
  const auto it = index_.find(id);
  if (it == index_.end()) return false;
  held_.splice(held_.begin(), held_, it->second);
  result = held_.front().result.get();
  return true;
}

void SampledStore::hold(const JobId& id, std::unique_ptr<JobResult> r, std::size_t bytes) {
  if (bytes > budget_ / 2) return;  // would push out everything else: sampled again when needed
  held_.push_front(Held{id, std::move(r), bytes});
  index_[id] = held_.begin();
  held_bytes_ += bytes;
  while (held_bytes_ > budget_ / 2) {
    held_bytes_ -= held_.back().bytes;
    index_.erase(held_.back().id);
    held_.pop_back();
  }
}

void SampledStore::mark_listed(const Table& jobs) {
  const Column* col = jobs.find("job_id");
  if (!col) return;
  for (const std::string& hex : std::get<std::vector<std::string>>(col->data)) {
    JobId id;
    unsigned long long hi = 0, lo = 0;
    if (hex.size() != 32 || std::sscanf(hex.c_str(), "%16llx%16llx", &hi, &lo) != 2)
      throw std::invalid_argument("checkpoint: job_id '" + hex + "' is not 32 hex digits");
    id.hi = hi;
    id.lo = lo;
    listed_.insert(id);
  }
}

SampledStore::Chunk SampledStore::run_chunk(const StudyPlan& plan, const std::vector<const Config*>& points,
                                            const EngineOptions& eo, cluster::Ranks* ranks, RankTally* tally) {
  Chunk out;
  const bool root = !ranks || ranks->rank() == 0;
  const std::size_t n = points.size();
  const JobUses uses = chunk_uses(plan, points, 0, n);
  const auto price = [&](std::size_t j, const JobResult& r) {
    for (const auto& [point, layer] : uses.at(j))
      out.priced.emplace(PricedUse{j, point, layer}, sampled_job_cost(*point, layer, r));
  };
  std::vector<std::size_t> need;
  const std::vector<std::vector<std::size_t>> order = chunk_jobs(plan, PointRange{0, n}, n);  // not a temporary's member
  for (std::size_t j : order.front()) {
    const JobResult* r = nullptr;
    if (!find(plan.job_ids[j], r)) need.push_back(j);
    else if (root) price(j, *r);
  }

  // Half the budget samples (the other half holds results between chunks).
  JobBudget budget(plan, budget_ - budget_ / 2);
  std::size_t started = 0;
  for (const std::vector<std::size_t>& batch : budget.batches(need)) {
    EngineOptions bo = eo;
    if (eo.progress) {
      const double at = static_cast<double>(started) / need.size(), width = static_cast<double>(batch.size()) / need.size();
      bo.progress = [&eo, at, width](double f) { eo.progress(at + f * width); };
    }
    std::vector<JobResult> results;
    if (ranks) {
      results = sample_over_ranks(plan, batch, bo, *ranks, *tally);
    } else {
      std::vector<const Config*> cfgs;
      std::vector<JobId> ids;
      for (std::size_t j : batch) {
        cfgs.push_back(&plan.jobs[j]);
        ids.push_back(plan.job_ids[j]);
      }
      results = run_jobs(cfgs, ids, bo);
    }
    peak_ = std::max(peak_, held_bytes_ + budget.peak());
    started += batch.size();
    for (std::size_t k = 0; k < batch.size(); ++k) {
      const std::size_t j = batch[k];
      const std::size_t bytes = job_bytes(plan.jobs[j]).result;
      if (!root) {
        hold(plan.job_ids[j], nullptr, bytes);
        continue;
      }
      if (listed_.insert(plan.job_ids[j]).second)
        append_job_row(out.jobs, plan.job_keys[j], plan.job_ids[j], results[k], digital_);
      price(j, results[k]);
      hold(plan.job_ids[j], std::make_unique<JobResult>(std::move(results[k])), bytes);
      JobResult().hist.swap(results[k].hist);  // a result not held goes now, not with the batch
    }
  }
  out.sampled = need.size();
  return out;
}

}  // namespace cimmc

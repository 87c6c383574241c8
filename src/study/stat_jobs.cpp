#include "study/stat_jobs.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "config/config.hpp"
#include "study/tile_jobs.hpp"

namespace cimmc {

// The statistical model predicts analog events (DAC levels, column values,
// ADC codes); a digital macro's toggles it does not predict.
void refuse_digital(const Config& c) {
  if (c.macro.kind == MacroKind::digital)
    fail_config_key(c, "macro.kind", "digital",
                    "the statistical model (--model statistical or hybrid, cimmc validate) covers analog macros "
                    "only; run the sampled model (--model sampled)");
}

namespace {

// What jobs that differ only in their column count share.
std::string group_key(Config c) {
  c.tile.cols_used = 0;
  return job_key(c);
}

}  // namespace

std::vector<StatJob> evaluate_statistical(const std::vector<const Config*>& tile_cfgs,
                                          const std::vector<JobId>& job_ids, int threads,
                                          bool energy_only) {
  for (const Config* c : tile_cfgs) refuse_digital(*c);
  if (energy_only) {
    std::vector<StatJob> out(tile_cfgs.size());
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
    for (std::size_t k = 0; k < tile_cfgs.size(); ++k) {
      out[k].job = std::make_unique<BuiltJob>();
      build_job(*tile_cfgs[k], job_ids[k], *out[k].job, false);
      out[k].stat = statistical_energy(*out[k].job);
    }
    return out;
  }
  // Groups of jobs equal but for their column count, in order of first use.
  std::map<std::string, std::size_t> group_of;
  std::vector<std::vector<std::size_t>> groups;
  for (std::size_t k = 0; k < tile_cfgs.size(); ++k) {
    const auto [it, fresh] = group_of.emplace(group_key(*tile_cfgs[k]), groups.size());
    if (fresh) groups.emplace_back();
    groups[it->second].push_back(k);
  }
  std::vector<StatJob> out(tile_cfgs.size());
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
  for (std::size_t g = 0; g < groups.size(); ++g) {
    std::vector<BuiltJob*> jobs;
    for (std::size_t k : groups[g]) {
      out[k].job = std::make_unique<BuiltJob>();
      build_job(*tile_cfgs[k], job_ids[k], *out[k].job, false);
      jobs.push_back(out[k].job.get());
    }
    const AdcSpec& adc = tile_cfgs[groups[g].front()]->macro.adc;
    std::vector<StatResult> r = statistical_jobs(jobs, adc);
    for (std::size_t i = 0; i < r.size(); ++i) out[groups[g][i]].stat = std::move(r[i]);
  }
  return out;
}

StatJob evaluate_statistical(const Config& tile_cfg, JobId job_id) {
  return std::move(evaluate_statistical({&tile_cfg}, {job_id}, 1).front());
}

StatJob StatisticalJobCache::evaluate(const Config& tile_cfg, JobId job_id, bool energy_only) {
  if (energy_only) return std::move(evaluate_statistical({&tile_cfg}, {job_id}, 1, true).front());
  refuse_digital(tile_cfg);
  StatJob s;
  s.job = std::make_unique<BuiltJob>();
  build_job(tile_cfg, job_id, *s.job, false);
  auto [it, fresh] = groups_.try_emplace(group_key(tile_cfg));
  if (fresh) it->second = std::make_unique<StatisticalGroup>(*s.job, tile_cfg.macro.adc);
  s.stat = it->second->evaluate(*s.job);
  return s;
}

StatJob evaluate_statistical_at(const Config& tile_cfg, JobId job_id, const JobView& adc) {
  refuse_digital(tile_cfg);
  StatJob s;
  s.job = std::make_unique<BuiltJob>();
  build_job(tile_cfg, job_id, *s.job, false);
  JobView& v = s.job->view;
  v.adc_delta = adc.adc_delta;
  v.adc_mode = adc.adc_mode;
  std::copy_n(adc.adc_delta_q, kMaxPhysPerWeight, v.adc_delta_q);
  std::copy_n(adc.adc_inv_q, kMaxPhysPerWeight, v.adc_inv_q);
  std::copy_n(adc.adc_delta_cq, kMaxAdcRanges, v.adc_delta_cq);
  std::copy_n(adc.adc_inv_cq, kMaxAdcRanges, v.adc_inv_cq);
  s.stat = statistical_job(*s.job);
  return s;
}

std::string statistical_refusal(const MacroSpec& m) {
  if (m.slice_combine == SliceCombine::charge)
    return "macro.slice_combine is charge: the statistical model does not model the distribution of a weight's "
           "place-value-combined columns (sample it, or price energy alone with --energy-only)";
  if (m.wire_ohm > 0)
    return "macro.wire_ohm is set: the statistical model does not model IR drop (sample it, or price energy alone "
           "with --energy-only)";
  return "";
}

JobCost statistical_job_cost(const Config& point, const LayerSpec* layer, const StatJob& s) {
  const JobView& v = s.job->view;
  const Config tc = tile_config(point, layer, v.K, v.N);
  JobCost jc;
  jc.rep = price_statistical(*s.job, s.stat, make_energy_tables(tc, result_shell(v, "statistical")));
  jc.mse = s.stat.mse;
  jc.power = s.stat.ref_power;
  jc.err_mean = s.stat.err_mean;
  jc.clip_rate = s.stat.clip_rate;
  return jc;
}

}  // namespace cimmc

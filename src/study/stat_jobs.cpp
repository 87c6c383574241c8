#include "study/stat_jobs.hpp"

#include "study/tile_jobs.hpp"

namespace cimmc {

StatJob evaluate_statistical(const Config& tile_cfg, std::uint32_t job_id) {
  StatJob s;
  s.job = std::make_unique<BuiltJob>();
  build_job(tile_cfg, job_id, *s.job);
  s.stat = tile_cfg.macro.adc.range == AdcRange::calibrated
               ? statistical_job_calibrated(*s.job, tile_cfg.macro.adc.quantile)
               : statistical_job(*s.job);
  return s;
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

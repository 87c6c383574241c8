// The full statistical model against sampling to a +-1% (95%) CI on energy,
// one core, CPU time (issue 11: the model should cost at most what that
// sampling costs).
//
//   BM_stat_vs_sampling/macro5: the 16-level-cell macro of bench_macro.cpp
//     (macro_config(5): 128 x 128, 4-bit weights on one 16-level cell, one
//     8-bit DAC cycle, 8-bit ADC), one tile job.
//   BM_stat_vs_sampling/<config>: every unique tile job of point 0 of a shipped
//     configs/*.yaml; configs the full model does not cover (digital macros,
//     statistical_refusal, nothing to plan) are reported as skipped, with why.
//
// Per iteration, with process CPU time:
//   stat_ms      evaluate_statistical on all the jobs (build + classes + ADC
//                transfer + error moments, calibrated ranges included), what
//                `cimmc run --model statistical` does per tile job;
//   sampling_ms  run_jobs on all the jobs (build, calibration pilot where the
//                ADC is calibrated, sampling, assembly), each job with the
//                samples it needs for its own energy per MVM to have a 95% CI
//                of +-1%.
// Samples needed (outside the timing, once per benchmark): a variance pilot
// samples the job on 32 array instances (one per batch group; at most 4,096
// samples, at least 2 instances) and prices it; its batch-means standard error
// se_p at n_p samples scales as 1/sqrt(instances), so the job needs
//   n = n_p (1.96 se_p / (0.01 E))^2
// samples, rounded up to whole instances and at least 2 (the fewest that give
// a batch-group CI at all). A network's total energy, a sum of such jobs with
// independent errors, then has a CI of at most +-1% too.
// ratio = stat_ms / sampling_ms. Run with --benchmark_repetitions=3 for medians.
#include <benchmark/benchmark.h>

#include <time.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/sweep.hpp"
#include "engine/engine.hpp"
#include "macro_config.hpp"
#include "pricing/pricing.hpp"
#include "study/plan.hpp"
#include "study/stat_jobs.hpp"
#include "study/tile_jobs.hpp"

using namespace cimmc;

namespace {

double cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

struct Case {
  std::string skip;                    // why the full model does not apply; empty when it does
  std::vector<Config> jobs;            // single-tile configs, run.samples set to what a 1% CI needs
  std::vector<JobId> ids;
  std::uint64_t samples = 0, pilot_samples = 0;  // summed over the jobs
  double worst_ci_rel = 0;             // the variance pilot's largest CI half-width / energy
};

EngineOptions one_core() {
  EngineOptions o;
  o.backend = Backend::cpu;
  o.threads = 1;
  return o;
}

// Sets each job's run.samples to what a +-1% CI on its energy needs (file comment).
void size_samples(Case& c) {
  std::vector<const Config*> cfgs;
  for (Config& j : c.jobs) {
    const std::uint64_t per = static_cast<std::uint64_t>(j.run.inputs_per_instance);
    j.run.samples = std::max<std::uint64_t>(2, std::min<std::uint64_t>(kBatchGroups, 4096 / per)) * per;
    c.pilot_samples += j.run.samples;
    cfgs.push_back(&j);
  }
  const std::vector<JobResult> pilot = run_jobs(cfgs, c.ids, one_core());
  for (std::size_t k = 0; k < c.jobs.size(); ++k) {
    Config& j = c.jobs[k];
    const Report rep = price(pilot[k], make_energy_tables(j, pilot[k]));
    const double rel = 1.96 * rep.total_pj.se / rep.total_pj.mean;  // the 95% half-width / energy
    c.worst_ci_rel = std::max(c.worst_ci_rel, rel);
    const double per = j.run.inputs_per_instance;
    const double need = static_cast<double>(j.run.samples) * (rel / 0.01) * (rel / 0.01);
    j.run.samples = static_cast<std::uint64_t>(std::max(2.0, std::ceil(need / per)) * per);
    c.samples += j.run.samples;
  }
}

Case make_case(const std::string& name) {
  Case c;
  std::vector<Config> points;
  if (name == "macro5") {
    points.push_back(bench::macro_config(5));
  } else {
    try {
      points.push_back(load_sweep(std::string(CIMMC_SOURCE_DIR) + "/configs/" + name + ".yaml").points.at(0).config);
    } catch (const std::exception& e) {
      c.skip = std::string("not loaded: ") + e.what();
      return c;
    }
  }
  const Config& p = points.front();
  if (p.macro.kind == MacroKind::digital) c.skip = "digital macro";
  if (c.skip.empty()) c.skip = statistical_refusal(p.macro);
  if (!c.skip.empty()) return c;
  try {
    const StudyPlan plan = make_plan({&p}, 0, 1);
    c.jobs = plan.jobs;
    c.ids = plan.job_ids;
  } catch (const std::exception& e) {
    c.skip = std::string("not planned: ") + e.what();
    return c;
  }
  if (c.jobs.empty()) {
    c.skip = "no macro tile jobs";
    return c;
  }
  size_samples(c);
  return c;
}

void BM_stat_vs_sampling(benchmark::State& state, const std::string& name) {
  static std::map<std::string, std::unique_ptr<Case>> cache;  // pilots run once per benchmark, not per repetition
  auto& slot = cache[name];
  if (!slot) slot = std::make_unique<Case>(make_case(name));
  const Case& c = *slot;
  if (!c.skip.empty()) {
    state.SkipWithError(("the statistical model does not apply: " + c.skip).c_str());
    for (auto _ : state) {
    }
    return;
  }
  std::vector<const Config*> cfgs;
  for (const Config& j : c.jobs) cfgs.push_back(&j);
  double stat = 0, sampling = 0;
  for (auto _ : state) {
    const double t0 = cpu_seconds();
    const std::vector<StatJob> s = evaluate_statistical(cfgs, c.ids, 1);
    const double t1 = cpu_seconds();
    const std::vector<JobResult> r = run_jobs(cfgs, c.ids, one_core());
    const double t2 = cpu_seconds();
    benchmark::DoNotOptimize(s.data());
    benchmark::DoNotOptimize(r.data());
    stat += t1 - t0, sampling += t2 - t1;
  }
  const double it = static_cast<double>(state.iterations());
  state.counters["jobs"] = static_cast<double>(c.jobs.size());
  state.counters["samples"] = static_cast<double>(c.samples);
  state.counters["pilot_ci_pct"] = 100.0 * c.worst_ci_rel;
  state.counters["stat_ms"] = 1e3 * stat / it;
  state.counters["sampling_ms"] = 1e3 * sampling / it;
  state.counters["ratio"] = stat / sampling;
}

// One benchmark per shipped config (names only: nothing is loaded unless it runs).
const bool registered = [] {
  std::vector<std::string> names{"macro5"};
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(std::string(CIMMC_SOURCE_DIR) + "/configs"))
    if (e.path().extension() == ".yaml") files.push_back(e.path().stem().string());
  std::sort(files.begin(), files.end());
  names.insert(names.end(), files.begin(), files.end());
  for (const std::string& n : names)
    benchmark::RegisterBenchmark(("BM_stat_vs_sampling/" + n).c_str(),
                                 [n](benchmark::State& st) { BM_stat_vs_sampling(st, n); })
        ->Unit(benchmark::kMillisecond)
        ->Iterations(1);
  return true;
}();

}  // namespace

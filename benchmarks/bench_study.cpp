// Whole-network throughput on one core:
//   BM_resnet18_point: ResNet-18 at one hardware point (configs/resnet18.yaml)
//     with N samples per tile job; reports the 95% CI half-width of the total
//     energy relative to it, so the cheapest N meeting +-1% can be read off.
//   BM_resnet18_statistical: the same point by the statistical model.
//   BM_resnet18_statistical_energy: by its energy-only form.
//   BM_resnet18_mapping_rollup: its mappings enumerated and rolled up from
//     tile-job costs evaluated beforehand.
//   BM_sweep_subset: the first 32 points of configs/sweep-resnet18.yaml;
//     points/s, unique tile jobs/s and what dedupe saves.
#include <benchmark/benchmark.h>

#include <string>
#include <utility>

#include "config/sweep.hpp"
#include "study/plan.hpp"
#include "study/rollup.hpp"
#include "study/runner.hpp"
#include "study/stat_jobs.hpp"

using namespace cimmc;

namespace {

std::string config_path(const char* name) { return std::string(CIMMC_SOURCE_DIR) + "/configs/" + name; }

// Runs the study once per benchmark iteration on one CPU thread; returns the
// last run's file and statistics.
std::pair<StudyFile, StudyStats> time_study(benchmark::State& state, const Sweep& s, Model model,
                                            bool energy_only = false) {
  StudyOptions o;
  o.model = model;
  o.energy_only = energy_only;
  o.engine.backend = Backend::cpu;
  o.engine.threads = 1;
  std::pair<StudyFile, StudyStats> last;
  for (auto _ : state) {
    last.second = StudyStats{};
    last.first = run_study(s, o, last.second);
  }
  return last;
}

void BM_resnet18_point(benchmark::State& state) {
  Sweep s = load_sweep(config_path("resnet18.yaml"));
  s.points[0].config.run.samples = static_cast<std::uint64_t>(state.range(0));
  s.points[0].config.run.pilot_samples = static_cast<std::uint64_t>(state.range(0));
  const StudyFile f = time_study(state, s, Model::sampled).first;
  const auto& e = std::get<std::vector<double>>(f.network.find("total_pj")->data);
  const auto& ci = std::get<std::vector<double>>(f.network.find("total_pj_ci95")->data);
  state.counters["ci95_rel_percent"] = 100.0 * ci[0] / e[0];
}
BENCHMARK(BM_resnet18_point)->Arg(128)->Arg(256)->Arg(2000)->Unit(benchmark::kMillisecond);

// The statistical model on the same point: layer-mapping evaluations per second.
void BM_resnet18_statistical(benchmark::State& state) {
  const StudyStats st = time_study(state, load_sweep(config_path("resnet18.yaml")), Model::statistical).second;
  const double it = static_cast<double>(state.iterations());
  state.counters["layer_mappings/s"] = benchmark::Counter(it * st.mappings, benchmark::Counter::kIsRate);
  state.counters["jobs/s"] = benchmark::Counter(it * st.jobs_statistical, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_resnet18_statistical)->Unit(benchmark::kMillisecond)->Iterations(1);

// The energy-only statistical model (CiMLoop's scope: energy, no accuracy) on
// the same point, end to end: plan, every tile job, mapping roll-up, tables.
void BM_resnet18_statistical_energy(benchmark::State& state) {
  const StudyStats st =
      time_study(state, load_sweep(config_path("resnet18.yaml")), Model::statistical, true).second;
  const double it = static_cast<double>(state.iterations());
  state.counters["layer_mappings/s"] = benchmark::Counter(it * st.mappings, benchmark::Counter::kIsRate);
  state.counters["jobs/s"] = benchmark::Counter(it * st.jobs_statistical, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_resnet18_statistical_energy)->Unit(benchmark::kMillisecond);

// The mapper's share of a statistical study: with every tile job evaluated
// once (outside the timing), enumerating ResNet-18's mappings and rolling each
// one up from its tile jobs' costs. This is what a further mapping costs, the
// part CiMLoop amortizes its per-layer statistics over; the end-to-end figure
// is BM_resnet18_statistical's.
void BM_resnet18_mapping_rollup(benchmark::State& state) {
  const Sweep s = load_sweep(config_path("resnet18.yaml"));
  const std::vector<const Config*> points{&s.points[0].config};
  const StudyPlan once = make_plan(points, 0, 1);
  std::vector<const Config*> cfgs;
  for (const Config& c : once.jobs) cfgs.push_back(&c);
  const std::vector<StatJob> jobs = evaluate_statistical(cfgs, once.job_ids, 1);
  const JobPricer pricer = [&](std::size_t j, const Config& point, const LayerSpec* layer) {
    return statistical_job_cost(point, layer, jobs[j]);
  };
  std::size_t mappings = 0;
  for (auto _ : state) {
    const StudyPlan plan = make_plan(points, 0, 1);
    const RollUp ru = roll_up(plan, points, pricer);
    benchmark::DoNotOptimize(ru.network.data());
    mappings += plan.mappings;
  }
  state.counters["layer_mappings/s"] = benchmark::Counter(static_cast<double>(mappings), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_resnet18_mapping_rollup)->Unit(benchmark::kMillisecond);

void BM_sweep_subset(benchmark::State& state) {
  Sweep s = load_sweep(config_path("sweep-resnet18.yaml"));
  s.points.resize(32);
  const StudyStats st = time_study(state, s, Model::sampled).second;
  const double it = static_cast<double>(state.iterations());
  state.counters["points/s"] = benchmark::Counter(it * st.points, benchmark::Counter::kIsRate);
  state.counters["jobs/s"] = benchmark::Counter(it * st.jobs_sampled, benchmark::Counter::kIsRate);
  state.counters["dedupe_saves_percent"] = 100.0 * (1.0 - static_cast<double>(st.jobs_sampled) / st.job_refs);
}
BENCHMARK(BM_sweep_subset)->Unit(benchmark::kSecond)->Iterations(1);

}  // namespace

#include "study/stream_pass.hpp"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <optional>
#include <unordered_map>

#include "io/study_stream.hpp"
#include "study/plan.hpp"
#include "study/rollup.hpp"
#include "study/shard.hpp"
#include "study/stat_jobs.hpp"
#include "study/tables.hpp"

namespace cimmc {

namespace {

constexpr std::size_t kCachedJobs = 4096;  // analytic job results kept between chunks

const std::vector<double>& column(const Table& t, const char* name) {
  return std::get<std::vector<double>>(t.find(name)->data);
}

// The summary's rows (see StreamedStudy::file), kept as the chunks pass:
// rows are in point order and improvements must be strict, so the rows kept
// are the ones print_study_summary would pick from the whole table.
class SummaryRows {
 public:
  explicit SummaryRows(std::size_t total) : all_(total <= 12) {}
  void add(const Table& network, const std::vector<SweepPoint>& pts) {
    for (std::size_t i = 0; i < network.rows(); ++i) {
      append_row(rows_, network, i);
      params_.push_back(pts[i].params);
    }
    if (!all_) prune();
  }
  Table take_rows() { return std::move(rows_); }
  std::vector<PointParams> take_params() { return std::move(params_); }

 private:
  void prune() {
    const auto& e = column(rows_, "total_pj");
    const auto& lat = column(rows_, "latency_ns");
    const auto& sq = column(rows_, "sqnr_db");
    std::size_t be = 0, bl = 0, bs = 0;
    for (std::size_t i = 1; i < e.size(); ++i) {
      if (e[i] < e[be]) be = i;
      if (lat[i] < lat[bl]) bl = i;
      if (sq[i] > sq[bs]) bs = i;
    }
    Table kept;
    std::vector<PointParams> params;
    for (std::size_t i = 0; i < e.size(); ++i)
      if (i == 0 || i == be || i == bl || i == bs) {
        append_row(kept, rows_, i);
        params.push_back(std::move(params_[i]));
      }
    rows_ = std::move(kept);
    params_ = std::move(params);
  }
  bool all_;
  Table rows_;
  std::vector<PointParams> params_;
};

}  // namespace

bool streams(const StudyOptions& opt) { return opt.model == Model::statistical && !opt.ranks; }

StreamedStudy run_streamed(const SweepSource& src, const std::function<void(SweepPoint&)>& prepare,
                           const StudyOptions& opt, StudyStats& stats, std::size_t chunk) {
  const auto t0 = std::chrono::steady_clock::now();
  const std::size_t total = src.size();
  // A shard computes only its points (cut by count: study/shard.hpp).
  PointRange range{0, total};
  if (opt.shard.count > 0) range = equal_points(total, opt.shard.count, opt.shard.index);
  const std::size_t span = range.end - range.begin;
  const std::string model_name = opt.energy_only ? "statistical_energy" : "statistical";
  const int threads = opt.engine.threads > 0 ? opt.engine.threads : omp_get_max_threads();
  ParamColumns types;
  types.keys = src.keys();
  set_param_types(types, src.key_values());

  // Every swept value once before any work: a bad value far into a long
  // sweep was found only when its chunk came. A sweep of one chunk is
  // checked by the chunk itself.
  if (total > chunk) {
    const std::vector<std::size_t> star = src.every_value_indices(kExplicitChecked);
    for (std::size_t a = 0; a < star.size(); a += chunk) {
      const std::vector<std::size_t> part(star.begin() + std::ptrdiff_t(a),
                                          star.begin() + std::ptrdiff_t(std::min(star.size(), a + chunk)));
      for (SweepPoint& p : src.points_at(part)) prepare(p);
    }
  }

  StreamedStudy out;
  std::optional<StudyStream> file;
  if (!opt.output.empty()) file.emplace(opt.output, opt.output);
  std::unordered_map<std::string, std::shared_ptr<const StatJob>> cache;
  SummaryRows summary(span);
  std::size_t missing_se = 0;
  std::string ci_note;
  for (std::size_t a = range.begin; a < range.end; a += chunk) {
    const std::size_t b = std::min(range.end, a + chunk);
    std::vector<SweepPoint> pts = src.points(a, b);
    for (SweepPoint& p : pts) prepare(p);
    std::vector<const Config*> cfgs;
    for (const SweepPoint& p : pts) cfgs.push_back(&p.config);
    if (a == range.begin) {
      const Config& c = pts.front().config;
      out.file.prov = opt.prov;
      out.file.name = c.name;
      out.file.config_text = src.source_text();
      out.file.config_path = src.path();
      out.file.sweep_keys = src.keys();
      out.file.points_total = total;
      out.file.samples = c.run.samples;
      if (opt.shard.count > 0) out.file.shard = {opt.shard.index, opt.shard.count, range.begin, range.end};
      out.layers = c.network.layers.empty() ? 1 : c.network.layers.size();
    }
    const StudyPlan plan = make_plan(cfgs, 0, cfgs.size(), opt.engine.threads);
    stats.mappings += plan.mappings;
    stats.pruned += plan.pruned;
    stats.job_refs += plan.job_refs;

    const auto ts = std::chrono::steady_clock::now();
    std::vector<const Config*> need;
    std::vector<JobId> ids;
    std::vector<std::size_t> need_j;
    for (std::size_t j = 0; j < plan.jobs.size(); ++j)
      if (!cache.count(plan.job_keys[j])) {
        need.push_back(&plan.jobs[j]);
        ids.push_back(plan.job_ids[j]);
        need_j.push_back(j);
      }
    if (cache.size() + need.size() > kCachedJobs) {  // keep this chunk's own
      std::unordered_map<std::string, std::shared_ptr<const StatJob>> kept;
      for (const std::string& k : plan.job_keys)
        if (const auto it = cache.find(k); it != cache.end()) kept.emplace(k, it->second);
      cache = std::move(kept);
    }
    std::vector<StatJob> results = evaluate_statistical(need, ids, threads, opt.energy_only);
    for (std::size_t k = 0; k < need_j.size(); ++k)
      cache[plan.job_keys[need_j[k]]] = std::make_shared<const StatJob>(std::move(results[k]));
    stats.jobs_statistical += need.size();
    stats.sampling_seconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - ts).count();

    const JobPricer pricer = [&](std::size_t j, const Config& point, const LayerSpec* layer) {
      return statistical_job_cost(point, layer, *cache.at(plan.job_keys[j]));
    };
    const RollUp ru = roll_up(plan, cfgs, pricer);
    ParamColumns params = types;
    for (const SweepPoint& p : pts) {
      params.ids.push_back(p.index);
      std::vector<std::string>& row = params.values.emplace_back(params.keys.size());
      for (const auto& [key, value] : p.params)
        for (std::size_t k = 0; k < params.keys.size(); ++k)
          if (params.keys[k] == key) row[k] = value;
    }
    Table layers, network;
    append_layer_rows(layers, ru, params, model_name);
    append_network_rows(network, ru, params, model_name);
    const auto& se = column(network, "total_pj_se");
    for (std::size_t i = 0; i < se.size(); ++i)
      if (std::isnan(se[i]) && missing_se++ == 0)
        ci_note = no_ci_note(pts[i].config.run.samples, pts[i].config.run.inputs_per_instance);
    stats.layer_rows += layers.rows();
    if (file) file->append(layers, network);
    summary.add(network, pts);
    out.file.points_done = b - range.begin;
    if (opt.progress) opt.progress(static_cast<double>(b - range.begin) / span);
  }
  if (missing_se > 0) {
    if (ci_note.empty()) ci_note = "no CI: fewer than 2 batch groups of a tile job hold samples";
    out.file.ci_note = ci_note + " (" + std::to_string(missing_se) + " of " + std::to_string(span) + " points)";
  }
  out.file.complete = true;
  if (file) file->finish(out.file);
  out.file.network = summary.take_rows();
  out.params = summary.take_params();
  stats.points = span;
  stats.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

}  // namespace cimmc

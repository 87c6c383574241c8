#include "study/runner.hpp"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <map>
#include <set>
#include <tuple>
#include <utility>
#include <stdexcept>

#include "study/job_budget.hpp"
#include "study/partition.hpp"
#include "study/plan.hpp"
#include "study/plan_stream.hpp"
#include "study/refine.hpp"
#include "study/rollup.hpp"
#include "study/sampled_store.hpp"
#include "study/shard.hpp"
#include "study/spread.hpp"
#include "study/stat_jobs.hpp"
#include "study/tables.hpp"

namespace cimmc {

std::string partial_path(const std::string& output) { return output + ".partial"; }

void check_resumable(const StudyFile& part, const StudyFile& fresh, const std::string& path) {
  auto bad = [&](const std::string& what) {
    throw IoError("cannot resume from " + path + ": " + what + " differs from this run");
  };
  if (part.config_text != fresh.config_text) bad("the config text");
  if (part.prov.seed != fresh.prov.seed) bad("the seed");
  if (part.samples != fresh.samples) bad("run.samples");
  if (part.points_total != fresh.points_total) bad("the number of points");
  if (part.shard != fresh.shard) bad("the shard (--shard I/N and its point range)");
}

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// The explanation NaN standard errors come with: how many points have none,
// and why (their tile jobs' samples fit in one array instance).
std::string study_ci_note(const Sweep& sweep, const Table& network) {
  const Column* se_col = network.find("total_pj_se");
  const Column* point_col = network.find("point");
  if (!se_col || !point_col) return "";
  const auto& se = std::get<std::vector<double>>(se_col->data);
  const auto& point = std::get<std::vector<std::int64_t>>(point_col->data);
  std::size_t missing = 0, first = 0;
  for (std::size_t i = 0; i < se.size(); ++i)
    if (std::isnan(se[i]) && missing++ == 0) first = i;
  if (missing == 0) return "";
  std::string note;
  for (const SweepPoint& p : sweep.points)
    if (static_cast<std::int64_t>(p.index) == point[first])
      note = no_ci_note(p.config.run.samples, p.config.run.inputs_per_instance);
  if (note.empty()) note = "no CI: fewer than 2 batch groups of a tile job hold samples";
  return note + " (" + std::to_string(missing) + " of " + std::to_string(se.size()) + " points)";
}

StudyFile empty_file(const Sweep& sweep, const StudyOptions& opt) {
  StudyFile out;
  out.prov = opt.prov;
  out.name = sweep.points.front().config.name;
  out.config_text = sweep.source_text;
  out.config_path = sweep.path;
  out.sweep_keys = sweep.keys;
  out.points_total = sweep.points.size();
  out.samples = sweep.points.front().config.run.samples;
  return out;
}

// Tile-job results of one model, filled chunk by chunk and dropped after
// their last use.
struct JobStore {
  std::vector<std::unique_ptr<JobResult>> sampled;
  std::vector<std::unique_ptr<StatJob>> stat;
  bool has(std::size_t j) const { return (j < sampled.size() && sampled[j]) || (j < stat.size() && stat[j]); }
  void drop(std::size_t j) {
    sampled[j].reset();
    stat[j].reset();
  }
};

std::vector<const Config*> job_configs(const StudyPlan& plan, const std::vector<std::size_t>& jobs) {
  std::vector<const Config*> out;
  for (std::size_t j : jobs) out.push_back(&plan.jobs[j]);
  return out;
}
std::vector<JobId> job_ids(const StudyPlan& plan, const std::vector<std::size_t>& jobs) {
  std::vector<JobId> out;
  for (std::size_t j : jobs) out.push_back(plan.job_ids[j]);
  return out;
}

// One pass over the sweep with one model (sampled or statistical); keeps a
// checkpoint and writes the output when opt.output is set.
StudyFile run_pass(const Sweep& sweep, const StudyOptions& opt, Model model, StudyStats& stats) {
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<const Config*> points;
  for (const SweepPoint& p : sweep.points) points.push_back(&p.config);
  const bool digital = std::any_of(points.begin(), points.end(),
                                   [](const Config* c) { return c->macro.kind == MacroKind::digital; });
  const ParamColumns params = param_columns(sweep);
  const std::string model_name =
      model == Model::sampled ? "sampled" : opt.energy_only ? "statistical_energy" : "statistical";
  StudyFile out = empty_file(sweep, opt);
  std::set<std::string> jobs_listed;  // /jobs holds each job once, in order of first use

  // One plan for the whole study, so every unique tile job is known up front:
  // a job is evaluated when a chunk first needs it and dropped after its last
  // use. A sampled shard plans every point too: its cut depends on all of
  // them (a statistical one is cut by count: study/shard.hpp).
  // The mapping spaces are planned per chunk again (study/plan_stream.hpp).
  const std::size_t total = points.size();
  const StreamPlan stream = plan_skeleton(points, 256, opt.engine.threads);
  const StudyPlan& plan = stream.skeleton;
  PointRange range{0, total};
  if (opt.shard.count > 0) {
    range = model == Model::statistical ? equal_points(total, opt.shard.count, opt.shard.index)
                                        : split_points(plan, opt.shard.count).at(opt.shard.index);
    out.shard = opt.shard;
    out.shard.begin = range.begin;
    out.shard.end = range.end;
  }

  // Under MPI, sampled jobs are spread over the ranks and only rank 0 keeps
  // rows; statistical passes run whole everywhere (see StudyOptions::ranks).
  cluster::Ranks* ranks = opt.ranks;
  const bool spread = ranks && model == Model::sampled;
  const bool keep_rows = !spread || ranks->rank() == 0;
  const std::size_t span = chunk_span(opt.chunk_points, ranks ? ranks->size() : 1);

  // Only sampled passes checkpoint: statistical ones cannot resume (run_study
  // refuses), and rewriting the growing file after every chunk cost a
  // 1,024-point statistical sweep more than its model did.
  const std::string partial =
      opt.output.empty() || model != Model::sampled || !keep_rows ? "" : partial_path(opt.output);
  if (opt.resume && keep_rows) {
    if (partial.empty() || !std::filesystem::exists(partial))
      throw IoError("--resume: no checkpoint " + (partial.empty() ? std::string("(no -o given)") : partial));
    StudyFile part = read_study_file(partial);
    check_resumable(part, out, partial);
    out.points_done = part.points_done;
    out.layers = std::move(part.layers);
    out.network = std::move(part.network);
    out.jobs = std::move(part.jobs);
    if (const Column* keys = out.jobs.find("key"))
      for (const std::string& k : std::get<std::vector<std::string>>(keys->data)) jobs_listed.insert(k);
    stats.points_resumed = out.points_done;
  }
  if (opt.resume && spread)  // the other ranks start where rank 0's checkpoint ends
    out.points_done = std::stoull(ranks->broadcast(std::to_string(out.points_done)));

  std::vector<std::size_t> last_use(plan.jobs.size(), 0);
  for (const PointPlan& pp : plan.points)
    for (const LayerPlan& lp : pp.layers)
      for (const auto& ids : lp.jobs)
        for (std::size_t j : ids) last_use[j] = std::max(last_use[j], pp.point);
  stats.mappings += plan.mappings;
  stats.pruned += plan.pruned;
  stats.job_refs += plan.job_refs;
  JobStore store;
  store.sampled.resize(plan.jobs.size());
  store.stat.resize(plan.jobs.size());
  JobBudget budget(plan, opt.result_budget_bytes);

  const std::size_t span_points = range.end - range.begin;
  const PointRange todo{range.begin + out.points_done, range.end};
  for (std::size_t a = todo.begin; a < todo.end; a += span) {
    const std::size_t b = std::min(range.end, a + span);
    // The chunk's jobs in first-use order, less those an earlier chunk left
    // in the store: every job when resuming, only new ones otherwise (and
    // any the budget made an earlier chunk drop).
    std::vector<std::size_t> need;
    const std::vector<std::vector<std::size_t>> used = chunk_jobs(plan, PointRange{a, b}, b - a);
    for (std::size_t j : used.front())
      if (!(model == Model::sampled ? budget.kept(j) : store.has(j))) need.push_back(j);
    const auto ts = std::chrono::steady_clock::now();
    // Sampled jobs are priced for the chunk's uses as soon as their batch
    // ends, so only those a later chunk needs stay whole (study/job_budget.hpp).
    PricedUses priced;
    if (model == Model::statistical) {
      // Analytic jobs are deterministic: any thread order.
      std::vector<const Config*> cfgs;
      std::vector<JobId> ids;
      for (std::size_t j : need) {
        cfgs.push_back(&plan.jobs[j]);
        ids.push_back(plan.job_ids[j]);
      }
      const int threads = opt.engine.threads > 0 ? opt.engine.threads : omp_get_max_threads();
      std::vector<StatJob> results = evaluate_statistical(cfgs, ids, threads, opt.energy_only);
      for (std::size_t k = 0; k < need.size(); ++k) store.stat[need[k]] = std::make_unique<StatJob>(std::move(results[k]));
      stats.jobs_statistical += need.size();
      if (opt.progress) opt.progress(static_cast<double>(b - range.begin) / span_points);
    } else {
      const auto uses = chunk_uses(plan, points, a, b);
      std::size_t started = 0;
      for (const std::vector<std::size_t>& batch : budget.batches(need)) {
        EngineOptions eo = opt.engine;
        eo.times = &stats.engine;
        if (opt.progress) {
          const double width = static_cast<double>(b - a) / need.size();
          const double done = (a - range.begin) + width * started, bw = width * batch.size();
          eo.progress = [&, done, bw](double f) { opt.progress((done + f * bw) / span_points); };
        }
        std::vector<JobResult> results = spread ? sample_over_ranks(plan, batch, eo, *ranks, stats.ranks)
                                                : run_jobs(job_configs(plan, batch), job_ids(plan, batch), eo);
        stats.jobs_sampled += batch.size();
        started += batch.size();
        for (std::size_t k = 0; k < batch.size(); ++k) {
          const std::size_t j = batch[k];
          const bool later = last_use[j] >= b && budget.keep(j);  // every rank: they decide alike
          if (!keep_rows) continue;
          if (jobs_listed.insert(plan.job_keys[j]).second)
            append_job_row(out.jobs, plan.job_keys[j], plan.job_ids[j], results[k], digital);
          for (const auto& [point, layer] : uses.at(j))
            priced.emplace(PricedUse{j, point, layer}, sampled_job_cost(*point, layer, results[k]));
          if (later) store.sampled[j] = std::make_unique<JobResult>(std::move(results[k]));
          JobResult().hist.swap(results[k].hist);  // free it now, not with the batch
        }
      }
      stats.result_bytes_peak = std::max(stats.result_bytes_peak, budget.peak());
    }
    stats.sampling_seconds += seconds_since(ts);
    out.points_done = b - range.begin;
    if (keep_rows) {
      const StudyPlan chunk = plan_points(stream, points, a, b, opt.engine.threads);  // job indices stay global
      const JobPricer pricer = [&](std::size_t j, const Config& point, const LayerSpec* layer) {
        if (model == Model::statistical) return statistical_job_cost(point, layer, *store.stat[j]);
        const auto it = priced.find(PricedUse{j, &point, layer});
        return it != priced.end() ? it->second : sampled_job_cost(point, layer, *store.sampled[j]);
      };
      const RollUp ru = roll_up(chunk, points, pricer);
      append_layer_rows(out.layers, ru, params, model_name);
      append_network_rows(out.network, ru, params, model_name);
    }
    for (std::size_t j = 0; j < plan.jobs.size(); ++j)
      if (last_use[j] < b) {
        if (store.has(j)) store.drop(j);
        budget.release(j);
      }
    if (keep_rows && !partial.empty() && b < range.end) write_study_file(partial, out);
  }
  if (spread) finish_spread(*ranks, stats.ranks);
  stats.points = span_points;
  out.complete = true;
  stats.seconds += seconds_since(t0);
  return out;
}

}  // namespace

StudyFile run_study(const Sweep& sweep, const StudyOptions& opt, StudyStats& stats) {
  if (opt.model == Model::sampled && opt.energy_only)
    throw std::invalid_argument("energy_only applies to the statistical and hybrid models");
  if (opt.model == Model::hybrid && opt.shard.count > 0)
    throw std::invalid_argument("--model hybrid cannot be sharded: it refines the best points of the whole sweep");
  if (opt.model != Model::sampled && opt.resume)
    throw IoError("--resume applies to --model sampled (statistical runs take no checkpoint)");
  if (opt.model != Model::sampled)
    for (const SweepPoint& p : sweep.points) refuse_digital(p.config);
  const bool root = !opt.ranks || opt.ranks->rank() == 0;
  std::vector<std::string> described;  // rank 0: every rank's host, backend and device
  if (opt.ranks) described = describe_ranks(*opt.ranks, opt.prov.backend, opt.prov.device);
  StudyFile out;
  if (opt.model == Model::hybrid) {
    StudyOptions screen = opt;
    screen.output.clear();
    const StudyFile coarse = run_pass(sweep, screen, Model::statistical, stats);
    Sweep fine_sweep;
    fine_sweep.path = sweep.path;
    fine_sweep.source_text = sweep.source_text;
    fine_sweep.keys = sweep.keys;
    fine_sweep.key_values = param_values(sweep);  // the whole sweep's column types
    RefineRanks best(opt.refine, !opt.energy_only, opt.refine_pareto);
    best.add(coarse.network);
    const std::set<std::int64_t> refined = best.points();
    for (const SweepPoint& p : sweep.points)
      if (refined.count(static_cast<std::int64_t>(p.index))) fine_sweep.points.push_back(p);
    StudyStats fine_stats;
    StudyFile fine = run_pass(fine_sweep, screen, Model::sampled, fine_stats);
    stats.jobs_sampled = fine_stats.jobs_sampled;
    stats.points_refined = fine_sweep.points.size();
    stats.sampling_seconds += fine_stats.sampling_seconds;
    stats.engine = fine_stats.engine;
    stats.seconds += fine_stats.seconds;
    stats.ranks = fine_stats.ranks;
    out = coarse;
    if (root) {  // the other ranks of an MPI run hold no sampled rows
      out.layers = merge_rows(coarse.layers, fine.layers, refined);
      out.network = merge_rows(coarse.network, fine.network, refined);
      out.jobs = fine.jobs;
    }
  } else {
    out = run_pass(sweep, opt, opt.model, stats);
  }
  out.ci_note = study_ci_note(sweep, out.network);
  stats.layer_rows = out.layers.rows();
  if (opt.ranks) out.ranks = rank_table(*opt.ranks, described, stats.ranks);
  if (!opt.output.empty() && root) {
    write_study_file(opt.output, out);
    std::error_code ec;
    std::filesystem::remove(partial_path(opt.output), ec);
  }
  return out;
}

}  // namespace cimmc

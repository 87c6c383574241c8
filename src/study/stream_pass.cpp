#include "study/stream_pass.hpp"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <optional>
#include <filesystem>
#include <unordered_map>

#include "io/checkpoint_log.hpp"
#include "io/child_read.hpp"
#include "io/study_stream.hpp"
#include "study/plan.hpp"
#include "study/rollup.hpp"
#include "study/sampled_store.hpp"
#include "study/shard.hpp"
#include "study/spread.hpp"
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
  void add(const Table& network) {
    for (std::size_t i = 0; i < network.rows(); ++i) append_row(rows_, network, i);
    if (!all_) prune();
  }
  Table take_rows() { return std::move(rows_); }

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
    for (std::size_t i = 0; i < e.size(); ++i)
      if (i == 0 || i == be || i == bl || i == bs) append_row(kept, rows_, i);
    rows_ = std::move(kept);
  }
  bool all_;
  Table rows_;
};

// Points whose network rows have no standard error: how many, and the first.
struct MissingCi {
  std::size_t count = 0;
  std::int64_t first = -1;
  void add(const Table& network) {
    const auto& se = column(network, "total_pj_se");
    const auto& point = std::get<std::vector<std::int64_t>>(network.find("point")->data);
    for (std::size_t i = 0; i < se.size(); ++i)
      if (std::isnan(se[i]) && count++ == 0) first = point[i];
  }
};

// Sweep indices of a table's "point" column.
std::vector<std::size_t> point_indices(const Table& t) {
  std::vector<std::size_t> out;
  for (std::int64_t p : std::get<std::vector<std::int64_t>>(t.find("point")->data)) out.push_back(static_cast<std::size_t>(p));
  return out;
}

// Analytic tile-job results between chunks: at most kCachedJobs, and always
// the current chunk's (jobs are deterministic, so evaluating one twice
// changes nothing).
class StatCache {
 public:
  JobPricer chunk(const StudyPlan& plan, int threads, bool energy_only, StudyStats& stats) {
    std::vector<const Config*> need;
    std::vector<JobId> ids;
    std::vector<std::size_t> need_j;
    for (std::size_t j = 0; j < plan.jobs.size(); ++j)
      if (!cache_.count(plan.job_keys[j])) {
        need.push_back(&plan.jobs[j]);
        ids.push_back(plan.job_ids[j]);
        need_j.push_back(j);
      }
    if (cache_.size() + need.size() > kCachedJobs) {  // keep this chunk's own
      std::unordered_map<std::string, std::shared_ptr<const StatJob>> kept;
      for (const std::string& k : plan.job_keys)
        if (const auto it = cache_.find(k); it != cache_.end()) kept.emplace(k, it->second);
      cache_ = std::move(kept);
    }
    std::vector<StatJob> results = evaluate_statistical(need, ids, threads, energy_only);
    for (std::size_t k = 0; k < need_j.size(); ++k)
      cache_[plan.job_keys[need_j[k]]] = std::make_shared<const StatJob>(std::move(results[k]));
    stats.jobs_statistical += need.size();
    return [this, &plan](std::size_t j, const Config& point, const LayerSpec* layer) {
      return statistical_job_cost(point, layer, *cache_.at(plan.job_keys[j]));
    };
  }

 private:
  std::unordered_map<std::string, std::shared_ptr<const StatJob>> cache_;
};

// What split_points needs of every point of the sweep, gathered `chunk`
// points at a time (points are built and prepared, each chunk planned
// alone): a sampled shard's cut balances the jobs of every point.
PointJobs gather_point_jobs(const SweepSource& src, const std::function<void(SweepPoint&)>& prepare,
                            std::size_t chunk, int threads) {
  PointJobs out;
  std::unordered_map<JobId, std::uint32_t, JobIdHash> index;
  for (std::size_t a = 0; a < src.size(); a += chunk) {
    std::vector<SweepPoint> pts = src.points(a, std::min(src.size(), a + chunk));
    std::vector<const Config*> cfgs;
    for (SweepPoint& p : pts) {
      prepare(p);
      cfgs.push_back(&p.config);
    }
    const StudyPlan plan = make_plan(cfgs, 0, cfgs.size(), threads);
    append_point_jobs(plan, out, [&](std::size_t j) {
      const auto [it, fresh] = index.emplace(plan.job_ids[j], static_cast<std::uint32_t>(out.cost.size()));
      if (fresh) out.cost.push_back(job_cost(plan.jobs[j]));
      return it->second;
    });
  }
  return out;
}

}  // namespace

StreamedStudy run_streamed(const SweepSource& src, const std::function<void(SweepPoint&)>& prepare,
                           const StudyOptions& opt, StudyStats& stats, std::size_t chunk, const RowHook* hook) {
  const auto t0 = std::chrono::steady_clock::now();
  const bool sampled = opt.model == Model::sampled;
  // Under MPI every rank passes the chunks alike; sampled jobs are dealt over
  // the ranks, and rank 0 alone rolls up, writes and checkpoints. A
  // statistical study (analytic, cheap) is computed by rank 0 alone.
  cluster::Ranks* ranks = opt.ranks;
  const bool root = !ranks || ranks->rank() == 0;
  std::vector<std::string> described;  // rank 0: every rank's host, backend and device
  if (ranks) described = describe_ranks(*ranks, opt.prov.backend, opt.prov.device);
  const std::size_t total = src.size();
  // A shard computes only its points (study/shard.hpp).
  PointRange range{0, total};
  if (opt.shard.count > 0)  // a sampled one by its jobs' cost: every point is planned first
    range = sampled ? split_points(gather_point_jobs(src, prepare, 256, opt.engine.threads), opt.shard.count)
                          .at(opt.shard.index)
                    : equal_points(total, opt.shard.count, opt.shard.index);
  const std::size_t span = range.end - range.begin;
  const std::string model_name = sampled ? "sampled" : opt.energy_only ? "statistical_energy" : "statistical";
  const int threads = opt.engine.threads > 0 ? opt.engine.threads : omp_get_max_threads();
  ParamColumns types;
  types.keys = src.keys();
  set_param_types(types, src.key_values());

  // Every swept value once before any work: a bad value far into a long
  // sweep was found only when its chunk came. A sweep of one chunk is
  // checked by the chunk itself, unless sampled: its /jobs columns depend on
  // whether any point is digital, which these points tell.
  bool digital = false;
  if (total > chunk || sampled) {
    const std::vector<std::size_t> star = src.every_value_indices(kExplicitChecked);
    for (std::size_t a = 0; a < star.size(); a += chunk) {
      const std::vector<std::size_t> part(star.begin() + std::ptrdiff_t(a),
                                          star.begin() + std::ptrdiff_t(std::min(star.size(), a + chunk)));
      for (SweepPoint& p : src.points_at(part)) {
        prepare(p);
        digital = digital || p.config.macro.kind == MacroKind::digital;
      }
    }
  }

  StreamedStudy out;
  {
    std::vector<SweepPoint> head = src.points(range.begin, range.begin + 1);
    prepare(head.front());
    const Config& c = head.front().config;
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
  std::optional<StudyStream> file;
  if (!opt.output.empty()) file.emplace(opt.output, opt.output);
  SummaryRows summary(span);
  MissingCi missing;
  StatCache stat_cache;
  SampledStore store(opt.result_budget_bytes, digital);

  // Sampled runs checkpoint every chunk's rows (io/checkpoint_log.hpp).
  std::optional<CheckpointLog> log;
  std::size_t done = 0;  // points of the range done
  const auto replay = [&](CheckpointChunk&& c) {
    if (file) file->append(c.layers, c.network, c.jobs);
    store.mark_listed(c.jobs);
    summary.add(c.network);
    missing.add(c.network);
    stats.layer_rows += c.layers.rows();
    done = c.points_done;
  };
  const std::string partial = sampled && !opt.output.empty() ? partial_path(opt.output) : "";
  if (opt.resume && root) {
    if (partial.empty() || !std::filesystem::exists(partial))
      throw IoError("--resume: no checkpoint " + (partial.empty() ? std::string("(no -o given)") : partial));
    if (is_checkpoint_log(partial)) {
      log.emplace(CheckpointLog::resume(
          partial, [&](const StudyFile& part) { check_resumable(part, out.file, partial); }, replay));
    } else {  // a whole-table checkpoint (an older cimmc's): continued as a log
      check_readable(partial, [&] { read_study_file(partial); });  // a corrupt one can crash libhdf5
      StudyFile part = read_study_file(partial);
      check_resumable(part, out.file, partial);
      CheckpointChunk c{part.points_done, std::move(part.layers), std::move(part.network), std::move(part.jobs)};
      log.emplace(CheckpointLog::create(partial, out.file));
      log->append(c);
      replay(std::move(c));
    }
    stats.points_resumed = done;
  } else if (!partial.empty()) {
    log.emplace(CheckpointLog::create(partial, out.file));
  }
  if (opt.resume && ranks && sampled)  // the other ranks start where rank 0's checkpoint ends
    done = std::stoull(ranks->broadcast(std::to_string(done)));
  if (!root && !sampled) done = span;  // rank 0 computes a statistical study alone

  for (std::size_t a = range.begin + done; a < range.end; a += chunk) {
    const std::size_t b = std::min(range.end, a + chunk);
    std::vector<SweepPoint> pts = src.points(a, b);
    for (SweepPoint& p : pts) prepare(p);
    std::vector<const Config*> cfgs;
    for (const SweepPoint& p : pts) cfgs.push_back(&p.config);
    const StudyPlan plan = make_plan(cfgs, 0, cfgs.size(), opt.engine.threads);
    stats.mappings += plan.mappings;
    stats.pruned += plan.pruned;
    stats.job_refs += plan.job_refs;

    const auto ts = std::chrono::steady_clock::now();
    JobPricer pricer;
    SampledStore::Chunk sampled_chunk;
    if (sampled) {
      EngineOptions eo = opt.engine;
      eo.times = &stats.engine;
      if (opt.progress)
        eo.progress = [&, a, b](double f) { opt.progress((a - range.begin + f * (b - a)) / span); };
      sampled_chunk = store.run_chunk(plan, cfgs, eo, ranks, &stats.ranks);
      stats.jobs_sampled += sampled_chunk.sampled;
      pricer = [&](std::size_t j, const Config& point, const LayerSpec* layer) {
        return sampled_chunk.priced.at(PricedUse{j, &point, layer});
      };
    } else {
      pricer = stat_cache.chunk(plan, threads, opt.energy_only, stats);
    }
    stats.sampling_seconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - ts).count();
    if (!root) continue;  // it has no results to roll up

    const RollUp ru = roll_up(plan, cfgs, pricer);
    ParamColumns params = types;
    for (const SweepPoint& p : pts) {
      params.ids.push_back(p.index);
      std::vector<std::string>& row = params.values.emplace_back(params.keys.size());
      for (const auto& [key, value] : p.params)
        for (std::size_t k = 0; k < params.keys.size(); ++k)
          if (params.keys[k] == key) row[k] = value;
    }
    CheckpointChunk rows;
    rows.points_done = b - range.begin;
    append_layer_rows(rows.layers, ru, params, model_name);
    append_network_rows(rows.network, ru, params, model_name);
    rows.jobs = std::move(sampled_chunk.jobs);
    if (hook && hook->rows) hook->rows(rows.layers, rows.network);
    missing.add(rows.network);
    stats.layer_rows += rows.layers.rows();
    if (file) file->append(rows.layers, rows.network, rows.jobs);
    if (log) log->append(rows);
    summary.add(rows.network);
    if (opt.progress) opt.progress(static_cast<double>(b - range.begin) / span);
  }
  out.file.points_done = span;
  if (ranks) {
    if (sampled) finish_spread(*ranks, stats.ranks);
    out.file.ranks = rank_table(*ranks, described, stats.ranks);  // collective
  }
  stats.points = span;
  if (!root) return out;
  if (missing.count > 0) {
    std::vector<SweepPoint> first = src.points_at({static_cast<std::size_t>(missing.first)});
    prepare(first.front());
    const RunSpec& run = first.front().config.run;
    const std::string why = no_ci_note(run.samples, run.inputs_per_instance);
    out.file.ci_note = (why.empty() ? std::string("no CI: fewer than 2 batch groups of a tile job hold samples") : why) +
                       " (" + std::to_string(missing.count) + " of " + std::to_string(span) + " points)";
  }
  out.file.complete = true;
  if (file && hook) file->append(Table{}, Table{}, hook->jobs);
  if (hook && hook->ranks.rows() > 0) out.file.ranks = hook->ranks;
  if (file) file->finish(out.file);
  if (!partial.empty()) {
    std::error_code ec;
    std::filesystem::remove(partial, ec);
  }
  out.file.network = summary.take_rows();
  for (const SweepPoint& p : src.points_at(point_indices(out.file.network))) out.params.push_back(p.params);
  stats.result_bytes_peak = store.peak_bytes();
  stats.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

}  // namespace cimmc

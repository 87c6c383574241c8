#include "study/runner.hpp"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <set>

#include "study/plan.hpp"
#include "study/rollup.hpp"
#include "study/tables.hpp"

namespace cimmc {

std::string partial_path(const std::string& output) { return output + ".partial"; }

namespace {

ParamColumns param_columns(const Sweep& sweep) {
  ParamColumns p;
  p.keys = sweep.keys;
  p.numeric.assign(p.keys.size(), true);
  p.values.assign(sweep.points.size(), std::vector<std::string>(p.keys.size()));
  for (std::size_t i = 0; i < sweep.points.size(); ++i)
    for (const auto& [key, value] : sweep.points[i].params)
      for (std::size_t k = 0; k < p.keys.size(); ++k)
        if (p.keys[k] == key) p.values[i][k] = value;
  for (std::size_t k = 0; k < p.keys.size(); ++k)
    for (const auto& row : p.values) {
      if (row[k].empty()) continue;
      char* end = nullptr;
      std::strtod(row[k].c_str(), &end);
      if (end == row[k].c_str() || *end != '\0') p.numeric[k] = false;
    }
  return p;
}

// A checkpoint may only continue the same study: same file text, seed and samples.
void check_resumable(const StudyFile& part, const StudyFile& fresh, const std::string& path) {
  auto bad = [&](const std::string& what) {
    throw IoError("cannot resume from " + path + ": " + what + " differs from this run");
  };
  if (part.config_text != fresh.config_text) bad("the config text");
  if (part.prov.seed != fresh.prov.seed) bad("the seed");
  if (part.samples != fresh.samples) bad("run.samples");
  if (part.points_total != fresh.points_total) bad("the number of points");
}

}  // namespace

StudyFile run_study(const Sweep& sweep, const StudyOptions& opt, StudyStats& stats) {
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<const Config*> points;
  for (const SweepPoint& p : sweep.points) points.push_back(&p.config);
  const ParamColumns params = param_columns(sweep);

  StudyFile out;
  out.prov = opt.prov;
  out.name = points.front()->name;
  out.config_text = sweep.source_text;
  out.config_path = sweep.path;
  out.sweep_keys = sweep.keys;
  out.points_total = points.size();
  out.samples = points.front()->run.samples;
  std::set<std::string> jobs_listed;  // /jobs holds each job once, in order of first use

  const std::string partial = opt.output.empty() ? "" : partial_path(opt.output);
  if (opt.resume) {
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

  // One plan for the whole study, so every unique tile job is known up front:
  // a job is sampled when a chunk first needs it and dropped after its last use.
  const std::size_t total = points.size();
  const StudyPlan plan = make_plan(points, 0, total);
  std::vector<std::size_t> last_use(plan.jobs.size(), 0);
  for (const PointPlan& pp : plan.points)
    for (const LayerPlan& lp : pp.layers)
      for (const auto& ids : lp.jobs)
        for (std::size_t j : ids) last_use[j] = std::max(last_use[j], pp.point);
  stats.mappings = plan.mappings;
  stats.pruned = plan.pruned;
  stats.job_refs = plan.job_refs;
  std::vector<std::unique_ptr<JobResult>> cache(plan.jobs.size());

  for (std::size_t a = out.points_done; a < total; a += opt.chunk_points) {
    const std::size_t b = std::min(total, a + opt.chunk_points);
    StudyPlan chunk;  // the chunk's points; job indices stay global
    chunk.points.assign(plan.points.begin() + a, plan.points.begin() + b);
    std::vector<std::size_t> need;
    for (const PointPlan& pp : chunk.points)
      for (const LayerPlan& lp : pp.layers)
        for (const auto& ids : lp.jobs)
          for (std::size_t j : ids)
            if (!cache[j]) {
              cache[j] = std::make_unique<JobResult>();  // placeholder until sampled
              need.push_back(j);
            }
    std::vector<const Config*> cfgs;
    std::vector<std::uint32_t> ids;
    for (std::size_t j : need) {
      cfgs.push_back(&plan.jobs[j]);
      ids.push_back(plan.job_ids[j]);
    }
    EngineOptions eo = opt.engine;
    if (opt.progress) {
      const double done = static_cast<double>(a), span = static_cast<double>(b - a);
      eo.progress = [&, done, span](double f) { opt.progress((done + f * span) / total); };
    }
    const auto ts = std::chrono::steady_clock::now();
    std::vector<JobResult> results = run_jobs(cfgs, ids, eo);
    stats.sampling_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - ts).count();
    stats.jobs_sampled += need.size();
    for (std::size_t k = 0; k < need.size(); ++k) *cache[need[k]] = std::move(results[k]);
    std::vector<const JobResult*> rp(plan.jobs.size(), nullptr);
    for (std::size_t j = 0; j < cache.size(); ++j) rp[j] = cache[j].get();
    const RollUp ru = roll_up(chunk, points, rp);
    append_layer_rows(out.layers, ru, params);
    append_network_rows(out.network, ru, params);
    for (std::size_t j : need)
      if (jobs_listed.insert(plan.job_keys[j]).second) append_job_row(out.jobs, plan.job_keys[j], plan.job_ids[j], *cache[j]);
    for (std::size_t j = 0; j < cache.size(); ++j)
      if (cache[j] && last_use[j] < b) cache[j].reset();
    out.points_done = b;
    if (!partial.empty() && b < total) write_study_file(partial, out);
  }
  stats.points = total;
  out.complete = true;
  if (!opt.output.empty()) {
    write_study_file(opt.output, out);
    std::error_code ec;
    std::filesystem::remove(partial, ec);
  }
  stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

}  // namespace cimmc

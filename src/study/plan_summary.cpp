#include "study/plan_summary.hpp"

#include <algorithm>
#include <cstdint>
#include <set>
#include <tuple>
#include <unordered_set>
#include <utility>

#include "study/plan.hpp"
#include "study/tile_jobs.hpp"

namespace cimmc {
namespace {

struct IdHash {
  std::size_t operator()(const JobId& id) const { return static_cast<std::size_t>(id.lo ^ (id.hi * 0x9E3779B97F4A7C15ull)); }
};

bool id_less(const JobId& a, const JobId& b) { return std::tie(a.hi, a.lo) < std::tie(b.hi, b.lo); }

// splitmix64's finalizer: folds a point's sorted job ids into one signature.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// Per-point counts of the points planned into it.
struct Counts {
  std::size_t points = 0;
  double layers = 0, mappings = 0, pruned = 0, refs = 0;
  std::map<std::string, double> reasons;
};

// Unique jobs across everything planned, their sampling work, and the few
// with the smallest ids (ids are hashes: an unbiased, deterministic choice)
// kept whole for the time estimate.
struct Jobs {
  std::unordered_set<JobId, IdHash> ids;
  double reads = 0, reads_with_pilot = 0;
  std::size_t keep = 8;
  std::vector<std::pair<JobId, Config>> timed;  // sorted by id

  void add(const JobId& id, const Config& job) {
    if (!ids.insert(id).second) return;
    reads += job_cell_reads(job, job.run.samples, false);
    reads_with_pilot += job_cell_reads(job, job.run.samples, true);
    if (timed.size() == keep && !id_less(id, timed.back().first)) return;
    const auto at = std::lower_bound(timed.begin(), timed.end(), id,
                                     [](const auto& e, const JobId& v) { return id_less(e.first, v); });
    timed.insert(at, {id, job});
    if (timed.size() > keep) timed.pop_back();
  }
};

// Builds, validates and plans the points at `indices`, a chunk at a time;
// `signatures` (when given) gets each point's set of job ids, folded.
void plan_points(const SweepSource& sweep, const std::vector<std::size_t>& indices, const SummaryOptions& opt,
                 Counts& counts, Jobs& jobs, std::vector<std::uint64_t>* signatures) {
  const std::size_t chunk = std::max<std::size_t>(1, opt.chunk_points);
  for (std::size_t a = 0; a < indices.size(); a += chunk) {
    const std::vector<std::size_t> part(indices.begin() + static_cast<std::ptrdiff_t>(a),
                                        indices.begin() + static_cast<std::ptrdiff_t>(std::min(indices.size(), a + chunk)));
    std::vector<SweepPoint> pts = sweep.points_at(part);
    std::vector<const Config*> configs;
    for (SweepPoint& p : pts) {
      if (opt.adjust) opt.adjust(p.config);
      configs.push_back(&p.config);
    }
    const StudyPlan plan = make_plan(configs, 0, configs.size(), opt.threads);
    counts.points += plan.points.size();
    counts.refs += static_cast<double>(plan.job_refs);
    for (std::size_t k = 0; k < plan.points.size(); ++k) {
      const PointPlan& pp = plan.points[k];
      if (opt.first_point && part[k] == 0) opt.first_point(pp, *configs[k]);
      std::vector<JobId> ids;
      counts.layers += static_cast<double>(pp.layers.size());
      for (const LayerPlan& lp : pp.layers) {
        counts.mappings += static_cast<double>(lp.space.feasible.size());
        counts.pruned += static_cast<double>(lp.space.pruned.size());
        for (const std::string& r : lp.space.pruned) counts.reasons[r] += 1;
        for (const auto& uses : lp.jobs)
          for (std::size_t j : uses) ids.push_back(plan.job_ids[j]);
      }
      if (!signatures) continue;
      std::sort(ids.begin(), ids.end(), id_less);
      ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
      std::uint64_t sig = mix(ids.size());
      for (const JobId& id : ids) sig = mix(sig ^ mix(id.lo ^ mix(id.hi)));
      signatures->push_back(sig);
    }
    for (std::size_t j = 0; j < plan.jobs.size(); ++j) jobs.add(plan.job_ids[j], plan.jobs[j]);
  }
}

// Up to `n` indices spread evenly over [first, first + count).
std::vector<std::size_t> spread(std::size_t first, std::size_t count, std::size_t n) {
  std::vector<std::size_t> v;
  n = std::min(n, count);
  for (std::size_t k = 0; k < n; ++k)
    v.push_back(first + static_cast<std::size_t>(static_cast<long double>(k) * count / n));
  return v;
}

void add_scaled(PlanSummary& s, const Counts& c, double scale) {
  if (c.points == 0) return;
  const double f = scale / static_cast<double>(c.points);
  s.layer_evaluations += c.layers * f;
  s.mappings += c.mappings * f;
  s.pruned += c.pruned * f;
  s.job_refs += c.refs * f;
  for (const auto& [r, n] : c.reasons) s.pruned_reasons[r] += n * f;
}

void finish(PlanSummary& s, const Jobs& jobs, double total_reads_with_pilot, const SummaryOptions& opt) {
  std::vector<const Config*> timed;
  for (const auto& [id, job] : jobs.timed) timed.push_back(&job);
  s.estimate = estimate_sampling(timed, s.unique_jobs, total_reads_with_pilot, opt.engine, opt.threads);
}

}  // namespace

PlanSummary summarize_plan(const SweepSource& sweep, const SummaryOptions& opt) {
  PlanSummary s;
  s.points = sweep.size();
  Jobs jobs;
  jobs.keep = opt.timed_jobs;
  if (sweep.size() <= opt.exact_limit) {
    std::vector<std::size_t> all(sweep.size());
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
    Counts c;
    plan_points(sweep, all, opt, c, jobs, nullptr);
    s.points_planned = c.points;
    add_scaled(s, c, static_cast<double>(c.points));
    s.unique_jobs = static_cast<double>(jobs.ids.size());
    s.cell_reads = jobs.reads;
    finish(s, jobs, jobs.reads_with_pilot, opt);
    return s;
  }

  s.exact = false;
  const std::vector<std::size_t>& sizes = sweep.axis_sizes();
  const std::size_t grid = sweep.grid_size(), extra = sweep.size() - grid;
  double grid_jobs = 0;
  if (grid > 0) {
    // The star: every step of every axis (at most sample_points per axis)
    // around point 0; class[a][k] numbers the distinct job sets along axis a.
    std::vector<std::size_t> star{0};
    std::vector<std::vector<std::size_t>> steps(sizes.size());
    for (std::size_t a = 0; a < sizes.size(); ++a) {
      steps[a] = spread(0, sizes[a], opt.sample_points);
      for (std::size_t k = 1; k < steps[a].size(); ++k) {
        std::vector<std::size_t> at(sizes.size(), 0);
        at[a] = steps[a][k];
        star.push_back(sweep.grid_index(at));
      }
    }
    Counts star_counts;
    Jobs star_jobs;
    std::vector<std::uint64_t> sig;
    plan_points(sweep, star, opt, star_counts, star_jobs, &sig);
    s.points_planned += star_counts.points;
    // An axis step not in the star (a long axis) takes the class of the
    // nearest star step below it.
    std::vector<std::vector<std::pair<std::size_t, std::size_t>>> cls(sizes.size());  // (step, class)
    double combos = 1;
    std::size_t next = 1;
    for (std::size_t a = 0; a < sizes.size(); ++a) {
      std::vector<std::uint64_t> seen{sig[0]};
      cls[a].push_back({0, 0});
      for (std::size_t k = 1; k < steps[a].size(); ++k, ++next) {
        const auto it = std::find(seen.begin(), seen.end(), sig[next]);
        cls[a].push_back({steps[a][k], static_cast<std::size_t>(it - seen.begin())});
        if (it == seen.end()) seen.push_back(sig[next]);
      }
      if (seen.size() > 1) {
        combos *= static_cast<double>(seen.size());
        s.job_axes.push_back(sweep.axis_names()[a]);
      }
    }
    // The sample, and how many distinct class tuples of the job axes it saw.
    const std::vector<std::size_t> sample = spread(0, grid, opt.sample_points);
    Counts c;
    plan_points(sweep, sample, opt, c, jobs, nullptr);
    s.points_planned += c.points;
    add_scaled(s, c, static_cast<double>(grid));
    std::set<std::vector<std::size_t>> tuples;
    for (std::size_t index : sample) {
      std::vector<std::size_t> t;
      for (std::size_t a = sizes.size(), rest = index; a-- > 0; rest /= sizes[a]) {
        const std::size_t step = rest % sizes[a];
        const auto it = std::upper_bound(cls[a].begin(), cls[a].end(), std::pair{step, SIZE_MAX});
        t.push_back(std::prev(it)->second);
      }
      tuples.insert(t);
    }
    grid_jobs = static_cast<double>(jobs.ids.size()) / static_cast<double>(tuples.size()) * combos;
  }
  const double sampled_grid_jobs = static_cast<double>(jobs.ids.size());
  double extra_jobs = 0;
  if (extra > 0) {
    Counts c;
    const std::vector<std::size_t> sample = spread(grid, extra, opt.sample_points);
    plan_points(sweep, sample, opt, c, jobs, nullptr);
    s.points_planned += c.points;
    add_scaled(s, c, static_cast<double>(extra));
    extra_jobs = (static_cast<double>(jobs.ids.size()) - sampled_grid_jobs) * static_cast<double>(extra) /
                 static_cast<double>(c.points);
  }
  s.unique_jobs = grid_jobs + extra_jobs;
  const double per_job = jobs.ids.empty() ? 0.0 : 1.0 / static_cast<double>(jobs.ids.size());
  s.cell_reads = jobs.reads * per_job * s.unique_jobs;
  finish(s, jobs, jobs.reads_with_pilot * per_job * s.unique_jobs, opt);
  return s;
}

}  // namespace cimmc

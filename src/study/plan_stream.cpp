#include "study/plan_stream.hpp"

#include <algorithm>
#include <utility>

#include "study/tile_jobs.hpp"

namespace cimmc {

namespace {

// The chunk plan's job indices -> the whole study's.
void to_global(StudyPlan& chunk, const StreamPlan& s) {
  for (PointPlan& pp : chunk.points)
    for (LayerPlan& lp : pp.layers)
      for (auto& ids : lp.jobs)
        for (std::size_t& j : ids) j = s.index.at(chunk.job_keys[j]);
}

}  // namespace

StreamPlan plan_skeleton(const std::vector<const Config*>& points, std::size_t step, int threads) {
  StreamPlan s;
  StudyPlan& sk = s.skeleton;
  for (std::size_t a = 0; a < points.size(); a += step) {
    StudyPlan chunk = make_plan(points, a, std::min(points.size(), a + step), threads);
    for (std::size_t j = 0; j < chunk.jobs.size(); ++j)
      if (s.index.emplace(chunk.job_keys[j], sk.jobs.size()).second) {
        sk.cell_reads += job_cell_reads(chunk.jobs[j], chunk.jobs[j].run.samples, false);
        sk.jobs.push_back(std::move(chunk.jobs[j]));
        sk.job_keys.push_back(chunk.job_keys[j]);
        sk.job_ids.push_back(chunk.job_ids[j]);
      }
    sk.job_refs += chunk.job_refs;
    sk.mappings += chunk.mappings;
    sk.pruned += chunk.pruned;
    to_global(chunk, s);
    for (PointPlan& pp : chunk.points) {
      PointPlan& kept = sk.points.emplace_back();
      kept.point = pp.point;
      for (LayerPlan& lp : pp.layers) {
        LayerPlan& k = kept.layers.emplace_back();
        k.layer = lp.layer;
        k.jobs = std::move(lp.jobs);
      }
    }
  }
  std::vector<std::uint64_t> seeds;  // make_plan checked each chunk; this checks them together
  for (const Config& j : sk.jobs) seeds.push_back(j.run.seed);
  check_unique_ids(sk.job_keys, sk.job_ids, seeds);
  return s;
}

StudyPlan plan_points(const StreamPlan& s, const std::vector<const Config*>& points, std::size_t first,
                      std::size_t last, int threads) {
  StudyPlan chunk = make_plan(points, first, last, threads);
  to_global(chunk, s);
  chunk.jobs.clear();
  return chunk;
}

}  // namespace cimmc

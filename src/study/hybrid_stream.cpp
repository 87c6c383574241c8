#include "study/hybrid_stream.hpp"

#include <set>
#include <vector>

#include "study/refine.hpp"

namespace cimmc {

StreamedStudy run_hybrid_streamed(const SweepSource& src, const std::function<void(SweepPoint&)>& prepare,
                                  const StudyOptions& opt, StudyStats& stats, std::size_t chunk) {
  // Progress: the screen a fifth, the sampled points three fifths, the file a fifth.
  const auto part = [&](double from, double width) {
    return opt.progress ? std::function<void(double)>([&, from, width](double f) { opt.progress(from + width * f); })
                        : std::function<void(double)>();
  };
  StudyOptions screen = opt;
  screen.model = Model::statistical;
  screen.output.clear();
  screen.progress = part(0, 0.2);
  RefineRanks best(opt.refine, !opt.energy_only, opt.refine_pareto);
  const RowHook rank{[&](Table&, Table& network) { best.add(network); }, {}};
  StudyStats screen_stats;
  run_streamed(src, prepare, screen, screen_stats, chunk, &rank);

  const std::set<std::int64_t> refined = best.points();
  Sweep fine_sweep;
  fine_sweep.path = src.path();
  fine_sweep.source_text = src.source_text();
  fine_sweep.keys = src.keys();
  fine_sweep.key_values = src.key_values();
  fine_sweep.points = src.points_at(std::vector<std::size_t>(refined.begin(), refined.end()));
  for (SweepPoint& p : fine_sweep.points) prepare(p);
  StudyOptions sampled = screen;
  sampled.model = Model::sampled;
  sampled.energy_only = false;  // sampled rows always carry accuracy
  sampled.progress = part(0.2, 0.6);
  StudyStats fine_stats;
  const StudyFile fine = run_study(fine_sweep, sampled, fine_stats);

  StudyOptions write = opt;
  write.model = Model::statistical;
  write.progress = part(0.8, 0.2);
  const RowHook swap{[&](Table& layers, Table& network) {
                       layers = merge_rows(layers, fine.layers, refined);
                       network = merge_rows(network, fine.network, refined);
                     },
                     fine.jobs};
  StreamedStudy out = run_streamed(src, prepare, write, stats, chunk, &swap);
  stats.jobs_sampled = fine_stats.jobs_sampled;
  stats.points_refined = fine_sweep.points.size();
  stats.sampling_seconds += fine_stats.sampling_seconds;
  stats.engine = fine_stats.engine;
  stats.seconds += screen_stats.seconds + fine_stats.seconds;
  return out;
}

}  // namespace cimmc

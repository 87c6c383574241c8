#include "study/hybrid_stream.hpp"

#include <set>
#include <sstream>
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
  // Under MPI the screens are rank 0's alone (analytic, cheap) and the
  // refined points are sampled over every rank, which therefore learn them
  // from rank 0.
  cluster::Ranks* ranks = opt.ranks;
  const bool root = !ranks || ranks->rank() == 0;
  StudyOptions screen = opt;
  screen.model = Model::statistical;
  screen.output.clear();
  screen.ranks = nullptr;
  screen.progress = part(0, 0.2);
  RefineRanks best(opt.refine, !opt.energy_only, opt.refine_pareto);
  const RowHook rank{[&](Table&, Table& network) { best.add(network); }, {}, {}};
  StudyStats screen_stats;
  if (root) run_streamed(src, prepare, screen, screen_stats, chunk, &rank);

  std::set<std::int64_t> refined = best.points();
  if (ranks) {
    std::string list;
    for (std::int64_t p : refined) list += std::to_string(p) + " ";
    std::istringstream in(ranks->broadcast(list));
    refined.clear();
    for (std::int64_t p; in >> p;) refined.insert(p);
  }
  Sweep fine_sweep;
  fine_sweep.path = src.path();
  fine_sweep.source_text = src.source_text();
  fine_sweep.keys = src.keys();
  fine_sweep.key_values = src.key_values();
  fine_sweep.points = src.points_at(std::vector<std::size_t>(refined.begin(), refined.end()));
  for (SweepPoint& p : fine_sweep.points) prepare(p);
  StudyOptions sampled = screen;
  sampled.ranks = ranks;
  sampled.model = Model::sampled;
  sampled.energy_only = false;  // sampled rows always carry accuracy
  sampled.progress = part(0.2, 0.6);
  StudyStats fine_stats;
  const StudyFile fine = run_study(fine_sweep, sampled, fine_stats);  // its /ranks on rank 0
  stats.ranks = fine_stats.ranks;
  if (!root) return {};

  StudyOptions write = opt;
  write.model = Model::statistical;
  write.ranks = nullptr;
  write.progress = part(0.8, 0.2);
  const RowHook swap{[&](Table& layers, Table& network) {
                       layers = merge_rows(layers, fine.layers, refined);
                       network = merge_rows(network, fine.network, refined);
                     },
                     fine.jobs, fine.ranks};
  StreamedStudy out = run_streamed(src, prepare, write, stats, chunk, &swap);
  stats.jobs_sampled = fine_stats.jobs_sampled;
  stats.points_refined = fine_sweep.points.size();
  stats.sampling_seconds += fine_stats.sampling_seconds;
  stats.engine = fine_stats.engine;
  stats.seconds += screen_stats.seconds + fine_stats.seconds;
  return out;
}

}  // namespace cimmc

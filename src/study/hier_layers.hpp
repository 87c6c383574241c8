// The hierarchy path of a study (issue 12): each layer of a point whose
// architecture has a `hierarchy` is searched over its loop-nest mapspace
// (hiermap/), with the macro's energy per MVM of every tile shape the search
// meets taken from the statistical energy model (the full statistical model
// where a conversion's energy depends on its value, e.g. SRAM cells; priced
// with the point's own energy parameters) and its time from arch/timing.hpp. make_plan
// (study/plan_hier.hpp) then samples only the kept mappings' tile jobs: the
// sampling work does not grow with the mapspace.
#pragma once
#include <cstddef>
#include <map>

#include "hiermap/hiermap.hpp"
#include "spec/spec.hpp"
#include "study/stat_jobs.hpp"

namespace cimmc {

// Energy and time of one MVM per tile shape of `layer` at `point`, evaluated
// once per shape and kept (`shapes_evaluated` counts them).
class MvmFiguresCache {
 public:
  MvmFiguresCache(const Config& point, const LayerSpec& layer) : point_(point), layer_(layer) {}
  hiermap::MvmFigures operator()(const hiermap::TileShape& t);
  std::size_t shapes_evaluated() const { return cache_.size(); }

 private:
  const Config& point_;
  const LayerSpec& layer_;
  std::map<std::pair<int, int>, hiermap::MvmFigures> cache_;
  StatisticalJobCache stat_;
};

}  // namespace cimmc

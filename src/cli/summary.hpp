// The compact per-component summary printed on stdout after a run.
#pragma once
#include <ostream>

#include "engine/result.hpp"
#include "pricing/pricing.hpp"
#include "spec/spec.hpp"

namespace cimmc {
void print_summary(std::ostream& os, const Config& cfg, const JobResult& r, const Report& rep);
// One number through a printf format ("%.3f").
std::string fmt(const char* f, double a);
}

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "config/sweep.hpp"
#include "io/study_file.hpp"
#include "study/runner.hpp"

namespace cimmc {
// One screen after a study: counts, timing, dedupe savings and the network
// rows (all of them for studies of at most 12 points, else the extremes).
// f.network holds all rows or at least the extremes (a streamed study keeps
// only those); params_of(point) gives a point's swept values; layers counts
// the network's layers.
using ParamsOf = std::function<std::vector<std::pair<std::string, std::string>>(std::size_t point)>;
void print_study_summary(std::ostream& os, const std::vector<std::string>& keys, std::size_t layers,
                         const ParamsOf& params_of, const StudyFile& f, const StudyStats& st);
}  // namespace cimmc

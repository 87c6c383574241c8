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

#include "config/sweep.hpp"
#include "io/study_file.hpp"
#include "study/runner.hpp"

namespace cimmc {
// One screen after a study: counts, timing, dedupe savings and the network
// rows (all of them for small studies, the extremes for large ones).
void print_study_summary(std::ostream& os, const Sweep& sweep, const StudyFile& f, const StudyStats& st);
}  // namespace cimmc

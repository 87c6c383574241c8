// The compact per-component summary printed on stdout after a run.
#pragma once
#include <ostream>

#include "engine/result.hpp"
#include "pricing/pricing.hpp"
#include "spec/spec.hpp"

namespace cimmc {
void print_summary(std::ostream& os, const Config& cfg, const JobResult& r, const Report& rep);
}

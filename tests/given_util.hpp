// Given operands through the engine (the inference hook, JobView::w_given /
// x_given / y_out): S samples of K inputs, N x K weights; the macro's S x N
// outputs come back for brute-force checks.
#pragma once
#include <cstdint>
#include <vector>

#include "engine/engine.hpp"
#include "study/tile_jobs.hpp"

namespace cimmc::test {

struct Given {
  std::vector<std::int32_t> w, x;  // [n][j], [sample][j]
  std::vector<double> y;           // [sample][n]
};

inline JobResult run_given(const Config& c, Given& g) {
  g.y.assign(c.run.samples * c.tile.cols_used, 0.0);
  EngineOptions o;
  o.backend = Backend::cpu;
  o.threads = 1;
  const ViewHook hook = [&](std::size_t, JobView& v) {
    v.w_given = g.w.data();
    v.x_given = g.x.data();
    v.y_out = g.y.data();
  };
  return run_jobs({&c}, {job_id_of(job_key(c))}, o, hook).front();
}

}  // namespace cimmc::test

#include "engine/engine.hpp"

#include <omp.h>

#include <chrono>
#include <thread>
#include <vector>

#include "engine/job_builder.hpp"
#include "philox.hpp"

namespace cimmc {

std::string resolve_backend(Backend requested, std::string* device) {
  const int ngpu = cuda_device_count();
  if (requested == Backend::cuda && ngpu == 0)
    throw DeviceError(
#if defined(CIMMC_HAVE_CUDA)
        "--backend cuda: no CUDA GPU is visible to this process"
#else
        "--backend cuda: this cimmc was built without the CUDA backend (nvcc not found at build time)"
#endif
    );
  const bool use_cuda = requested == Backend::cuda || (requested == Backend::automatic && ngpu > 0);
  if (device) {
    *device = use_cuda ? cuda_device_name()
                       : "CPU, " + std::to_string(std::thread::hardware_concurrency()) + " hardware threads";
  }
  return use_cuda ? "cuda" : "cpu";
}

namespace {

struct Sampled {
  std::vector<std::uint64_t> hist;
  std::vector<InstanceMoments> moments;
};

Sampled sample(const JobView& v, const std::string& backend, int threads, const ProgressFn& progress) {
  Sampled s;
  s.hist.assign(static_cast<std::size_t>(kBatchGroups) * v.hist_size, 0);
  s.moments.assign(v.instances, InstanceMoments{});
  const JobOutput out{s.hist.data(), s.moments.data()};
  if (backend == "cuda") launch_cuda(&v, &out, 1, progress);
  else launch_cpu(&v, &out, 1, threads, progress);
  return s;
}

}  // namespace

JobResult run_job(const Config& cfg, const EngineOptions& opt) {
  const std::string backend = resolve_backend(opt.backend, nullptr);
  BuiltJob job;
  build_job(cfg, 0, job);
  JobView& v = job.view;
  const auto t0 = std::chrono::steady_clock::now();

  if (cfg.macro.adc.range == AdcRange::calibrated) {
    // Pilot on its own random streams with the full-range ADC; only its
    // column-value histogram is used.
    JobView pilot = v;
    pilot.stream_base = philox::kPilot;
    pilot.samples = cfg.run.pilot_samples;
    pilot.instances = static_cast<std::uint32_t>((pilot.samples + pilot.per_instance - 1) / pilot.per_instance);
    const Sampled ps = sample(pilot, backend, opt.threads, nullptr);
    std::vector<std::uint64_t> col(v.col_nbins, 0);
    for (int g = 0; g < kBatchGroups; ++g)
      for (int b = 0; b < v.col_nbins; ++b) col[b] += ps.hist[static_cast<std::size_t>(g) * v.hist_size + v.off_col + b];
    double fs = column_quantile(v, col.data(), cfg.macro.adc.quantile);
    if (fs <= 0) fs = v.col_bw;  // all-zero pilot: keep one bin of range
    set_adc_full_scale(v, fs);
  }

  Sampled s = sample(v, backend, opt.threads, opt.progress);
  JobResult r;
  r.view = v;
  r.view.x_dist = AliasView{};
  r.view.w_dist = AliasView{};
  r.view.normal_knots = nullptr;
  r.adc_full_scale = v.adc_delta * v.code_max;
  r.dac_levels = 1 << v.dac_bits;
  r.cell_levels = v.L;
  r.row_bins = v.R + 1;
  r.adc_codes = v.code_max - v.code_min + 1;
  r.hist = std::move(s.hist);
  r.groups.assign(kBatchGroups, GroupMoments{});
  // Fixed order: instance 0, 1, 2, ... whatever thread or block produced them.
  for (std::uint32_t i = 0; i < v.instances; ++i) {
    GroupMoments& g = r.groups[i % kBatchGroups];
    const InstanceMoments& m = s.moments[i];
    const std::uint64_t first = static_cast<std::uint64_t>(i) * v.per_instance;
    g.samples += std::min<std::uint64_t>(v.per_instance, v.samples - first);
    g.outputs += m.n;
    g.sum_err += m.sum_err;
    g.sum_err2 += m.sum_err2;
    g.max_abs_err = std::max(g.max_abs_err, m.max_abs_err);
    g.sum_ref += m.sum_ref;
    g.sum_ref2 += m.sum_ref2;
    g.clipped += m.clipped;
    g.conversions += m.conversions;
  }
  r.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.backend = backend;
  return r;
}

}  // namespace cimmc

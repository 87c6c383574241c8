#include "engine/engine.hpp"

#include <omp.h>

#include <chrono>
#include <exception>
#include <memory>
#include <thread>
#include <vector>

#include "engine/calibration.hpp"
#include "engine/job_builder.hpp"
#include "philox.hpp"

namespace cimmc {

std::string resolve_backend(Backend requested, std::string* device, CpuIsa cpu_isa) {
  // --backend cpu never touches CUDA: initialising the driver maps gigabytes
  // of address space, which a run under `ulimit -v` cannot afford.
  const int ngpu = requested == Backend::cpu ? 0 : cuda_device_count();
  if (requested == Backend::cuda && ngpu == 0)
    throw DeviceError(
#if defined(CIMMC_HAVE_CUDA)
        "--backend cuda: no CUDA GPU is visible to this process"
#else
        "--backend cuda: this cimmc was built without the CUDA backend (nvcc not found at build time)"
#endif
    );
  const bool use_cuda = requested == Backend::cuda || (requested == Backend::automatic && ngpu > 0);
  if (!use_cuda && !cpu_supports(cpu_isa == CpuIsa::automatic ? best_cpu_isa() : cpu_isa))
    throw DeviceError(std::string("--cpu-isa ") + cpu_isa_name(cpu_isa) + ": this CPU cannot run it (best here: " +
                      cpu_isa_name(best_cpu_isa()) + ")");
  if (device) {
    const CpuIsa isa = cpu_isa == CpuIsa::automatic ? best_cpu_isa() : cpu_isa;
    *device = use_cuda ? cuda_device_name()
                       : "CPU, " + std::to_string(std::thread::hardware_concurrency()) + " hardware threads, " +
                             cpu_isa_name(isa) + " code";
  }
  return use_cuda ? "cuda" : "cpu";
}

namespace {

// Recorded pilot values per launch, and for one pilot at most.
constexpr std::uint64_t kCaptureBudget = std::uint64_t(1) << 30;
constexpr std::uint64_t kCaptureLimit = std::uint64_t(4) << 30;

struct Sampled {
  std::vector<std::uint64_t> hist;
  std::vector<InstanceMoments> moments;
};

// One launch for all views (many jobs per launch on either backend).
std::vector<Sampled> sample(const std::vector<JobView>& views, const std::string& backend, const EngineOptions& opt,
                            const ProgressFn& progress) {
  std::vector<Sampled> s(views.size());
  std::vector<JobOutput> outs(views.size());
  for (std::size_t i = 0; i < views.size(); ++i) {
    s[i].hist.assign(static_cast<std::size_t>(kBatchGroups) * views[i].hist_size, 0);
    s[i].moments.assign(views[i].instances, InstanceMoments{});
    outs[i] = JobOutput{s[i].hist.data(), s[i].moments.data()};
  }
  if (views.empty()) return s;
  const int n = static_cast<int>(views.size());
  if (backend == "cuda") launch_cuda(views.data(), outs.data(), n, progress, opt.times ? &opt.times->gpu : nullptr);
  else launch_cpu(views.data(), outs.data(), n, opt.threads, progress, opt.cpu_isa);
  return s;
}

// fn(0..n-1) on `threads` OpenMP threads. A job that throws stops nothing
// else; afterwards the lowest index's exception is rethrown, so the error a
// user sees does not depend on the thread count.
template <typename Fn>
void for_each_job(std::size_t n, int threads, const Fn& fn) {
  std::vector<std::exception_ptr> err(n);
#pragma omp parallel for schedule(dynamic) num_threads(threads) if (n > 1)
  for (std::size_t i = 0; i < n; ++i) {
    try {
      fn(i);
    } catch (...) {
      err[i] = std::current_exception();
    }
  }
  for (const std::exception_ptr& e : err)
    if (e) std::rethrow_exception(e);
}

JobResult assemble(const JobView& v, Sampled&& s, const std::string& backend) {
  JobResult r = result_shell(v, backend);
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
  return r;
}

}  // namespace

std::vector<JobResult> run_jobs(const std::vector<const Config*>& cfgs, const std::vector<philox::JobId>& job_ids,
                                const EngineOptions& opt) {
  return run_jobs(cfgs, job_ids, opt, nullptr);
}

std::vector<JobResult> run_jobs(const std::vector<const Config*>& cfgs, const std::vector<philox::JobId>& job_ids,
                                const EngineOptions& opt, const ViewHook& complete) {
  const std::string backend = resolve_backend(opt.backend, nullptr, opt.cpu_isa);
  const int threads = opt.threads > 0 ? opt.threads : omp_get_max_threads();
  const auto t0 = std::chrono::steady_clock::now();
  auto lap = [&, t = t0](double EngineTimes::*phase) mutable {
    const auto now = std::chrono::steady_clock::now();
    if (opt.times) opt.times->*phase += std::chrono::duration<double>(now - t).count();
    t = now;
  };
  // Host work per job runs on all threads (on the CUDA backend too, where it
  // is what the GPU waits for); each job's results depend on its own inputs
  // alone, so the thread count changes nothing.
  std::vector<std::unique_ptr<BuiltJob>> jobs(cfgs.size());
  for_each_job(cfgs.size(), threads, [&](std::size_t i) {
    jobs[i] = std::make_unique<BuiltJob>();
    build_job(*cfgs[i], job_ids.at(i), *jobs[i]);
    if (complete) complete(i, jobs[i]->view);
  });
  lap(&EngineTimes::build);

  // Calibration pilots on their own random streams: they record every column
  // value before noise (and convert nothing), from which the range is calibrated.
  // Pilots go in launches of at most kCaptureBudget bytes of recorded values.
  std::vector<JobView> pilots;
  std::vector<std::size_t> pilot_of;
  std::vector<std::vector<double>> captured;
  auto run_pilots = [&] {
    sample(pilots, backend, opt, nullptr);  // only the recorded values are used
    lap(&EngineTimes::pilots);
    for_each_job(pilots.size(), threads, [&](std::size_t k) {
      const AdcSpec& adc = cfgs[pilot_of[k]]->macro.adc;
      if (adc.per_cycle) {
        set_adc_cycle_scales(jobs[pilot_of[k]]->view, calibrated_cycle_scales(pilots[k], captured[k].data(), adc));
        return;
      }
      set_adc_full_scales(jobs[pilot_of[k]]->view, calibrated_full_scales(pilots[k], captured[k].data(), adc),
                          adc.per_slice);
    });
    lap(&EngineTimes::calibration);
    pilots.clear(), pilot_of.clear(), captured.clear();
  };
  std::uint64_t pending = 0;
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    if (cfgs[i]->macro.adc.range != AdcRange::calibrated) continue;
    JobView p = jobs[i]->view;
    p.stream_base = philox::kPilot;
    p.y_out = nullptr;
    p.samples = cfgs[i]->run.pilot();
    p.instances = static_cast<std::uint32_t>((p.samples + p.per_instance - 1) / p.per_instance);
    const std::uint64_t bytes = capture_values(p) * sizeof(double);
    if (bytes > kCaptureLimit)
      throw DeviceError("the calibration pilot of a tile job records " + std::to_string(capture_values(p)) +
                        " column values (" + std::to_string(bytes >> 20) + " MiB, above the " +
                        std::to_string(kCaptureLimit >> 20) + " MiB limit): lower run.pilot_samples");
    if (!pilots.empty() && pending + bytes > kCaptureBudget) run_pilots(), pending = 0;
    pending += bytes;
    captured.emplace_back(capture_values(p));
    p.col_capture = captured.back().data();
    pilots.push_back(p);
    pilot_of.push_back(i);
  }
  if (!pilots.empty()) run_pilots();

  std::vector<JobView> views;
  for (const auto& j : jobs) views.push_back(j->view);
  std::vector<Sampled> s = sample(views, backend, opt, opt.progress);
  lap(&EngineTimes::sampling);
  std::vector<JobResult> out(views.size());
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for_each_job(views.size(), threads, [&](std::size_t i) {
    out[i] = assemble(views[i], std::move(s[i]), backend);
    out[i].wall_seconds = wall;
  });
  lap(&EngineTimes::assembly);
  return out;
}

JobBytes job_bytes(const Config& cfg) {
  BuiltJob b;
  build_job(cfg, philox::JobId{}, b, false);
  const JobView& v = b.view;
  const std::size_t hist = static_cast<std::size_t>(kBatchGroups) * v.hist_size * sizeof(std::uint64_t);
  JobBytes out;
  out.result = sizeof(JobResult) + hist + kBatchGroups * sizeof(GroupMoments);
  out.sampling = out.result + static_cast<std::size_t>(v.instances) * sizeof(InstanceMoments);
  if (cfg.macro.adc.range == AdcRange::calibrated) {  // the pilot's histograms and values, while it runs
    const std::uint64_t pilot_instances = (cfg.run.pilot() + v.per_instance - 1) / v.per_instance;
    const std::uint64_t values = cfg.run.pilot() * static_cast<std::uint64_t>(v.cycles) * v.G * v.P;
    out.sampling += hist + pilot_instances * sizeof(InstanceMoments) + values * sizeof(double);
  }
  return out;
}

JobResult run_job(const Config& cfg, const EngineOptions& opt) {
  return std::move(run_jobs({&cfg}, {philox::JobId{}}, opt).front());
}

}  // namespace cimmc

// CUDA backend: one thread block per array instance, many jobs per launch.
// Blocks take (job, instance) work items in a grid-stride loop; each block owns
// one workspace slot in global memory. Histograms use integer atomics (exact in
// any order). Each block runs run_item() (block_runner.hpp), which
// cpu_lanes.cpp also runs on the CPU: only the launch glue here is CUDA-only.
#include <cub/block/block_reduce.cuh>
#include <cuda_runtime.h>
#include <thrust/system_error.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <new>
#include <string>
#include <stdexcept>
#include <vector>

#include "launcher.hpp"
#include "block_runner.hpp"

namespace cimmc {
namespace {

constexpr int kThreads = 128;

void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) throw DeviceError(std::string("CUDA ") + what + ": " + cudaGetErrorString(e));
}

struct StatsOp {
  __device__ LaneStats operator()(const LaneStats& a, const LaneStats& b) const { return combine(a, b); }
};

struct CudaExec {
  using Reduce = cub::BlockReduce<LaneStats, kThreads>;
  typename Reduce::TempStorage* tmp;
  __host__ __device__ int lane() const {
#if defined(__CUDA_ARCH__)
    return static_cast<int>(threadIdx.x);
#else
    return 0;
#endif
  }
  __host__ __device__ int nlanes() const {
#if defined(__CUDA_ARCH__)
    return static_cast<int>(blockDim.x);
#else
    return 1;
#endif
  }
  __host__ __device__ void sync() const {
#if defined(__CUDA_ARCH__)
    __syncthreads();
#endif
  }
  __host__ __device__ void add(std::uint64_t* p, std::uint64_t n) const {
#if defined(__CUDA_ARCH__)
    atomicAdd(reinterpret_cast<unsigned long long*>(p), static_cast<unsigned long long>(n));
#else
    *p += n;
#endif
  }
  __host__ __device__ LaneStats reduce(const LaneStats& s) const {
#if defined(__CUDA_ARCH__)
    return Reduce(*tmp).Reduce(s, StatsOp{});
#else
    return s;
#endif
  }
};

__global__ void __launch_bounds__(kThreads)
instances_kernel(const DeviceJob* jobs, int njobs, std::uint64_t item0, std::uint64_t item1,
                 char* scratch, std::size_t ws_stride) {
  __shared__ typename CudaExec::Reduce::TempStorage tmp;
  const CudaExec ex{&tmp};
  char* base = scratch + static_cast<std::size_t>(blockIdx.x) * ws_stride;
  for (std::uint64_t item = item0 + blockIdx.x; item < item1; item += gridDim.x)
    run_item(jobs, njobs, item, base, ex);
}

}  // namespace

int cuda_device_count() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky "no device" error
    return 0;
  }
  return n;
}

void cuda_use_device(int ordinal) {
  if (cudaSetDevice(ordinal) != cudaSuccess)
    throw DeviceError("cannot use CUDA device " + std::to_string(ordinal) + ": " +
                      cudaGetErrorString(cudaGetLastError()));
}

std::string cuda_device_name() {
  int d = 0;
  cudaDeviceProp p{};
  if (cudaGetDevice(&d) != cudaSuccess || cudaGetDeviceProperties(&p, d) != cudaSuccess) return "unknown CUDA device";
  return std::string(p.name) + ", " + std::to_string(p.totalGlobalMem >> 20) + " MiB";
}

namespace {

// Device bytes a launch needs besides the blocks' scratch: tables, images,
// histograms and moments of every job (what launch_one allocates).
std::size_t table_bytes(const JobView* jobs, int njobs) {
  std::size_t b = kNormalBins * sizeof(NormalBin) + static_cast<std::size_t>(njobs) * sizeof(DeviceJob);
  for (int i = 0; i < njobs; ++i) {
    const JobView& v = jobs[i];
    b += (v.x_dist.n + v.w_dist.n) * (sizeof(std::uint64_t) + 2 * sizeof(std::int32_t));
    b += static_cast<std::size_t>(kBatchGroups) * v.hist_size * sizeof(std::uint64_t);
    b += static_cast<std::size_t>(v.instances) * sizeof(InstanceMoments);
    if (v.col_capture) b += capture_values(v) * sizeof(double);
    if (v.x_z) b += v.x_dist.n * sizeof(float);
    // Given operands and outputs (inference, src/infer/)
    if (v.w_given) b += static_cast<std::size_t>(v.N) * v.K * sizeof(std::int32_t);
    if (v.x_given) b += static_cast<std::size_t>(v.samples) * v.K * sizeof(std::int32_t);
    if (v.y_out) b += static_cast<std::size_t>(v.samples) * v.N * sizeof(double);
    if (v.x_npatches > 0) {
      const std::uint32_t npos = (v.x_img_h - v.x_kernel + 1) * (v.x_img_w - v.x_kernel + 1);
      b += static_cast<std::size_t>(v.x_npatches / npos) * v.x_img_h * v.x_img_w + 256 * sizeof(std::int32_t);
    }
  }
  return b;
}

std::string mib(std::size_t bytes) { return std::to_string((bytes + (1u << 20) - 1) >> 20) + " MiB"; }

// Device memory owned for one launch.
class DeviceBuffer {
 public:
  explicit DeviceBuffer(std::size_t bytes) {
    if (bytes > 0) check(cudaMalloc(&p_, bytes), "cudaMalloc");
  }
  ~DeviceBuffer() { cudaFree(p_); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  char* get() const { return static_cast<char*>(p_); }

 private:
  void* p_ = nullptr;
};

// Byte offsets of arrays packed into one buffer, each 16-byte aligned.
class Packing {
 public:
  std::size_t add(std::size_t bytes) {
    size_ = (size_ + 15) & ~std::size_t(15);
    const std::size_t at = size_;
    size_ += bytes;
    return at;
  }
  std::size_t size() const { return size_; }

 private:
  std::size_t size_ = 0;
};

std::uint32_t patch_images(const JobView& v) {
  const std::uint32_t npos = (v.x_img_h - v.x_kernel + 1) * (v.x_img_w - v.x_kernel + 1);
  return v.x_npatches / npos;
}

double seconds_since(std::chrono::steady_clock::time_point& t) {
  const auto now = std::chrono::steady_clock::now();
  const double s = std::chrono::duration<double>(now - t).count();
  t = now;
  return s;
}

// Every job's tables go up in one copy and every job's results live in one
// zeroed buffer: a launch of thousands of jobs makes a few allocations and
// copies, not ten per job. Offsets are planned first, then the host image of
// the upload is filled with the device addresses it will have.
void launch_one(const JobView* jobs, const JobOutput* outs, int njobs, const ProgressFn& progress, LaunchTimes* times) {
  auto t = std::chrono::steady_clock::now();
  std::size_t ws_stride = 0;
  for (int i = 0; i < njobs; ++i) ws_stride = std::max(ws_stride, bind_workspace(jobs[i], nullptr, nullptr));
  // Memory first: a launch that cannot fit says so before it allocates.
  std::size_t free_b = 0, total_b = 0;
  check(cudaMemGetInfo(&free_b, &total_b), "cudaMemGetInfo");
  const std::size_t tables = table_bytes(jobs, njobs);
  const std::size_t usable = free_b / 10 * 9;  // headroom for the runtime's own allocations
  if (tables + ws_stride > usable)
    throw DeviceError("CUDA: this launch needs " + mib(tables + ws_stride) + " of GPU memory (" + mib(tables) +
                      " of tables and results for " + std::to_string(njobs) + " tile jobs, " + mib(ws_stride) +
                      " per thread block) but " + mib(free_b) + " of " + mib(total_b) +
                      " are free: lower --chunk-points or the tile size");

  // Plan: inputs (one upload) and results (one zeroed buffer).
  struct Plan {
    std::size_t x[3], w[3], z, pixels, lut, w_given, x_given;  // inputs
    std::size_t hist, moments, y, capture;                     // results
  };
  std::vector<Plan> plan(njobs);
  Packing in, res;
  auto alias = [&](const AliasView& a, std::size_t* off) {
    off[0] = in.add(a.n * sizeof(std::uint64_t));
    off[1] = in.add(a.n * sizeof(std::int32_t));
    off[2] = in.add(a.n * sizeof(std::int32_t));
  };
  const std::size_t table_at = in.add(kNormalBins * sizeof(NormalBin));
  const std::size_t jobs_at = in.add(static_cast<std::size_t>(njobs) * sizeof(DeviceJob));
  for (int i = 0; i < njobs; ++i) {
    const JobView& v = jobs[i];
    Plan& p = plan[i];
    alias(v.x_dist, p.x);
    alias(v.w_dist, p.w);
    p.z = v.x_z ? in.add(v.x_dist.n * sizeof(float)) : 0;
    p.pixels = v.x_npatches > 0 ? in.add(static_cast<std::size_t>(patch_images(v)) * v.x_img_h * v.x_img_w) : 0;
    p.lut = v.x_npatches > 0 ? in.add(256 * sizeof(std::int32_t)) : 0;
    p.w_given = v.w_given ? in.add(static_cast<std::size_t>(v.N) * v.K * sizeof(std::int32_t)) : 0;
    p.x_given = v.x_given ? in.add(static_cast<std::size_t>(v.samples) * v.K * sizeof(std::int32_t)) : 0;
    p.hist = res.add(static_cast<std::size_t>(kBatchGroups) * v.hist_size * sizeof(std::uint64_t));
    p.moments = res.add(static_cast<std::size_t>(v.instances) * sizeof(InstanceMoments));
  }
  for (int i = 0; i < njobs; ++i)  // the large outputs after the small ones: one copy brings those back
    if (jobs[i].y_out) plan[i].y = res.add(static_cast<std::size_t>(jobs[i].samples) * jobs[i].N * sizeof(double));
  const std::size_t small_results = res.size();
  for (int i = 0; i < njobs; ++i)
    if (jobs[i].col_capture) plan[i].capture = res.add(capture_values(jobs[i]) * sizeof(double));

  DeviceBuffer din(in.size()), dres(res.size());
  check(cudaMemset(dres.get(), 0, res.size()), "cudaMemset");
  std::vector<char> host(in.size());
  auto put = [&](std::size_t at, const void* src, std::size_t bytes) {
    if (bytes) std::memcpy(host.data() + at, src, bytes);
    return din.get() + at;
  };
  std::memcpy(host.data() + table_at, jobs[0].normal_table, kNormalBins * sizeof(NormalBin));  // one copy serves every job
  const auto* table = reinterpret_cast<const NormalBin*>(din.get() + table_at);
  std::vector<DeviceJob> host_jobs(njobs);
  std::uint64_t total = 0;
  for (int i = 0; i < njobs; ++i) {
    const JobView& v = jobs[i];
    const Plan& p = plan[i];
    DeviceJob& d = host_jobs[i];
    d.view = v;
    d.view.normal_table = table;
    auto alias_up = [&](const AliasView& a, const std::size_t* off) {
      return AliasView{reinterpret_cast<const std::uint64_t*>(put(off[0], a.prob, a.n * sizeof(std::uint64_t))),
                       reinterpret_cast<const std::int32_t*>(put(off[1], a.alias, a.n * sizeof(std::int32_t))),
                       reinterpret_cast<const std::int32_t*>(put(off[2], a.value, a.n * sizeof(std::int32_t))), a.n};
    };
    d.view.x_dist = alias_up(v.x_dist, p.x);
    d.view.w_dist = alias_up(v.w_dist, p.w);
    if (v.x_z) d.view.x_z = reinterpret_cast<const float*>(put(p.z, v.x_z, v.x_dist.n * sizeof(float)));
    if (v.x_npatches > 0) {  // a few MB per job: jobs of one study rarely share a file
      d.view.x_pixels = reinterpret_cast<const std::uint8_t*>(
          put(p.pixels, v.x_pixels, static_cast<std::size_t>(patch_images(v)) * v.x_img_h * v.x_img_w));
      d.view.x_lut = reinterpret_cast<const std::int32_t*>(put(p.lut, v.x_lut, 256 * sizeof(std::int32_t)));
    }
    if (v.w_given)
      d.view.w_given = reinterpret_cast<const std::int32_t*>(
          put(p.w_given, v.w_given, static_cast<std::size_t>(v.N) * v.K * sizeof(std::int32_t)));
    if (v.x_given)
      d.view.x_given = reinterpret_cast<const std::int32_t*>(
          put(p.x_given, v.x_given, static_cast<std::size_t>(v.samples) * v.K * sizeof(std::int32_t)));
    if (v.y_out) d.view.y_out = reinterpret_cast<double*>(dres.get() + p.y);
    if (v.col_capture) d.view.col_capture = reinterpret_cast<double*>(dres.get() + p.capture);
    d.hist = reinterpret_cast<std::uint64_t*>(dres.get() + p.hist);
    d.moments = reinterpret_cast<InstanceMoments*>(dres.get() + p.moments);
    d.first_item = total;
    total += v.instances;
  }
  std::memcpy(host.data() + jobs_at, host_jobs.data(), host_jobs.size() * sizeof(DeviceJob));
  check(cudaMemcpy(din.get(), host.data(), in.size(), cudaMemcpyHostToDevice), "upload");
  const auto* djobs = reinterpret_cast<const DeviceJob*>(din.get() + jobs_at);

  // As many resident blocks as the device holds, capped by 1 GiB of scratch
  // and by the memory left after the tables.
  int sms = 0, per_sm = 0;
  check(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0), "attribute");
  check(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, instances_kernel, kThreads, 0), "occupancy");
  std::uint64_t blocks = static_cast<std::uint64_t>(sms) * std::max(1, per_sm);
  blocks = std::min<std::uint64_t>(blocks, std::max<std::size_t>(1, (std::size_t(1) << 30) / ws_stride));
  blocks = std::min<std::uint64_t>(blocks, std::max<std::size_t>(1, (usable - tables) / ws_stride));
  blocks = std::min<std::uint64_t>(blocks, std::max<std::uint64_t>(1, total));
  DeviceBuffer scratch(blocks * ws_stride);
  check(cudaMemset(scratch.get(), 0, blocks * ws_stride), "cudaMemset");
  if (times) times->setup += seconds_since(t);

  const std::uint64_t chunk = blocks * 8;  // a progress report every few waves
  for (std::uint64_t i0 = 0; i0 < total; i0 += chunk) {
    const std::uint64_t i1 = std::min(total, i0 + chunk);
    instances_kernel<<<static_cast<unsigned>(std::min(blocks, i1 - i0)), kThreads>>>(djobs, njobs, i0, i1,
                                                                                    scratch.get(), ws_stride);
    check(cudaGetLastError(), "launch");
    check(cudaDeviceSynchronize(), "kernel");
    if (progress) progress(static_cast<double>(i1) / total);
  }
  if (times) times->kernel += seconds_since(t);

  // Histograms, moments and macro outputs in one copy; recorded pilot values
  // (often the bulk) straight into their owners' arrays.
  std::vector<char> back(small_results);
  check(cudaMemcpy(back.data(), dres.get(), small_results, cudaMemcpyDeviceToHost), "copy back");
  for (int i = 0; i < njobs; ++i) {
    const JobView& v = jobs[i];
    const Plan& p = plan[i];
    const auto* h = reinterpret_cast<const std::uint64_t*>(back.data() + p.hist);
    const std::size_t nh = static_cast<std::size_t>(kBatchGroups) * v.hist_size;
    for (std::size_t k = 0; k < nh; ++k) outs[i].hist[k] += h[k];
    std::memcpy(outs[i].moments, back.data() + p.moments, static_cast<std::size_t>(v.instances) * sizeof(InstanceMoments));
    if (v.y_out) std::memcpy(v.y_out, back.data() + p.y, static_cast<std::size_t>(v.samples) * v.N * sizeof(double));
    if (v.col_capture)
      check(cudaMemcpy(v.col_capture, dres.get() + p.capture, capture_values(v) * sizeof(double), cudaMemcpyDeviceToHost),
            "copy back");
  }
  if (times) times->copy_back += seconds_since(t);
}

}  // namespace

// Every CUDA or Thrust failure leaves as a DeviceError (exit 3) with CUDA's words.
void launch_cuda(const JobView* jobs, const JobOutput* outs, int njobs, const ProgressFn& progress,
                 LaunchTimes* times) {
  if (njobs == 0) return;
  try {
    launch_one(jobs, outs, njobs, progress, times);
  } catch (const DeviceError&) {
    throw;
  } catch (const thrust::system_error& e) {
    throw DeviceError(std::string("CUDA (Thrust): ") + e.what());
  } catch (const std::bad_alloc& e) {
    throw DeviceError(std::string("CUDA: out of GPU memory (") + e.what() + "): lower --chunk-points or the tile size");
  }
}

}  // namespace cimmc

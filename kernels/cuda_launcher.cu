// CUDA backend: one thread block per array instance, many jobs per launch.
// Blocks take (job, instance) work items in a grid-stride loop; each block owns
// one workspace slot in global memory. Histograms use integer atomics (exact in
// any order). Each block runs run_item() (block_runner.hpp), which
// cpu_lanes.cpp also runs on the CPU: only the launch glue here is CUDA-only.
#include <cub/block/block_reduce.cuh>
#include <cuda_runtime.h>
#include <thrust/copy.h>
#include <thrust/device_vector.h>
#include <thrust/fill.h>
#include <thrust/system_error.h>

#include <algorithm>
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

void launch_one(const JobView* jobs, const JobOutput* outs, int njobs, const ProgressFn& progress) {
  std::size_t ws_stride = 0;
  for (int i = 0; i < njobs; ++i) ws_stride = std::max(ws_stride, bind_workspace(jobs[i], nullptr, nullptr));
  // Memory first: a launch that cannot fit says so before it allocates.
  std::size_t free_b = 0, total_b = 0;
  check(cudaMemGetInfo(&free_b, &total_b), "cudaMemGetInfo");
  const std::size_t tables = table_bytes(jobs, njobs);
  const std::size_t usable = free_b / 10 * 9;  // headroom for Thrust's and the runtime's own allocations
  if (tables + ws_stride > usable)
    throw DeviceError("CUDA: this launch needs " + mib(tables + ws_stride) + " of GPU memory (" + mib(tables) +
                      " of tables and results for " + std::to_string(njobs) + " tile jobs, " + mib(ws_stride) +
                      " per thread block) but " + mib(free_b) + " of " + mib(total_b) +
                      " are free: lower --chunk-points or the tile size");

  // Device copies of the alias tables, histograms and moments.
  std::vector<thrust::device_vector<std::uint64_t>> probs, hists;
  std::vector<thrust::device_vector<std::int32_t>> ints;
  std::vector<thrust::device_vector<InstanceMoments>> moms;
  std::vector<thrust::device_vector<float>> scores;  // copula thresholds of correlated inputs
  std::vector<thrust::device_vector<std::uint8_t>> pixels;  // images of patch inputs
  std::vector<thrust::device_vector<double>> ys;             // macro outputs of given operands
  std::vector<thrust::device_vector<double>> captures;  // calibration pilots' column values
  std::vector<DeviceJob> host_jobs(njobs);
  std::uint64_t total = 0;
  auto upload = [&](const AliasView& a) {
    probs.emplace_back(a.prob, a.prob + a.n);
    ints.emplace_back(a.alias, a.alias + a.n);
    const std::int32_t* alias = thrust::raw_pointer_cast(ints.back().data());
    ints.emplace_back(a.value, a.value + a.n);
    return AliasView{thrust::raw_pointer_cast(probs.back().data()), alias,
                     thrust::raw_pointer_cast(ints.back().data()), a.n};
  };
  probs.reserve(2 * njobs);
  ints.reserve(7 * njobs);
  ys.reserve(njobs);
  hists.reserve(njobs);
  moms.reserve(njobs);
  scores.reserve(njobs);
  pixels.reserve(njobs);
  captures.reserve(njobs);
  for (int i = 0; i < njobs; ++i) {
    DeviceJob& d = host_jobs[i];
    d.view = jobs[i];
    d.view.x_dist = upload(jobs[i].x_dist);
    d.view.w_dist = upload(jobs[i].w_dist);
    if (jobs[i].x_z) {
      scores.emplace_back(jobs[i].x_z, jobs[i].x_z + jobs[i].x_dist.n);
      d.view.x_z = thrust::raw_pointer_cast(scores.back().data());
    }
    if (jobs[i].x_npatches > 0) {  // a few MB per job: jobs of one study rarely share a file
      const JobView& v = jobs[i];
      const std::uint32_t npos = (v.x_img_h - v.x_kernel + 1) * (v.x_img_w - v.x_kernel + 1);
      const std::size_t npix = static_cast<std::size_t>(v.x_npatches / npos) * v.x_img_h * v.x_img_w;
      pixels.emplace_back(v.x_pixels, v.x_pixels + npix);
      d.view.x_pixels = thrust::raw_pointer_cast(pixels.back().data());
      ints.emplace_back(v.x_lut, v.x_lut + 256);
      d.view.x_lut = thrust::raw_pointer_cast(ints.back().data());
    }
    if (jobs[i].w_given) {
      const JobView& v = jobs[i];
      ints.emplace_back(v.w_given, v.w_given + static_cast<std::size_t>(v.N) * v.K);
      d.view.w_given = thrust::raw_pointer_cast(ints.back().data());
    }
    if (jobs[i].x_given) {
      const JobView& v = jobs[i];
      ints.emplace_back(v.x_given, v.x_given + static_cast<std::size_t>(v.samples) * v.K);
      d.view.x_given = thrust::raw_pointer_cast(ints.back().data());
    }
    if (jobs[i].y_out) {
      ys.emplace_back(static_cast<std::size_t>(jobs[i].samples) * jobs[i].N);
      d.view.y_out = thrust::raw_pointer_cast(ys.back().data());
    }
    if (jobs[i].col_capture) {
      captures.emplace_back(capture_values(jobs[i]), 0.0);
      d.view.col_capture = thrust::raw_pointer_cast(captures.back().data());
    }
    hists.emplace_back(static_cast<std::size_t>(kBatchGroups) * jobs[i].hist_size, 0);
    moms.emplace_back(jobs[i].instances);
    d.hist = thrust::raw_pointer_cast(hists.back().data());
    d.moments = thrust::raw_pointer_cast(moms.back().data());
    d.first_item = total;
    total += jobs[i].instances;
  }
  // One copy of the normal quantile table serves every job.
  const NormalBin* table = jobs[0].normal_table;
  thrust::device_vector<NormalBin> dtable(table, table + kNormalBins);
  for (DeviceJob& d : host_jobs) d.view.normal_table = thrust::raw_pointer_cast(dtable.data());
  thrust::device_vector<DeviceJob> djobs(host_jobs.begin(), host_jobs.end());

  // As many resident blocks as the device holds, capped by 1 GiB of scratch
  // and by the memory left after the tables.
  int sms = 0, per_sm = 0;
  check(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0), "attribute");
  check(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, instances_kernel, kThreads, 0), "occupancy");
  std::uint64_t blocks = static_cast<std::uint64_t>(sms) * std::max(1, per_sm);
  blocks = std::min<std::uint64_t>(blocks, std::max<std::size_t>(1, (std::size_t(1) << 30) / ws_stride));
  blocks = std::min<std::uint64_t>(blocks, std::max<std::size_t>(1, (usable - tables) / ws_stride));
  blocks = std::min<std::uint64_t>(blocks, std::max<std::uint64_t>(1, total));
  thrust::device_vector<char> scratch(blocks * ws_stride);

  const std::uint64_t chunk = blocks * 8;  // a progress report every few waves
  for (std::uint64_t i0 = 0; i0 < total; i0 += chunk) {
    const std::uint64_t i1 = std::min(total, i0 + chunk);
    instances_kernel<<<static_cast<unsigned>(std::min(blocks, i1 - i0)), kThreads>>>(
        thrust::raw_pointer_cast(djobs.data()), njobs, i0, i1, thrust::raw_pointer_cast(scratch.data()), ws_stride);
    check(cudaGetLastError(), "launch");
    check(cudaDeviceSynchronize(), "kernel");
    if (progress) progress(static_cast<double>(i1) / total);
  }
  for (int i = 0; i < njobs; ++i) {
    std::vector<std::uint64_t> h(hists[i].size());
    thrust::copy(hists[i].begin(), hists[i].end(), h.begin());
    for (std::size_t k = 0; k < h.size(); ++k) outs[i].hist[k] += h[k];
    thrust::copy(moms[i].begin(), moms[i].end(), outs[i].moments);
  }
  for (int i = 0, k = 0; i < njobs; ++i)
    if (jobs[i].y_out) {
      thrust::copy(ys[k].begin(), ys[k].end(), jobs[i].y_out);
      ++k;
    }
  for (int i = 0, k = 0; i < njobs; ++i)
    if (jobs[i].col_capture) {
      thrust::copy(captures[k].begin(), captures[k].end(), jobs[i].col_capture);
      ++k;
    }
}

}  // namespace

// Every CUDA or Thrust failure leaves as a DeviceError (exit 3) with CUDA's words.
void launch_cuda(const JobView* jobs, const JobOutput* outs, int njobs, const ProgressFn& progress) {
  if (njobs == 0) return;
  try {
    launch_one(jobs, outs, njobs, progress);
  } catch (const DeviceError&) {
    throw;
  } catch (const thrust::system_error& e) {
    throw DeviceError(std::string("CUDA (Thrust): ") + e.what());
  } catch (const std::bad_alloc& e) {
    throw DeviceError(std::string("CUDA: out of GPU memory (") + e.what() + "): lower --chunk-points or the tile size");
  }
}

}  // namespace cimmc

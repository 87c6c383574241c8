// Macro sampling throughput on one core, against two baselines of the same
// logical shape timed in the same binary:
//   scalar  - the obvious per-cell simulation of the same datapath;
//   gemv    - a plain exact int8 GEMV (the digital answer).
// Shape: 128 inputs x 128 weights, 8b x 8b, 2-bit cells, differential
// (8 physical columns per weight), bit-serial inputs -> 128 x 1024 x 8 =
// 1.05e6 cell reads per MVM. The digital macro (BM_cimmc_digital) has the
// same shape with 1-bit two's-complement cells: the same cell reads.
#include <benchmark/benchmark.h>

#include <omp.h>

#include <cmath>
#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "engine/job_builder.hpp"
#include "launcher.hpp"
#include "macro_config.hpp"

using namespace cimmc;
using bench::macro_config;

namespace {

double cell_reads_per_mvm(const JobView& v) { return static_cast<double>(v.K) * v.P * v.cycles; }

std::map<std::string, double> g_rates;  // MVMs per second by benchmark name

// The macro sampled by `launch` (one launch of one job per iteration).
template <class Launch>
void run_macro(benchmark::State& state, int variant, std::uint64_t samples, const Launch& launch) {
  Config c = macro_config(variant);
  c.run.samples = samples;
  BuiltJob job;
  build_job(c, philox::JobId{}, job);
  std::vector<std::uint64_t> hist(static_cast<std::size_t>(kBatchGroups) * job.view.hist_size);
  std::vector<InstanceMoments> mom(job.view.instances);
  const JobOutput out{hist.data(), mom.data()};
  for (auto _ : state) {
    launch(job.view, out);
    benchmark::DoNotOptimize(hist.data());
  }
  const double mvms = static_cast<double>(state.iterations()) * c.run.samples;
  state.counters["cell_reads/s"] = benchmark::Counter(mvms * cell_reads_per_mvm(job.view), benchmark::Counter::kIsRate);
  state.counters["MVM/s"] = benchmark::Counter(mvms, benchmark::Counter::kIsRate);
}

// One core, the widest code this CPU runs.
void BM_cimmc(benchmark::State& state) {
  run_macro(state, static_cast<int>(state.range(0)), 2048,
            [](const JobView& v, const JobOutput& o) { launch_cpu(&v, &o, 1, 1, nullptr); });
}
BENCHMARK(BM_cimmc)->Arg(0)->Arg(1)->Arg(2)->ArgName("noise_free0_read1_prog2")->Unit(benchmark::kMillisecond);

// The digital macro of the same shape (128 rows, 128 8-bit weights on 1024
// one-bit columns, 8 bit-serial cycles): every column's adder tree with
// toggles counted at every stage, accumulators and output registers.
void BM_cimmc_digital(benchmark::State& state) {
  run_macro(state, 3, 2048, [](const JobView& v, const JobOutput& o) { launch_cpu(&v, &o, 1, 1, nullptr); });
}
BENCHMARK(BM_cimmc_digital)->Unit(benchmark::kMillisecond);

// Issue 11's speed regimes: proportional read noise on the bit-sliced macro
// above (4), and one 16-level cell per weight with one 8-bit DAC cycle on a
// 128 x 128 array (5), each against the int8 GEMV below.
void BM_cimmc_regime(benchmark::State& state) {
  run_macro(state, static_cast<int>(state.range(0)), 2048,
            [](const JobView& v, const JobOutput& o) { launch_cpu(&v, &o, 1, 1, nullptr); });
}
BENCHMARK(BM_cimmc_regime)->Arg(4)->Arg(5)->ArgName("prop_read4_multilevel5")->Unit(benchmark::kMillisecond);

// One core, each x86 level this CPU runs (registered in main): the speed of
// every dispatched path, all giving the same bits (tests/test_cpu_isa.cpp);
// noise-free, absolute read noise and proportional read noise (macros 0, 1, 4).
void BM_cimmc_isa(benchmark::State& state, CpuIsa isa) {
  run_macro(state, static_cast<int>(state.range(0)), 2048,
            [isa](const JobView& v, const JobOutput& o) { launch_cpu(&v, &o, 1, 1, nullptr, isa); });
}

// With a GPU (registered in main): the CUDA backend, and the CPU backend on
// all cores of the same machine, on 64x the samples so a launch fills the GPU.
void BM_cimmc_cuda(benchmark::State& state) {
  run_macro(state, static_cast<int>(state.range(0)), 2048 * 64,
            [](const JobView& v, const JobOutput& o) { launch_cuda(&v, &o, 1, nullptr); });
}
void BM_cimmc_cpu_all_cores(benchmark::State& state) {
  run_macro(state, static_cast<int>(state.range(0)), 2048 * 64,
            [](const JobView& v, const JobOutput& o) { launch_cpu(&v, &o, 1, 0, nullptr); });
}

// The obvious implementation: loop over cycles, columns and rows, one cell at
// a time, counting the same events cimmc counts (cell (input, level) pairs,
// DAC levels, column values, ADC codes).
void BM_scalar_baseline(benchmark::State& state) {
  Config c = macro_config(0);
  BuiltJob job;
  build_job(c, philox::JobId{}, job);
  const JobView& v = job.view;
  std::mt19937 rng(1);
  std::vector<int> w(v.N * v.K), x(v.K), level(v.P * v.K);
  std::discrete_distribution<int> wd(job.w_pmf.p.begin(), job.w_pmf.p.end());
  std::discrete_distribution<int> xd(job.x_pmf.p.begin(), job.x_pmf.p.end());
  for (int i = 0; i < v.N * v.K; ++i) w[i] = wd(rng) + job.w_pmf.qmin;
  for (int p = 0; p < v.P; ++p)
    for (int j = 0; j < v.K; ++j) {
      const int wv = w[(p / v.ppw) * v.K + j], q = p % v.ppw;
      const int mag = q < v.ppw / 2 ? std::max(wv, 0) : std::max(-wv, 0);
      level[p * v.K + j] = (mag >> v.w_shift[q]) & 3;
    }
  std::vector<double> y(v.N);
  std::vector<long> hist(64), cell_hist(2 * 4), dac_hist(2), col_hist(385);
  const int samples = 64;
  for (auto _ : state) {
    for (int s = 0; s < samples; ++s) {
      for (int j = 0; j < v.K; ++j) x[j] = xd(rng) + job.x_pmf.qmin;
      std::fill(y.begin(), y.end(), 0.0);
      for (int c2 = 0; c2 < v.cycles; ++c2)
        for (int p = 0; p < v.P; ++p) {
          long col = 0;
          for (int j = 0; j < v.K; ++j) {
            const int a = (x[j] >> c2) & 1, l = level[p * v.K + j];
            ++cell_hist[a * 4 + l];
            if (p == 0) ++dac_hist[a];
            col += a * l;
          }
          ++col_hist[col];
          const long code = std::min<long>(63, std::lround(col / v.adc_delta));
          ++hist[code];
          y[p / v.ppw] += v.w_coef[p % v.ppw] * std::ldexp(1.0, c2) * code * v.adc_delta;
        }
      benchmark::DoNotOptimize(y.data());
    }
    benchmark::DoNotOptimize(cell_hist.data());
    benchmark::DoNotOptimize(col_hist.data());
  }
  const double mvms = static_cast<double>(state.iterations()) * samples;
  state.counters["cell_reads/s"] = benchmark::Counter(mvms * cell_reads_per_mvm(v), benchmark::Counter::kIsRate);
  state.counters["MVM/s"] = benchmark::Counter(mvms, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_scalar_baseline)->Unit(benchmark::kMillisecond);

// The digital answer: an exact int8 x int8 -> int32 GEMV of the same shape.
// Compiled for baseline x86-64, AVX2 and AVX-512 and picked at run time
// (GCC function multi-versioning), as cimmc's own model is: the comparison is
// with the best GEMV this CPU runs.
[[gnu::always_inline]] inline void gemv_body(const std::int8_t* w, const std::int8_t* x, std::int32_t* y, int N,
                                             int K) {
  for (int n = 0; n < N; ++n) {
    std::int32_t s = 0;
    for (int j = 0; j < K; ++j) s += static_cast<std::int32_t>(w[n * K + j]) * x[j];
    y[n] = s;
  }
}
#if defined(__x86_64__)
__attribute__((target_clones("default", "arch=x86-64-v3", "arch=x86-64-v4")))
#endif
void gemv_int8(const std::int8_t* w, const std::int8_t* x, std::int32_t* y, int N, int K) { gemv_body(w, x, y, N, K); }

// The same GEMV pinned to one x86 level, the baseline of BM_cimmc_isa at that
// level: a CPU with AVX2 but no AVX-512 runs the avx2 pair.
void gemv_base(const std::int8_t* w, const std::int8_t* x, std::int32_t* y, int N, int K) { gemv_body(w, x, y, N, K); }
#if defined(__x86_64__)
[[gnu::target("arch=x86-64-v3")]] void gemv_avx2(const std::int8_t* w, const std::int8_t* x, std::int32_t* y, int N,
                                                int K) {
  gemv_body(w, x, y, N, K);
}
[[gnu::target("arch=x86-64-v4")]] void gemv_avx512(const std::int8_t* w, const std::int8_t* x, std::int32_t* y,
                                                  int N, int K) {
  gemv_body(w, x, y, N, K);
}
#endif
using GemvFn = void (*)(const std::int8_t*, const std::int8_t*, std::int32_t*, int, int);
GemvFn gemv_for(CpuIsa isa) {
#if defined(__x86_64__)
  if (isa == CpuIsa::avx2) return gemv_avx2;
  if (isa == CpuIsa::avx512) return gemv_avx512;
#endif
  (void)isa;
  return gemv_base;
}

void run_gemv(benchmark::State& state, GemvFn gemv) {
  const int K = 128, N = 128;
  std::mt19937 rng(2);
  std::vector<std::int8_t> w(N * K), x(K);
  for (auto& t : w) t = static_cast<std::int8_t>(rng());
  for (auto& t : x) t = static_cast<std::int8_t>(rng() & 0x7f);
  std::vector<std::int32_t> y(N);
  for (auto _ : state) {
    gemv(w.data(), x.data(), y.data(), N, K);
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
    x[0] = static_cast<std::int8_t>(y[0]);  // a new input each time
  }
  state.counters["MVM/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
void BM_int8_gemv(benchmark::State& state) { run_gemv(state, gemv_int8); }
BENCHMARK(BM_int8_gemv);
void BM_int8_gemv_isa(benchmark::State& state, CpuIsa isa) { run_gemv(state, gemv_for(isa)); }

// Collects MVM/s per benchmark so the ratios can be printed after the run.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& r : runs) {
      auto it = r.counters.find("MVM/s");
      if (it == r.counters.end()) continue;
      const std::string name = r.benchmark_name();
      if (r.run_type == Run::RT_Aggregate && r.aggregate_name != "median") continue;
      std::string key = r.run_name.str();
      if (const auto rt = key.find("/real_time"); rt != std::string::npos) key.erase(rt);
      g_rates[key] = it->second.value;
      (void)name;
    }
    ConsoleReporter::ReportRuns(runs);
  }
};

// Each x86 level against the baseline, and the GPU against all CPU cores.
void print_paths(double reads) {
  auto get = [](const std::string& k) { auto it = g_rates.find(k); return it == g_rates.end() ? NAN : it->second; };
  bool header = false;
  auto line = [&](const char* who, const char* what, double r, const std::string& vs) {
    if (!header) std::printf("\nPaths (cell reads/s):\n");
    header = true;
    std::printf("  %-6s %-10s  %10.3g  %s\n", who, what, r * reads, vs.c_str());
  };
  char buf[96];
  for (const char* v : {"0", "1", "4"}) {
    const char* what = v[0] == '0' ? "noise-free" : v[0] == '1' ? "read noise" : "prop. read";
    const double base = get(std::string("BM_cimmc_isa/base/noise_free0_read1_prop4:") + v);
    for (CpuIsa isa : supported_cpu_isas()) {
      const double r = get(std::string("BM_cimmc_isa/") + cpu_isa_name(isa) + "/noise_free0_read1_prop4:" + v);
      const double g = get(std::string("BM_int8_gemv_isa/") + cpu_isa_name(isa));
      std::snprintf(buf, sizeof buf, "(%.2fx base, one core; %.1f int8 GEMVs at this level per MVM)", r / base,
                    g / r);
      if (!std::isnan(r)) line(cpu_isa_name(isa), what, r, buf);
    }
    const double gpu = get(std::string("BM_cimmc_cuda/noise_free0_read1:") + v);
    const double cpu = get(std::string("BM_cimmc_cpu_all_cores/noise_free0_read1:") + v);
    std::snprintf(buf, sizeof buf, "(CPU backend on all %d cores: %.3g, GPU %.1fx)", omp_get_max_threads(),
                  cpu * reads, gpu / cpu);
    if (!std::isnan(gpu)) line("GPU", what, gpu, buf);
  }
}

}  // namespace

int main(int argc, char** argv) {
  for (CpuIsa isa : supported_cpu_isas())
    benchmark::RegisterBenchmark((std::string("BM_cimmc_isa/") + cpu_isa_name(isa)).c_str(), BM_cimmc_isa, isa)
        ->Arg(0)->Arg(1)->Arg(4)->ArgName("noise_free0_read1_prop4")->Unit(benchmark::kMillisecond);
  for (CpuIsa isa : supported_cpu_isas())
    benchmark::RegisterBenchmark((std::string("BM_int8_gemv_isa/") + cpu_isa_name(isa)).c_str(), BM_int8_gemv_isa, isa);
  if (cuda_device_count() > 0) {
    for (auto* b : {benchmark::RegisterBenchmark("BM_cimmc_cuda", BM_cimmc_cuda),
                    benchmark::RegisterBenchmark("BM_cimmc_cpu_all_cores", BM_cimmc_cpu_all_cores)})
      b->Arg(0)->Arg(1)->ArgName("noise_free0_read1")->Unit(benchmark::kMillisecond)->UseRealTime();
  }
  benchmark::Initialize(&argc, argv);
  RatioReporter rep;
  if (benchmark::RunSpecifiedBenchmarks(&rep) == 0) {
    // The library has said which filter matched nothing; a run that measured
    // nothing must not pass for a successful one.
    std::fprintf(stderr, "cimmc_bench: no benchmark was run (check --benchmark_filter)\n");
    return 1;
  }
  // Summary lines for the benchmarks that ran (a filter may leave some out).
  auto get = [](const std::string& k) { auto it = g_rates.find(k); return it == g_rates.end() ? NAN : it->second; };
  const double reads = 128.0 * 1024 * 8;
  const double nf = get("BM_cimmc/noise_free0_read1_prog2:0"), rn = get("BM_cimmc/noise_free0_read1_prog2:1");
  const double pv = get("BM_cimmc/noise_free0_read1_prog2:2"), sc = get("BM_scalar_baseline"), gv = get("BM_int8_gemv");
  if (std::isnan(nf)) {  // every line below compares with the noise-free rate
    print_paths(reads);
    return 0;
  }
  std::printf("\nSummary (one core; medians when repeated):\n");
  std::printf("  cimmc noise-free        %10.3g cell reads/s  %9.0f MVM/s\n", nf * reads, nf);
  if (!std::isnan(rn)) std::printf("  cimmc read noise        %10.3g cell reads/s  (%.2fx the noise-free time)\n", rn * reads, nf / rn);
  if (!std::isnan(pv)) std::printf("  cimmc prog. variation   %10.3g cell reads/s  (%.2fx the noise-free time)\n", pv * reads, nf / pv);
  const double dg = get("BM_cimmc_digital");
  if (!std::isnan(dg)) std::printf("  cimmc digital, toggles  %10.3g cell reads/s  (%.2fx the analog noise-free time)\n", dg * reads, nf / dg);
  if (!std::isnan(sc)) std::printf("  per-cell scalar sim     %10.3g cell reads/s  -> cimmc is %.1fx faster\n", sc * reads, nf / sc);
  if (!std::isnan(gv)) std::printf("  exact int8 GEMV         %10.3g MVM/s         -> cimmc MVM costs %.0fx a digital GEMV\n", gv, gv / nf);
  const double pr = get("BM_cimmc_regime/prop_read4_multilevel5:4"), ml = get("BM_cimmc_regime/prop_read4_multilevel5:5");
  if (!std::isnan(pr)) std::printf("  cimmc prop. read noise  %10.3g cell reads/s  (%.2fx the noise-free time)\n", pr * reads, nf / pr);
  if (!std::isnan(ml) && !std::isnan(gv))
    std::printf("  16-level cells, 8b DAC  %10.0f MVM/s         -> costs %.1fx a digital GEMV\n", ml, gv / ml);
  print_paths(reads);
  return 0;
}

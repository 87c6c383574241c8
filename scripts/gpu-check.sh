#!/usr/bin/env bash
# On a machine with an NVIDIA GPU: build cimmc with the CUDA backend for that
# GPU, run the CUDA tests (GPU against CPU on every kernel path) and the GPU
# benchmark (cell reads/s and the ratio to the CPU backend on all cores of the
# same machine), and print one summary. Meant to finish within 5 minutes on a
# 16-core machine; logs go to $OUT (or ./gpu-check/) for the record.
# Usage: scripts/gpu-check.sh
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/cuda/bin"
BUILD=${BUILD:-build-gpu}
LOG=${OUT:-gpu-check}
mkdir -p "$LOG"
t0=$(date +%s)
say() { echo "gpu-check: $*" | tee -a "$LOG/summary.txt"; }

gpu=$(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null | head -1)
[ -n "$gpu" ] || { say "no GPU visible (nvidia-smi found none)"; exit 3; }
say "GPU: $gpu; CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores"

scripts/setup-debian.sh > "$LOG/setup.log" 2>&1 || say "setup-debian.sh failed (no package registry?); building with what is installed"
# Only this GPU's architecture: a fifth of the default build's nvcc time.
if ! cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_ARCHITECTURES=native > "$LOG/configure.log" 2>&1; then
  say "configure failed (see $LOG/configure.log)"; tail -20 "$LOG/configure.log"; exit 1
fi
grep -q "cimmc CUDA backend: ON" "$LOG/configure.log" || { say "CUDA backend not built (nvcc missing?)"; exit 1; }
if ! cmake --build "$BUILD" -j"$(nproc)" --target cimmc cimmc_tests cimmc_bench > "$LOG/build.log" 2>&1; then
  say "build failed (see $LOG/build.log)"; grep -m20 -E "error" "$LOG/build.log"; exit 1
fi
say "built in $(( $(date +%s) - t0 )) s"

timeout 150 "$BUILD/cimmc_tests" --gtest_filter='Cuda*:CorrelationSampler.Cuda*:Lanes*:CpuIsa*' > "$LOG/tests.log" 2>&1
rc=$?
say "tests: $(grep -E '^\[  PASSED  \]|^\[  FAILED  \]|^\[  SKIPPED \]' "$LOG/tests.log" | tr '\n' ' ') (exit $rc)"
grep -E "^\[  FAILED  \]|Failure|Expected|Which is" "$LOG/tests.log" | head -20

timeout 120 "$BUILD/cimmc_bench" --benchmark_filter='BM_cimmc_cuda|BM_cimmc_cpu_all_cores' \
  --benchmark_repetitions=3 --benchmark_report_aggregates_only=true > "$LOG/bench.log" 2>&1
brc=$?
sed -n '/^Paths/,$p' "$LOG/bench.log" | tee -a "$LOG/summary.txt"
[ $brc -eq 0 ] || say "benchmark exit $brc (see $LOG/bench.log)"
say "done in $(( $(date +%s) - t0 )) s"
[ $rc -eq 0 ] && [ $brc -eq 0 ]

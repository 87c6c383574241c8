#!/usr/bin/env bash
# On a machine with an NVIDIA GPU, from the repository root: the CUDA tests
# (GPU against CPU on every kernel path), the GPU benchmark (cell reads/s
# against the CPU backend on all cores of the same machine), and two end-to-end
# runs on both backends with their time split into phases: 64 points of
# configs/sweep-resnet18.yaml and `cimmc infer` of the Fashion-MNIST CNN on
# 10,000 images; the outputs of the two backends are compared dataset by
# dataset. Then the whole test suite with the GPU visible (16 shards at once).
#
# Binaries come from scripts/gpu-pack.sh (.gpu/pkg.tar.xz, built on a Debian
# machine: GPU machines here have CUDA but none of cimmc's libraries), or from
# $BUILD when there is no bundle. Logs and a summary go to $OUT (or ./gpu-check/).
# Usage: scripts/gpu-check.sh
set -uo pipefail
cd "$(dirname "$0")/.."
R=$PWD
LOG=${OUT:-$R/gpu-check}
mkdir -p "$LOG"
t0=$(date +%s)
say() { echo "[$(( $(date +%s) - t0 )) s] $*" | tee -a "$LOG/summary.txt"; }
gpu=$(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null | head -1)
[ -n "$gpu" ] || { say "no GPU visible (nvidia-smi found none)"; exit 3; }
say "GPU: $gpu; CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores"

BUILD=${BUILD:-build}
if [ -f .gpu/pkg.tar.xz ]; then
  mkdir -p /tmp/cimmc-gpu && tar -xJf .gpu/pkg.tar.xz -C /tmp/cimmc-gpu
  export LD_LIBRARY_PATH=/tmp/cimmc-gpu/lib
  # The tests find configs and the binaries by the build machine's absolute
  # paths: make those paths lead here.
  src=$(cat /tmp/cimmc-gpu/source_dir) bld=$(cat /tmp/cimmc-gpu/build_dir)
  if [ "$src" != "$R" ] && [ ! -e "$src" ]; then mkdir -p "$(dirname "$src")" && ln -s "$R" "$src"; fi
  BUILD=${bld#$src/}
  mkdir -p "$BUILD" && cp /tmp/cimmc-gpu/bin/* "$BUILD/"
  D=/usr/share/datasets/fashion-mnist
  if [ -d .gpu/data ] && [ ! -f $D/t10k-images-idx3-ubyte.gz ]; then mkdir -p $D && cp .gpu/data/* $D/; fi
fi
B=$R/$BUILD
[ -x "$B/cimmc" ] || { say "no cimmc in $B (run scripts/gpu-pack.sh on the build machine, or make)"; exit 1; }

timeout 150 "$B/cimmc_tests" --gtest_filter='Cuda*:CorrelationSampler.Cuda*' > "$LOG/tests.log" 2>&1
say "CUDA tests (exit $?): $(grep -E '^\[  (PASSED|FAILED|SKIPPED) ' "$LOG/tests.log" | tr '\n' ' ')"
grep -E "^\[  FAILED  \]|Failure$|Which is" "$LOG/tests.log" | head -20

timeout 120 "$B/cimmc_bench" --benchmark_filter='BM_cimmc_cuda|BM_cimmc_cpu_all_cores' \
  --benchmark_repetitions=3 --benchmark_report_aggregates_only=true > "$LOG/bench.log" 2>&1
say "benchmark (exit $?):"; sed -n '/^Paths/,$p' "$LOG/bench.log" | tee -a "$LOG/summary.txt"

# End to end, both backends; OLD_CIMMC (a second binary) runs on the GPU too, for A/B.
sweep=configs/.gpu-check-sweep64.yaml
sed -e 's/macro.adc.bits: \[3, 4, 5, 6, 7, 8, 9, 10\]/macro.adc.bits: [4, 6, 8, 10]/' \
    -e 's/\[differential, offset, twos_complement, sign_magnitude\]/[differential]/' \
    -e 's/macro.dac_bits: \[1, 2\]/macro.dac_bits: [1]/' configs/sweep-resnet18.yaml > $sweep
runs=("cuda $B/cimmc" "cpu $B/cimmc")
[ -n "${OLD_CIMMC:-}" ] && runs+=("cuda $OLD_CIMMC")
for kind in sweep infer; do
  for k in "${!runs[@]}"; do
    set -- ${runs[$k]}
    if [ $kind = sweep ]; then args=(run $sweep); else args=(infer configs/fashion-cnn.yaml); fi
    s=$(date +%s.%N)
    timeout 150 "$2" "${args[@]}" --backend "$1" -o /tmp/gc-$kind-$k.h5 > "$LOG/$kind-$k.log" 2>&1
    rc=$?
    say "$kind, $1 backend, $(basename "$2") #$k: exit $rc, $(awk "BEGIN {printf \"%.1f\", $(date +%s.%N) - $s}") s wall"
    grep -E "^  time:|through the macro|top-1 macro" "$LOG/$kind-$k.log" | tee -a "$LOG/summary.txt"
  done
  if command -v python3 > /dev/null && python3 -c "import h5py" 2> /dev/null; then
    for k in 1 2; do
      [ -f /tmp/gc-$kind-$k.h5 ] || continue
      say "$kind: run #$k against #0, dataset by dataset:"
      python3 scripts/h5compare.py /tmp/gc-$kind-$k.h5 /tmp/gc-$kind-0.h5 2>&1 | head -12 | tee -a "$LOG/summary.txt"
    done
  fi
done
rm -f $sweep

# The whole suite with the GPU visible: `--backend auto` picks it wherever a
# test does not say cpu. Tests that need h5diff, MPI or a Slurm install fail
# where those are missing; the summary lists the failures to read.
export GTEST_TOTAL_SHARDS=16
for i in $(seq 0 15); do GTEST_SHARD_INDEX=$i timeout 200 "$B/cimmc_tests" > /tmp/gc-shard$i.log 2>&1 & done
wait
cat /tmp/gc-shard*.log > "$LOG/suite.log"
say "suite: $(grep -c '^\[       OK \]' "$LOG/suite.log") passed, $(grep -c '^\[  SKIPPED \] [A-Z]' "$LOG/suite.log") skipped, failed:"
grep -E '^\[  FAILED  \] [A-Za-z]' "$LOG/suite.log" | grep -v "ms)$" | sort -u | tee -a "$LOG/summary.txt"
gzip -f "$LOG/suite.log"
say "done"

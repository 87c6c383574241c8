#!/usr/bin/env bash
# Strong scaling of the MPI backend on one machine: the same sweep as one
# process with T threads and as T MPI ranks with one thread each, REPS times
# alternately; prints each wall time, the medians and their ratio. The files
# are compared with h5diff every time (they must be the same bits).
#   scripts/bench-mpi.sh [CONFIG] [extra cimmc run flags...]
# Environment: CIMMC (binary, default ./build/cimmc), REPS (default 5),
# T (default 2), MPIRUN (default mpirun).
set -euo pipefail
CONFIG=${1:-configs/sweep-resnet18.yaml}
shift || true
CIMMC=${CIMMC:-./build/cimmc}
REPS=${REPS:-5}
T=${T:-2}
MPIRUN=${MPIRUN:-mpirun}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

seconds() {  # wall seconds of the command "$@"
  local t0 t1
  t0=$(date +%s.%N)
  "$@" > "$dir/log" 2>&1 || { cat "$dir/log" >&2; exit 1; }
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}'
}
median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

one=() ranks=()
for ((i = 1; i <= REPS; i++)); do
  a=$(seconds "$CIMMC" run "$CONFIG" --backend cpu --threads "$T" -o "$dir/one.h5" "$@")
  b=$(seconds "$MPIRUN" --allow-run-as-root --oversubscribe -np "$T" "$CIMMC" run "$CONFIG" --backend cpu \
      --threads 1 -o "$dir/ranks.h5" "$@")
  for g in /layers /network /jobs; do h5diff -q "$dir/one.h5" "$dir/ranks.h5" $g $g; done
  printf 'run %d: 1 rank x %d threads %.2f s, %d ranks x 1 thread %.2f s\n' "$i" "$T" "$a" "$T" "$b"
  one+=("$a") ranks+=("$b")
done
m1=$(printf '%s\n' "${one[@]}" | median)
m2=$(printf '%s\n' "${ranks[@]}" | median)
printf 'median: 1 rank x %d threads %.2f s, %d ranks x 1 thread %.2f s, ratio %.3f (ranks / threads)\n' \
  "$T" "$m1" "$T" "$m2" "$(awk -v a="$m1" -v b="$m2" 'BEGIN {print b / a}')"

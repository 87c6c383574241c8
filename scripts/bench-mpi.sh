#!/usr/bin/env bash
# Strong scaling of the MPI backend on one machine: the same sweep as one
# process with T threads and as T MPI ranks with one thread each, REPS times
# alternately; prints each wall and CPU time (CPU: less at the mercy of other
# load on a shared machine), the medians and their ratio. The files
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

seconds() {  # wall seconds of the command "$@"; its CPU seconds (user + system, children too) go to $dir/cpu
  local t0 t1
  t0=$(date +%s.%N)
  /usr/bin/time -f '%U %S' -o "$dir/time" "$@" > "$dir/log" 2>&1 || { cat "$dir/log" >&2; exit 1; }
  t1=$(date +%s.%N)
  awk '{print $1 + $2}' "$dir/time" > "$dir/cpu"
  awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}'
}
median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

one=() ranks=()
for ((i = 1; i <= REPS; i++)); do
  a=$(seconds "$CIMMC" run "$CONFIG" --backend cpu --threads "$T" -o "$dir/one.h5" "$@")
  ca=$(cat "$dir/cpu")
  b=$(seconds "$MPIRUN" --allow-run-as-root --oversubscribe -np "$T" "$CIMMC" run "$CONFIG" --backend cpu \
      --threads 1 -o "$dir/ranks.h5" "$@")
  cb=$(cat "$dir/cpu")
  for g in /layers /network /jobs; do h5diff -q "$dir/one.h5" "$dir/ranks.h5" $g $g; done
  printf 'run %d: 1 rank x %d threads %.2f s (%.1f CPU s), %d ranks x 1 thread %.2f s (%.1f CPU s); load %s\n' \
    "$i" "$T" "$a" "$ca" "$T" "$b" "$cb" "$(cut -d' ' -f1-3 /proc/loadavg)"
  one+=("$a") ranks+=("$b")
done
# Where the ranks' time went in the last run (/ranks): sampling, and waiting
# (rank 0 for the others' results, the others for rank 0 to take theirs).
for c in jobs sampling_s waiting_s; do
  printf 'ranks %s: %s\n' "$c" "$(h5dump -A 0 -d /ranks/$c "$dir/ranks.h5" | sed -n 's/^ *([0-9]*): //p' | tr -d '\n')"
done
m1=$(printf '%s\n' "${one[@]}" | median)
m2=$(printf '%s\n' "${ranks[@]}" | median)
printf 'median: 1 rank x %d threads %.2f s, %d ranks x 1 thread %.2f s, ratio %.3f (ranks / threads)\n' \
  "$T" "$m1" "$T" "$m2" "$(awk -v a="$m1" -v b="$m2" 'BEGIN {print b / a}')"

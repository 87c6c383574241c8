#!/usr/bin/env bash
# The Slurm job-array path on a real, single-node Slurm started here: a
# throw-away slurmctld + slurmd on localhost (and munged when this Slurm lacks
# auth/none), scripts/slurm/array.sbatch submitted as an array of
# `cimmc run CONFIG --shard I/N` tasks plus its dependent merge job, and the
# merged file compared with one `cimmc run CONFIG` (h5diff on /layers,
# /network and /jobs: the same bits); then scripts/slurm/mpi.sbatch as one
# 2-rank MPI job, compared the same way.
#
#   scripts/slurm/local-slurm-test.sh [CONFIG]       # from the repository root
#
# Environment: CIMMC (binary, default ./build/cimmc), N (shards, default 3),
# AUTH (none or munge; default none when Slurm has that plugin),
# KEEP (a directory: single.h5, sweep.h5 and the parts are copied there for a
# caller's own comparison, as tests/test_slurm.cpp does). CONFIG defaults to
# tests/data/slurm-sweep.yaml, 12 points of a two-layer network.
#
# Everything (slurm.conf, state, spool, logs, key, sockets, files) lives in
# one mktemp directory that is removed at the end; nothing under /etc is read
# or written (SLURM_CONF points every Slurm command at the temporary file),
# and the daemons are stopped by their own process ids however the script
# ends. Exit 0: the merged file equals the single run's; 77: skipped (not
# root, no Slurm binaries, the daemons would not start), with the reason on
# stderr; anything else: a failure.
set -uo pipefail

SKIP=77
skip() {
  echo "local-slurm-test: SKIPPED: $*" >&2
  exit $SKIP
}
fail() {
  echo "local-slurm-test: FAILED: $*" >&2
  exit 1
}

repo=$(cd "$(dirname "$0")/../.." && pwd)
CIMMC=$(realpath -e "${CIMMC:-$repo/build/cimmc}" 2>/dev/null) || fail "no cimmc binary (set CIMMC or build ./build/cimmc)"
N=${N:-3}
CONFIG=${1:-}
[ -z "$CONFIG" ] || CONFIG=$(realpath -e "$CONFIG") || fail "no config $1"

# slurmd starts every job as its submitter, which takes root.
[ "$(id -u)" -eq 0 ] || skip "slurmd must run as root (it starts jobs as their user); this is uid $(id -u)"
for b in slurmctld slurmd sbatch squeue sinfo scontrol scancel h5diff; do
  command -v "$b" > /dev/null || skip "$b not found (Debian: apt-get install slurm-wlm hdf5-tools)"
done

# auth/none when this Slurm has the plugin (no key, no daemon); else MUNGE
# with a fresh key and socket in the temporary directory (AUTH=munge forces it).
auth=${AUTH:-munge}
[ -n "${AUTH:-}" ] || for d in /usr/lib/x86_64-linux-gnu/slurm-wlm /usr/lib/x86_64-linux-gnu/slurm /usr/lib64/slurm /usr/lib/slurm \
         /usr/local/lib/slurm; do
  [ -e "$d/auth_none.so" ] && auth=none
done
[ "$auth" = none ] || command -v munged > /dev/null || skip "this Slurm has no auth/none plugin and munged is missing"

T=$(mktemp -d /tmp/cimmc-slurm.XXXXXX) || fail "mktemp"
chmod 755 "$T"  # munged refuses a socket directory others cannot search
pids=()         # daemons started here, stopped at exit by these ids only
jobs_submitted=()
cleanup() {
  if [ -e "$T/slurm.conf" ]; then
    export SLURM_CONF=$T/slurm.conf
    [ ${#jobs_submitted[@]} -eq 0 ] || timeout 10 scancel "${jobs_submitted[@]}" 2> /dev/null
    timeout 10 scontrol shutdown > /dev/null 2>&1
  fi
  local p i
  for p in "${pids[@]}"; do  # a clean shutdown ends them within a few seconds
    for ((i = 0; i < 50; i++)); do kill -0 "$p" 2> /dev/null || break; sleep 0.2; done
    kill -0 "$p" 2> /dev/null && kill -TERM "$p" 2> /dev/null && sleep 1
    kill -0 "$p" 2> /dev/null && kill -KILL "$p" 2> /dev/null
    wait "$p" 2> /dev/null
  done
  rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Two TCP ports no one listens on.
free_port() {
  local p
  for ((i = 0; i < 50; i++)); do
    p=$((20000 + RANDOM % 40000))
    ss -Hltn "sport = :$p" 2> /dev/null | grep -q . || { echo "$p"; return 0; }
  done
  return 1
}
ctld_port=$(free_port) || skip "no free TCP port"
slurmd_port=$(free_port) || skip "no free TCP port"
[ "$ctld_port" != "$slurmd_port" ] || slurmd_port=$((ctld_port + 1))
host=$(hostname -s)  # slurmctld runs only where SlurmctldHost names this host
node=cimmc-local
cpus=$(nproc)
mkdir -p "$T/state" "$T/spool" "$T/log" "$T/run"

auth_lines="AuthType=auth/none
CredType=cred/none"
if [ "$auth" = munge ]; then
  head -c 1024 /dev/urandom > "$T/munge.key" && chmod 400 "$T/munge.key"
  munged -F --key-file="$T/munge.key" --socket="$T/munge.sock" --pid-file="$T/munged.pid" \
    --log-file="$T/log/munged.log" --seed-file="$T/munged.seed" > "$T/log/munged.out" 2>&1 &
  pids+=($!)
  for ((i = 0; i < 50; i++)); do [ -S "$T/munge.sock" ] && break; sleep 0.1; done
  [ -S "$T/munge.sock" ] || skip "munged did not start: $(tail -3 "$T/log/munged.log" "$T/log/munged.out" 2> /dev/null)"
  auth_lines="AuthType=auth/munge
AuthInfo=socket=$T/munge.sock
CredType=cred/munge"
fi

# One node with this machine's CPUs; no cgroups, accounting or MPI plugin, so
# it starts in an unprivileged container too.
cat > "$T/slurm.conf" << EOF
ClusterName=cimmc-local
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
$auth_lines
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/run/slurmctld.pid
SlurmdPidFile=$T/run/slurmd.pid
SlurmctldLogFile=$T/log/slurmctld.log
SlurmdLogFile=$T/log/slurmd.log
MailProg=/bin/true
ProctrackType=proctrack/pgid
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SwitchType=switch/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/builtin
ReturnToService=2
MinJobAge=600
NodeName=$node NodeAddr=127.0.0.1 NodeHostname=$host CPUs=$cpus State=UNKNOWN
PartitionName=local Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$T/slurm.conf

t0=$(date +%s.%N)
slurmctld -D -i -f "$SLURM_CONF" > "$T/log/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D -N "$node" -f "$SLURM_CONF" > "$T/log/slurmd.out" 2>&1 &
pids+=($!)
state=""
for ((i = 0; i < 150; i++)); do
  state=$(timeout 5 sinfo -h -n "$node" -o %t 2> /dev/null)
  [ "$state" = idle ] && break
  for p in "${pids[@]}"; do kill -0 "$p" 2> /dev/null || break 2; done
  sleep 0.2
done
if [ "$state" != idle ]; then
  skip "the Slurm daemons did not start (node state '${state:-none}'):
$(tail -n 5 "$T"/log/slurmctld.* "$T"/log/slurmd.* 2> /dev/null)"
fi
printf 'local-slurm-test: slurmctld + slurmd up in %.1f s (auth/%s, %d CPUs, ports %d/%d, %s)\n' \
  "$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {print b - a}')" "$auth" "$cpus" "$ctld_port" "$slurmd_port" "$T"

[ -n "$CONFIG" ] || CONFIG=$repo/tests/data/slurm-sweep.yaml

# The reference: one process, no Slurm.
"$CIMMC" run "$CONFIG" --backend cpu --threads 1 -o "$T/single.h5" > "$T/log/single.log" 2>&1 ||
  fail "the single run failed: $(tail -5 "$T/log/single.log")"

# The job array and its merge, exactly as the README submits them (one CPU
# per task here instead of the template's 16).
cd "$T" || fail "cd $T"
t1=$(date +%s.%N)
array=$(sbatch --parsable --array=0-$((N - 1)) --cpus-per-task=1 \
  --export=ALL,N="$N",CONFIG="$CONFIG",CIMMC="$CIMMC" "$repo/scripts/slurm/array.sbatch") ||
  fail "sbatch of the array: $array"
jobs_submitted+=("$array")
merge=$(sbatch --parsable --dependency=afterok:"$array" --cpus-per-task=1 \
  --export=ALL,N="$N",OUT="$T/sweep.h5",CIMMC="$CIMMC" "$repo/scripts/slurm/array.sbatch" merge) ||
  fail "sbatch of the merge: $merge"
jobs_submitted+=("$merge")
for ((i = 0; i < 600; i++)); do
  [ -z "$(squeue -h -j "$array,$merge" -o %i 2> /dev/null)" ] && break
  sleep 0.2
done
[ -z "$(squeue -h -j "$array,$merge" -o %i 2> /dev/null)" ] ||
  fail "jobs still queued after 120 s: $(squeue -j "$array,$merge")"
printf 'local-slurm-test: array %s (%d tasks) and merge %s finished in %.1f s\n' "$array" "$N" "$merge" \
  "$(awk -v a="$t1" -v b="$(date +%s.%N)" 'BEGIN {print b - a}')"

# Every array task and the merge COMPLETED (exit 0); their logs otherwise.
done_tasks=$(scontrol -o show job "$array" | grep -c 'JobState=COMPLETED')
[ "$done_tasks" -eq "$N" ] || fail "$done_tasks of $N array tasks completed:
$(scontrol -o show job "$array" | grep -o 'ArrayTaskId=[^ ]* JobState=[^ ]*')
$(tail -n 5 "$T"/cimmc-*.log)"
scontrol -o show job "$merge" | grep -q 'JobState=COMPLETED' ||
  fail "the merge job did not complete: $(scontrol -o show job "$merge" | grep -o 'JobState=[^ ]*')
$(tail -n 5 "$T"/cimmc-*.log)"
for ((i = 0; i < N; i++)); do
  [ -s "$T/parts/part-$i.h5" ] || fail "shard $i wrote no parts/part-$i.h5"
done

for g in /layers /network /jobs; do
  h5diff -q "$T/single.h5" "$T/sweep.h5" "$g" "$g" || fail "$g of the merged file differs from the single run's"
done
echo "local-slurm-test: merged $N shards = single run, bit for bit (h5diff /layers /network /jobs)"

# The MPI template as one 2-rank job on this node, against the same single run
# (where OpenMPI's mpirun is installed).
if ! command -v mpirun > /dev/null; then
  echo "local-slurm-test: no mpirun: scripts/slurm/mpi.sbatch not tested"
else
mpi=$(sbatch --parsable --nodes=1 --ntasks-per-node=2 --cpus-per-task=1 \
  --export=ALL,CONFIG="$CONFIG",OUT="$T/mpi.h5",CIMMC="$CIMMC",MPIRUN_FLAGS="--allow-run-as-root --oversubscribe" \
  "$repo/scripts/slurm/mpi.sbatch") || fail "sbatch of the MPI job: $mpi"
jobs_submitted+=("$mpi")
for ((i = 0; i < 600; i++)); do
  scontrol -o show job "$mpi" 2> /dev/null | grep -Eq 'JobState=(PENDING|CONFIGURING|RUNNING|COMPLETING)' || break
  sleep 0.2
done
scontrol -o show job "$mpi" | grep -q 'JobState=COMPLETED' ||
  fail "the MPI job did not complete: $(scontrol -o show job "$mpi" | grep -o 'JobState=[^ ]*\|Reason=[^ ]*')
$(tail -n 5 "$T"/cimmc-mpi-*.log)"
for g in /layers /network /jobs; do
  h5diff -q "$T/single.h5" "$T/mpi.h5" "$g" "$g" || fail "$g of the MPI job's file differs from the single run's"
done
echo "local-slurm-test: the 2-rank MPI job (mpi.sbatch) = single run, bit for bit"
fi

if [ -n "${KEEP:-}" ]; then
  mkdir -p "$KEEP" && cp "$T/single.h5" "$T/sweep.h5" "$T"/parts/part-*.h5 "$KEEP"/ || fail "copying to KEEP=$KEEP"
fi
exit 0

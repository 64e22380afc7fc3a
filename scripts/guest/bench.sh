#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Runs inside the VM (started by scripts/bench): the scheduler x workload matrix, in one
# boot. Each cell loads the scheduler (none for EEVDF), runs one workload, unloads it, and
# prints one line "SCXPP-RESULT <json>". A cell whose scheduler was ejected or failed to
# start is reported with "valid":false, never dropped.
#
# Environment (set by scripts/bench):
#   BENCH_SCHEDULERS  "eevdf minimal=/path/to/minimal ..." (name=binary; eevdf = none)
#   BENCH_WORKLOADS   "latency throughput hackbench"
#   BENCH_REPS        repetitions per cell
#   BENCH_DURATION    seconds per timed workload
#   BENCH_BIN         folder with scxpp_latency_probe and scxpp_cpu_hogs
set -u
sx=/sys/kernel/sched_ext
ncpu=$(nproc)
start=$(date +%s)
total=0
for s in $BENCH_SCHEDULERS; do for w in $BENCH_WORKLOADS; do total=$((total + BENCH_REPS)); done; done
cell=0

# One JSON line on stdout from each workload.
run_workload() {
  case $1 in
    latency)  # periodic probe threads while every CPU is saturated by hogs
      "$BENCH_BIN/scxpp_cpu_hogs" --threads=$((2 * ncpu)) --duration_s=$((BENCH_DURATION + 2)) >/tmp/hogs.json &
      hogs=$!
      sleep 1
      "$BENCH_BIN/scxpp_latency_probe" --threads=4 --period_us=1000 --work_us=100 \
        --duration_s="$BENCH_DURATION"
      wait $hogs ;;
    latency_idle)  # the same probe on an otherwise idle machine
      "$BENCH_BIN/scxpp_latency_probe" --threads=4 --period_us=1000 --work_us=100 \
        --duration_s="$BENCH_DURATION" ;;
    throughput)  # CPU-bound hogs, 2x oversubscribed
      "$BENCH_BIN/scxpp_cpu_hogs" --threads=$((2 * ncpu)) --duration_s="$BENCH_DURATION" ;;
    hackbench)  # message passing, wakeup heavy
      t=$(hackbench -g 4 -l 200 2>&1 | awk '/^Time:/ {print $2}')
      echo "{\"workload\":\"hackbench\",\"time_s\":${t:-null}}" ;;
    *) echo "{\"error\":\"unknown workload $1\"}" ;;
  esac
}

for spec in $BENCH_SCHEDULERS; do
  name=${spec%%=*}
  bin=${spec#*=}
  for w in $BENCH_WORKLOADS; do
    rep=1
    while [ $rep -le "$BENCH_REPS" ]; do
      cell=$((cell + 1))
      echo "[bench] cell $cell/$total: $name x $w (rep $rep/$BENCH_REPS), $(($(date +%s) - start))s elapsed" >&2
      valid=true
      why=""
      pid=""
      if [ "$name" != eevdf ]; then
        "$bin" --stats_interval=0 >/tmp/sched.out 2>&1 &
        pid=$!
        i=0
        while [ "$(cat $sx/state)" != enabled ] && [ $i -lt 100 ] && kill -0 $pid 2>/dev/null; do
          sleep 0.1; i=$((i + 1))
        done
        if [ "$(cat $sx/state)" != enabled ]; then valid=false; why="did not attach"; fi
        ops=$(cat $sx/root/ops 2>/dev/null)
      fi
      out=$(run_workload "$w" | tail -n 1)
      if [ -n "$pid" ]; then
        if ! kill -0 $pid 2>/dev/null || [ "$(cat $sx/state)" != enabled ]; then
          valid=false; why="ejected during the run"
        fi
        kill -INT $pid 2>/dev/null
        wait $pid
        rc=$?
        [ $rc -ne 0 ] && { valid=false; why="${why:-exit status $rc}"; }
        grep -q "exited: error" /tmp/sched.out && { valid=false; why="error exit: $(grep exited: /tmp/sched.out | tail -n 1)"; }
        i=0
        while [ "$(cat $sx/state)" != disabled ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
      fi
      [ -n "$out" ] || { out=null; valid=false; why="${why:-workload printed nothing}"; }
      why=$(printf '%s' "$why" | tr '"\\' "''")
      echo "SCXPP-RESULT {\"scheduler\":\"$name\",\"workload\":\"$w\",\"rep\":$rep,\"valid\":$valid,\"why\":\"$why\",\"result\":$out}"
      rep=$((rep + 1))
    done
  done
done
echo "[bench] done: $cell cells in $(($(date +%s) - start))s" >&2

#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Runs inside the VM (started by scripts/bench): the scheduler x workload matrix, in one
# boot. Each cell loads the scheduler (none for EEVDF), runs one workload, unloads it, and
# prints one line "SCXPP-RESULT <json>". A cell whose scheduler was ejected or failed to
# start is reported with "valid":false, never dropped.
#
# Environment (set by scripts/bench):
#   BENCH_SCHEDULERS  "eevdf minimal=/path/to/minimal lowlat-x=/path/to/lowlat@--flag ..."
#                     (name=binary[@flag...]; eevdf = none)
#   BENCH_WORKLOADS   "latency throughput hackbench"
#   BENCH_REPS        repetitions per cell
#   BENCH_DURATION    seconds per timed workload
#   BENCH_BIN         folder with the scxpp_* workload programs
#   BENCH_REFERENCE_ROWS  "latency=sched-fifo:latency:--policy=fifo ..." (reference_rows)
#
# The deadline, latency and stress-ng workloads also emit, in EEVDF's turn only, reference
# rows that are not schedulers to load (reference_rows below): "eevdf-nice-20" (the same task
# set or probe at nice -20), "sched-deadline" / "sched-fifo" (the kernel's SCHED_DEADLINE /
# SCHED_FIFO classes, which sched_ext never sees), "one-per-cpu" (one stress-ng worker per
# CPU: the throughput ceiling of the oversubscribed loads), and "alone-idle": deadline's
# tightest task alone on an otherwise idle machine, what the machine itself misses.
set -u
sx=/sys/kernel/sched_ext
ncpu=$(nproc)
start=$(date +%s)
total=0
for s in $BENCH_SCHEDULERS; do for w in $BENCH_WORKLOADS; do total=$((total + BENCH_REPS)); done; done
cell=0

# The deadline task set: per CPU 1000:5000 + 2000:10000 + 3000:20000 + 500:10000 (deadline
# 2000) = 0.2 + 0.2 + 0.15 + 0.05 = 60% of a CPU, repeated once per CPU, so the set
# asks for 60% of the machine whatever its size.
rt_tasks=""
i=0
while [ $i -lt "$ncpu" ]; do
  rt_tasks="$rt_tasks${rt_tasks:+,}1000:5000,2000:10000,3000:20000,500:10000:2000"
  i=$((i + 1))
done
RT_ARGS=""     # extra flags of the deadline task set (scxpp_rt_taskset)
PROBE_ARGS=""  # extra flags of the latency probe (reference rows only)
# How a scheduler's own turn runs the task set: the deadline scheduler admits it (through its
# daemon's socket, with the budgets SCHED_DEADLINE gets); the others see plain SCHED_OTHER.
sched_rt_args() {
  case $1 in
    deadline) echo "--policy=scx_deadline" ;;
    *) echo "" ;;
  esac
}

# Reference rows measured in EEVDF's turn for workload $1, as name:runner:flags (flags, '@'
# between them, for the runner's probe or task set): what the kernel's own classes do with
# the same load — the task at nice -20, under SCHED_DEADLINE or SCHED_FIFO — and the
# environment's floor (deadline's tightest task alone on an idle machine). The list is
# scripts/bench's REFERENCE_ROWS, passed as "workload=name:runner:flags ...".
reference_rows() {
  for row in $BENCH_REFERENCE_ROWS; do
    case $row in "$1="*) echo "${row#*=}" ;; esac
  done
}

# One JSON line on stdout from each workload.
run_workload() {
  case $1 in
    latency)  # periodic probe threads while every CPU is saturated by hogs
      "$BENCH_BIN/scxpp_cpu_hogs" --threads=$((2 * ncpu)) --duration_s=$((BENCH_DURATION + 2)) >/tmp/hogs.json &
      hogs=$!
      sleep 1
      # shellcheck disable=SC2086  # PROBE_ARGS is a list of flags
      "$BENCH_BIN/scxpp_latency_probe" --threads=4 --period_us=1000 --work_us=100 \
        --duration_s="$BENCH_DURATION" $PROBE_ARGS >/tmp/probe.json 2>/tmp/workload.err
      wait $hogs
      # One object: the probe's result with the hogs' beside it ("hogs": {...}); nothing
      # when either printed nothing, so the cell is reported invalid, not unparsable.
      if [ -s /tmp/probe.json ] && [ -s /tmp/hogs.json ]; then
        printf '%s,"hogs":%s}\n' "$(sed 's/}[[:space:]]*$//' /tmp/probe.json)" "$(cat /tmp/hogs.json)"
      fi ;;
    cyclictest)  # rt-tests' cyclictest on SCHED_OTHER (one thread per CPU) beside 2x hogs
      "$BENCH_BIN/scxpp_cpu_hogs" --threads=$((2 * ncpu)) --duration_s=$((BENCH_DURATION + 2)) >/dev/null &
      hogs=$!
      sleep 1
      cyclictest -q -m -D "$BENCH_DURATION" -t "$ncpu" -i 1000 --policy=other \
        >/tmp/cyclictest.out 2>/tmp/workload.err ||
        echo "cyclictest exited with status $?" >>/tmp/workload.err
      # "Avg:   428" but "Avg:46806": cyclictest pads to 5 digits, so a long latency joins
      # its label; split every "Label:value" apart before reading the fields.
      sed 's/\([A-Za-z]\):/\1: /g' /tmp/cyclictest.out | awk '
        /^T:/ { for (i = 1; i < NF; i++) { if ($i == "Avg:") { s += $(i + 1); n++ } if ($i == "Max:" && $(i + 1) > m) m = $(i + 1) } }
        END { if (n) printf "{\"workload\":\"cyclictest\",\"threads\":%d,\"avg_us\":%.1f,\"max_us\":%d}\n", n, s / n, m }'
      wait $hogs ;;
    latency_idle)  # the same probe on an otherwise idle machine
      "$BENCH_BIN/scxpp_latency_probe" --threads=4 --period_us=1000 --work_us=100 \
        --duration_s="$BENCH_DURATION" ;;
    throughput)  # CPU-bound hogs, 2x oversubscribed
      "$BENCH_BIN/scxpp_cpu_hogs" --threads=$((2 * ncpu)) --duration_s="$BENCH_DURATION" ;;
    throughput8x)  # CPU-bound hogs, 8x oversubscribed
      "$BENCH_BIN/scxpp_cpu_hogs" --threads=$((8 * ncpu)) --duration_s="$BENCH_DURATION" ;;
    stress_cpu|stress_cpu2x|stress_cpu1x)  # Debian's stress-ng CPU workers (processes), 8x /
      # 2x / 1x as many as CPUs. Bogo ops per second of the timed span: its own "bogo ops/s
      # (real time)" divides by the workers' mean run time, which came out short now and then
      # (3.7 s of a 6 s run once; the rate read 412 against ~180 in another run).
      case $1 in stress_cpu) n=$((8 * ncpu)) ;; stress_cpu2x) n=$((2 * ncpu)) ;; *) n=$ncpu ;; esac
      ops=$(stress-ng --cpu "$n" --cpu-method int64 --timeout "${BENCH_DURATION}s" \
              --metrics-brief 2>&1 |
            awk -v d="$BENCH_DURATION" '$4 == "cpu" && $5 ~ /^[0-9]+$/ {printf "%.2f\n", $5 / d}')
      echo "{\"workload\":\"$1\",\"bogo_ops_per_s\":${ops:-null}}" ;;
    fairness)  # cgroup v2 cpu.weight between three tenants (the case)
      "$BENCH_BIN/scxpp_tenant_load" --tenants=a:100:1,b:200:4,c:400:8 \
        --duration_s="$BENCH_DURATION" ;;
    fairness_nested)  # the weights of a nested tree multiply down
      "$BENCH_BIN/scxpp_tenant_load" --tenants=a:100:2,b:100:0,b/x:100:2,b/y:300:2 \
        --duration_s="$BENCH_DURATION" ;;
    fairness_capped)  # cpu.max caps a tenant; the others absorb what it cannot use
      "$BENCH_BIN/scxpp_tenant_load" --tenants=a:100:2:0.5,b:100:2,c:100:2 \
        --duration_s="$BENCH_DURATION" ;;
    deadline)  # periodic task set at 60% utilisation while hogs saturate every CPU
      "$BENCH_BIN/scxpp_cpu_hogs" --threads=$((2 * ncpu)) --duration_s=$((BENCH_DURATION + 2)) >/tmp/hogs.json &
      hogs=$!
      sleep 1
      # shellcheck disable=SC2086  # RT_ARGS is a list of flags
      "$BENCH_BIN/scxpp_rt_taskset" --tasks="$rt_tasks" --duration_s="$BENCH_DURATION" $RT_ARGS
      wait $hogs ;;
    deadline_alone)  # the environment's floor: one tight periodic task, nothing else running
      "$BENCH_BIN/scxpp_rt_taskset" --tasks=500:10000:2000 --duration_s="$BENCH_DURATION" ;;
    hackbench)  # message passing, wakeup heavy
      t=$(hackbench -g 4 -l 200 2>&1 | awk '/^Time:/ {print $2}')
      echo "{\"workload\":\"hackbench\",\"time_s\":${t:-null}}" ;;
    *) echo "{\"error\":\"unknown workload $1\"}" ;;
  esac
}

# Repetition-major order: every scheduler runs repetition 1 of a workload before any runs
# repetition 2, so a slow spell of the host (other jobs on it, under emulation) lands on all
# schedulers alike instead of on whichever ran during it.
rep=1
while [ $rep -le "$BENCH_REPS" ]; do
  for w in $BENCH_WORKLOADS; do
    for spec in $BENCH_SCHEDULERS; do
      name=${spec%%=*}
      bin=${spec#*=}
      flags=""
      case $bin in *@*) flags=$(printf '%s' "${bin#*@}" | tr @ ' '); bin=${bin%%@*} ;; esac
      cell=$((cell + 1))
      echo "[bench] cell $cell/$total: $name x $w (rep $rep/$BENCH_REPS), $(($(date +%s) - start))s elapsed" >&2
      valid=true
      why=""
      pid=""
      if [ "$name" != eevdf ]; then
        # shellcheck disable=SC2086  # flags is a list
        "$bin" --stats_interval=0 $flags >/tmp/sched.out 2>&1 &
        pid=$!
        i=0
        while [ "$(cat $sx/state)" != enabled ] && [ $i -lt 100 ] && kill -0 $pid 2>/dev/null; do
          sleep 0.1; i=$((i + 1))
        done
        if [ "$(cat $sx/state)" != enabled ]; then
          valid=false
          if kill -0 $pid 2>/dev/null; then
            why="did not attach within 10 s (still loading: see the verifier's work in vm.reliability)"
          else
            why="did not attach: $(tail -n 2 /tmp/sched.out | tr '\n' ' ')"
          fi
        fi
        ops=$(cat $sx/root/ops 2>/dev/null)
      fi
      RT_ARGS=$(sched_rt_args "${bin##*/}")  # by binary, so a variant of deadline gets it too
      : >/tmp/workload.err
      out=$(run_workload "$w" | tail -n 1)
      RT_ARGS=""
      if [ -n "$pid" ]; then
        if [ -z "$why" ] && { ! kill -0 $pid 2>/dev/null || [ "$(cat $sx/state)" != enabled ]; }; then
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
      if [ -z "$out" ]; then
        out=null; valid=false
        why="${why:-workload printed nothing}"
        [ -s /tmp/workload.err ] && why="$why ($(tail -n 3 /tmp/workload.err | tr '\n' ' '))"
      fi
      why=$(printf '%s' "$why" | tr '"\\' "''")
      echo "SCXPP-RESULT {\"scheduler\":\"$name\",\"workload\":\"$w\",\"rep\":$rep,\"valid\":$valid,\"why\":\"$why\",\"result\":$out}"
      if [ "$name" = eevdf ]; then
        for extra in $(reference_rows "$w"); do
          xname=${extra%%:*}
          rest=${extra#*:}
          echo "[bench] reference row: $xname x $w (rep $rep/$BENCH_REPS), $(($(date +%s) - start))s elapsed" >&2
          case ${rest%%:*} in
            latency) PROBE_ARGS=$(printf '%s' "${rest#*:}" | tr @ ' ') ;;
            *) RT_ARGS=$(printf '%s' "${rest#*:}" | tr @ ' ') ;;
          esac
          out=$(run_workload "${rest%%:*}" | tail -n 1)
          RT_ARGS=""; PROBE_ARGS=""
          valid=true; why=""
          [ -n "$out" ] || { out=null; valid=false; why="workload printed nothing"; }
          echo "SCXPP-RESULT {\"scheduler\":\"$xname\",\"workload\":\"$w\",\"rep\":$rep,\"valid\":$valid,\"why\":\"$why\",\"result\":$out}"
        done
      fi
    done
  done
  rep=$((rep + 1))
done
echo "[bench] done: $cell cells in $(($(date +%s) - start))s" >&2

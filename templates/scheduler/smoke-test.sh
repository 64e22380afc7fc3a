#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# smoke-test.sh BINARY [OPS_NAME]
#
# Loads a scxpp scheduler and checks the whole life of it, as root on a kernel with
# sched_ext (inside scxpp's VM: `ctest` runs it there, see CMakeLists.txt):
#   1. nothing else is attached;
#   2. BINARY attaches: /sys/kernel/sched_ext/state becomes "enabled" and root/ops is
#      OPS_NAME (default: BINARY's file name);
#   3. a workload (hackbench, or forked shells without it) completes and the scheduler is
#      still the one attached afterwards;
#   4. SIGINT detaches it: exit status 0, "unregistered from user space", final stats
#      printed, state back to "disabled".
# Prints "SMOKE PASS <name>" or "SMOKE FAIL <name>: <why>" (with the scheduler's output)
# and exits 0 or 1. POSIX sh: runs under busybox.
set -u
bin=$1
name=${2:-$(basename "$bin")}
sysfs=/sys/kernel/sched_ext
out=$(mktemp)
pid=

fail() {
  echo "SMOKE FAIL $name: $*"
  echo "--- $bin output:"
  cat "$out"
  [ -n "$pid" ] && kill -INT "$pid" 2>/dev/null
  exit 1
}

# wait_for SECONDS COMMAND...: polls COMMAND every 0.1 s.
wait_for() {
  tries=$(($1 * 10))
  shift
  while ! "$@"; do
    tries=$((tries - 1))
    [ "$tries" -gt 0 ] || return 1
    sleep 0.1
  done
}
state_is() { [ "$(cat $sysfs/state 2>/dev/null)" = "$1" ]; }

[ -d $sysfs ] || fail "this kernel ($(uname -r)) has no sched_ext ($sysfs is missing)"
[ "$(id -u)" = 0 ] || fail "must run as root"
state_is disabled || fail "another scheduler is attached: $(cat $sysfs/root/ops 2>/dev/null)"

"$bin" --stats_interval=1s >"$out" 2>&1 &
pid=$!
wait_for 60 state_is enabled || fail "state did not become 'enabled' within 60 s"
ops=$(cat $sysfs/root/ops)
[ "$ops" = "$name" ] || fail "root/ops is '$ops', expected '$name'"
grep -q "attached" "$out" || wait_for 10 grep -q "attached" "$out" || fail "no 'attached' line"

if command -v hackbench >/dev/null 2>&1; then
  hackbench -g 2 -l 100 >/dev/null || fail "hackbench failed under the scheduler"
else
  # No hackbench (a bare host): CPU-bound shells, more than there are CPUs.
  pids=
  i=0
  while [ $i -lt 8 ]; do
    sh -c 'n=0; while [ $n -lt 200000 ]; do n=$((n + 1)); done' &
    pids="$pids $!"
    i=$((i + 1))
  done
  for p in $pids; do wait "$p" || fail "a workload shell failed"; done
fi
state_is enabled || fail "the scheduler was ejected during the workload: $(cat $sysfs/state)"
[ "$(cat $sysfs/root/ops)" = "$name" ] || fail "root/ops changed during the workload"

kill -INT "$pid"
wait "$pid"
rc=$?
pid=
[ "$rc" = 0 ] || fail "exit status $rc after SIGINT (0 expected)"
grep -q "unregistered from user space" "$out" || fail "no 'unregistered from user space' exit"
grep -q "final" "$out" || fail "no final stats line"
wait_for 10 state_is disabled || fail "state did not return to 'disabled'"
echo "SMOKE PASS $name"
grep "final" "$out"
rm -f "$out"

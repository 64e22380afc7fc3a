#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The VM runner's own contract: it returns the guest command's status, reports a kernel
# crash (or a hung task) as such (125, not as the command's failure), enforces its
# timeout (124), retries a boot that stalls before /init once, and fails (126) when there is
# no VM to run in.
set -u
vm_run=$1
logdir=$2
mkdir -p "$logdir"
fail=0
expect() {
  want=$1; shift
  name=$1; shift
  "$vm_run" --quiet --log "$logdir/$name.log" "$@" 2>"$logdir/$name.err"
  got=$?
  if [ "$got" -ne "$want" ]; then
    echo "FAIL $name: want exit $want, got $got"; cat "$logdir/$name.err"; fail=1
  else
    echo "ok   $name: exit $got ($(tail -n 1 "$logdir/$name.err"))"
  fi
}
# The guest sees sched_ext, cgroup2 with the cpu controller, bpffs and the kernel config.
expect 7 status -- 'test "$(cat /sys/kernel/sched_ext/state)" = disabled || exit 1
  grep -qw cpu /sys/fs/cgroup/cgroup.subtree_control || exit 2
  mount | grep -q " /sys/fs/bpf type bpf" || exit 3
  test -r /boot/config-$(uname -r) || exit 4
  test -x /usr/bin/hackbench -a -x /usr/bin/stress-ng -a -x /usr/bin/cyclictest || exit 5
  exit 7'
expect 125 panic -- 'echo c > /proc/sysrq-trigger; sleep 30'
# The kernel's hung-task report ends the run as well (written the way the detector prints it:
# waiting 120 s for a real one would make this test slow).
expect 125 hung-task -- 'echo "<3>INFO: task cpuhp/1:20 blocked for more than 120 seconds." >/dev/kmsg; sleep 30'
expect 124 timeout --timeout 25 -- 'echo last-words-before-the-hang; sleep 600'
# A failed run shows the console's tail on stderr: a CI log keeps it after the checkout is gone.
grep -q '| last-words-before-the-hang' "$logdir/timeout.err" ||
  { echo "FAIL timeout: the console's last lines are not on stderr"; fail=1; }
# A guest that does not reach /init in time is booted once more, then fails as a VM failure.
expect 126 boot-stall --boot-timeout 1 -- true
grep -q 'booting once more' "$logdir/boot-stall.err" && grep -q 'twice' "$logdir/boot-stall.err" ||
  { echo "FAIL boot-stall: no retry and no 'twice' in the report"; fail=1; }
# No VM is a failure (126), never a skip: no kernel at all, and a kernel qemu cannot boot.
expect 126 no-kernel --kernel "$logdir/no-such-kernel" -- true
mkdir -p "$logdir/bad-kernel"
echo "not a kernel image" >"$logdir/bad-kernel/vmlinuz"
expect 126 incomplete-kernel --kernel "$logdir/bad-kernel" -- true
echo "0.0-bad" >"$logdir/bad-kernel/release"
echo "# no config" >"$logdir/bad-kernel/config"
expect 126 bad-kernel --kernel "$logdir/bad-kernel" --timeout 60 -- true
exit $fail

#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Runs inside the VM (scripts/main): EEVDF vs the minimal scheduler on hackbench, and the
# scheduler's whole lifecycle. Usage: demo.sh <path-to-minimal>
set -u
minimal=$1
reps=3
sx=/sys/kernel/sched_ext

bench() {  # prints hackbench's run time in seconds
  hackbench -g 4 -l 400 2>&1 | awk '/^Time:/ {print $2}'
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
spread() { sort -n | awk 'NR==1 {lo=$1} {hi=$1} END {printf "%s..%s", lo, hi}'; }

echo "== kernel $(uname -r), $(nproc) CPUs; sched_ext state: $(cat $sx/state)"
echo "== hackbench -g 4 -l 400 under EEVDF (the kernel's default), $reps runs"
: >/tmp/eevdf
for i in $(seq $reps); do t=$(bench); echo "   run $i: ${t}s"; echo "$t" >>/tmp/eevdf; done

echo "== starting minimal (stats every second)"
"$minimal" --stats_interval=1s >/tmp/minimal.out 2>&1 &
pid=$!
i=0
while [ "$(cat $sx/state)" != enabled ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
echo "   state: $(cat $sx/state), root/ops: $(cat $sx/root/ops 2>/dev/null)"
[ "$(cat $sx/state)" = enabled ] || { cat /tmp/minimal.out; exit 1; }
echo "   this shell is on sched_ext: $(grep ext.enabled /proc/self/sched)"
echo "== hackbench -g 4 -l 400 under minimal, $reps runs"
: >/tmp/minimal
for i in $(seq $reps); do t=$(bench); echo "   run $i: ${t}s"; echo "$t" >>/tmp/minimal; done

echo "== SIGINT -> detach"
kill -INT $pid
wait $pid
rc=$?
echo "   minimal exited with status $rc; state: $(cat $sx/state)"
echo "== scheduler output"
sed 's/^/   /' /tmp/minimal.out | tail -n 8

echo
echo "== result (hackbench seconds, lower is better; median and min..max of $reps)"
printf '   %-10s %8s   %s\n' scheduler median spread
printf '   %-10s %8s   %s\n' EEVDF "$(median </tmp/eevdf)" "$(spread </tmp/eevdf)"
printf '   %-10s %8s   %s\n' minimal "$(median </tmp/minimal)" "$(spread </tmp/minimal)"
[ $rc -eq 0 ] && [ "$(cat $sx/state)" = disabled ] && grep -q "unregistered from user space" /tmp/minimal.out

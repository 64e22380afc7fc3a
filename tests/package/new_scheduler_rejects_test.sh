#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# new_scheduler_rejects_test.sh NEW_SCHEDULER WORK
#
# scripts/new-scheduler refuses names that cannot be a C identifier / BPF ops name, names
# that clash with scxpp's own, and a destination that already has files (exit status 2, a
# message that says why, nothing written); it accepts an empty directory and leaves no
# template placeholder behind.
set -u
ns=$1 work=$2
rm -rf "$work"
mkdir -p "$work/full"
echo keep >"$work/full/file"
status=0
expect_refused() {  # expect_refused <what it should say> <args...>
  want=$1
  shift
  out=$("$ns" "$@" 2>&1)
  rc=$?
  if [ $rc -ne 2 ] || ! echo "$out" | grep -q "$want"; then
    echo "FAIL: new-scheduler $* -> status $rc, output: $out (expected 2 and '$want')"
    status=1
  else
    echo "ok: new-scheduler $* refused: $out"
  fi
}
expect_refused "not a lower-case C identifier" "My-Sched" "$work/a"
expect_refused "not a lower-case C identifier" "9lives" "$work/b"
expect_refused "reserved" "scxpp_x" "$work/c"
expect_refused "longer than 32" "a_name_that_is_much_too_long_for_ops" "$work/d"
expect_refused "not an empty directory" "okname" "$work/full"
for d in a b c d; do
  [ ! -e "$work/$d" ] || { echo "FAIL: a refused call created $work/$d"; status=1; }
done
[ "$(ls "$work/full")" = file ] || { echo "FAIL: a refused call wrote into $work/full"; status=1; }

mkdir -p "$work/empty"
if "$ns" okname "$work/empty" >/dev/null; then
  for f in CMakeLists.txt README.md main.cc okname.bpf.c okname_intf.h smoke-test.sh; do
    [ -f "$work/empty/$f" ] || { echo "FAIL: $f not generated"; status=1; }
  done
  if grep -rn '@name@\|@NAME@' "$work/empty" || ls "$work/empty" | grep -q NAME; then
    echo "FAIL: placeholders left in the generated files"
    status=1
  fi
  grep -q '.name = "okname"' "$work/empty/okname.bpf.c" || { echo "FAIL: ops name not set"; status=1; }
  [ -x "$work/empty/smoke-test.sh" ] || { echo "FAIL: smoke-test.sh not executable"; status=1; }
else
  echo "FAIL: new-scheduler okname into an empty directory failed"
  status=1
fi
[ $status = 0 ] && echo "PASS: new-scheduler refuses bad input and fills an empty directory"
exit $status

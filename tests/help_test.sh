#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# help_test.sh BINARY:FLAG[,FLAG...]...
#
# `BINARY --help` exits 0, lists each FLAG with its default, and names the program once in
# its usage line (Abseil's default help listed no flag of a scxpp program: "No flags matched").
fail=0
for spec in "$@"; do
  bin=${spec%%:*}
  flags=$(echo "${spec#*:}" | tr ',' ' ')
  name=$(basename "$bin")
  out=$("$bin" --help 2>&1)
  rc=$?
  [ "$rc" -eq 0 ] || [ "$rc" -eq 1 ] || { echo "FAIL $name --help exited $rc"; fail=1; }
  for f in $flags; do
    echo "$out" | grep -q -- "--$f (.*default:" || echo "$out" | grep -A3 -- "--$f (" | grep -q 'default:' ||
      { echo "FAIL $name --help does not list --$f with its default"; fail=1; }
  done
  echo "$out" | head -n 1 | grep -q "^$name: $name:" && { echo "FAIL $name: usage line names it twice"; fail=1; }
  echo "$out" | grep -q "No flags matched" && { echo "FAIL $name: 'No flags matched'"; fail=1; }
  [ "$fail" = 0 ] && echo "ok   $name --help lists $flags"
done
exit $fail

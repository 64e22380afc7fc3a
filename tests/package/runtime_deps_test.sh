#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# runtime_deps_test.sh DEPLOYMENT_MD BINARY...
#
# Every shared library the binaries load (ldd) comes from a Debian package that
# docs/deployment.md names in its run-time list (the "At run time" bullet, package names in
# backticks): what a fleet machine must have installed is what the doc says.
set -eu
doc=$1
shift
listed=$(awk '/^- At run time/ { on = 1 } on && /^- / && !/^- At run time/ { exit } on' "$doc" |
  grep -o '`[^`]*`' | tr -d '`')
[ -n "$listed" ] || { echo "FAIL: no run-time package list ('- At run time ...') in $doc"; exit 1; }
# The loop below runs in a subshell (a pipe): it reports failure through this file.
marker=$(mktemp)
trap 'rm -f "$marker"' EXIT
status=0
# Each library once, with the first binary that loads it (dpkg -S is slow).
libs=$(for bin in "$@"; do
  ldd "$bin" | awk -v b="$bin" '$2 == "=>" && $3 ~ /^\// { print $3, b } $1 ~ /^\// { print $1, b }'
done | sort -u -k1,1)
printf '%s\n' "$libs" | while read -r lib bin; do
  # dpkg knows a file by the path its package ships; with merged /usr that may be the
  # other spelling of the same file.
  pkg=""
  for path in "$lib" "$(readlink -f "$lib")" "/usr$lib" "${lib#/usr}"; do
    # A diverted file (trixie's dynamic loader) also prints "diversion by ..." lines.
    pkg=$(dpkg -S "$path" 2>/dev/null | grep -v '^diversion ' | head -n 1 | cut -d: -f1) &&
      [ -n "$pkg" ] && break
  done
  if [ -z "$pkg" ]; then
    echo "FAIL: $bin loads $lib, which no Debian package ships"
    status=1
  elif ! printf '%s\n' "$listed" | grep -qx "$pkg"; then
    echo "FAIL: $bin needs $pkg ($lib); $doc does not list it"
    status=1
  fi
  [ $status -eq 0 ] || echo fail >"$marker"
done
[ ! -s "$marker" ] || exit 1
echo "PASS: every library of $# binaries is from a package $doc lists"

#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Builds a one-file BPF project, edits a header its .bpf.c includes, and checks that the
# next build recompiles the object (and that a build with no change does not).
set -eu
cmake=$1 src=$2 bin=$3 cmake_dir=$4 vmlinux=$5 clang=$6 scxpp_inc=$7 libbpf_inc=$8
rm -rf "$bin"
mkdir -p "$bin/hdr"
echo '#define DEP_TIMEOUT_MS 5000' >"$bin/hdr/dep_header.h"
"$cmake" -S "$src" -B "$bin" -G Ninja -DSCXPP_CMAKE_DIR="$cmake_dir" \
  -DSCXPP_VMLINUX_H="$vmlinux" -DSCXPP_BPF_CLANG="$clang" -DDEP_HEADER_DIR="$bin/hdr" \
  "-DSCXPP_BPF_INCLUDE_DIRS=$scxpp_inc;$libbpf_inc" >/dev/null
"$cmake" --build "$bin" >/dev/null
out=$("$cmake" --build "$bin")
if echo "$out" | grep -q "BPF dep.bpf.c"; then
  echo "FAIL: a build with nothing changed recompiled the BPF object:"; echo "$out"; exit 1
fi
sleep 1
echo '#define DEP_TIMEOUT_MS 6000' >"$bin/hdr/dep_header.h"
out=$("$cmake" --build "$bin")
if ! echo "$out" | grep -q "BPF dep.bpf.c"; then
  echo "FAIL: editing an included header did not rebuild the BPF object:"; echo "$out"; exit 1
fi
echo "PASS: header change rebuilt the object; no-op build did nothing"

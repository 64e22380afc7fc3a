#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# pkg_config_test.sh CXX PREFIX LIBDIR VERSION WORK
#
# The installed scxpp.pc is enough to build without CMake: `pkg-config --cflags --libs
# scxpp` compiles and links a program that uses the C++ API, a BPF-side header shared with
# C++, and libbpf, and the program runs. The .pc file finds its prefix from its own
# location, so this also runs against wherever PREFIX is.
set -eu
cxx=$1 prefix=$2 libdir=$3 version=$4 work=$5
export PKG_CONFIG_PATH="$prefix/$libdir/pkgconfig"
rm -rf "$work"
mkdir -p "$work"
got=$(pkg-config --modversion scxpp)
[ "$got" = "$version" ] || { echo "FAIL: pkg-config says scxpp $got, the build is $version"; exit 1; }
cat >"$work/pc.cc" <<'CC'
#include <bpf/libbpf.h>

#include <cstdio>

#include "scxpp/bpf/sched_math_common.h"
#include "scxpp/kernel.h"

int main() {
  std::printf("state name: %s; vtime(1ms, w200): %llu; libbpf %u.%u\n",
              std::string(scxpp::SchedExtStateName(scxpp::SchedExtState::kEnabled)).c_str(),
              static_cast<unsigned long long>(scxpp_vtime_delta(1000000, 200)),
              libbpf_major_version(), libbpf_minor_version());
  return 0;
}
CC
# shellcheck disable=SC2046
"$cxx" -std=c++20 -o "$work/pc" "$work/pc.cc" $(pkg-config --cflags scxpp) $(pkg-config --libs scxpp)
out=$("$work/pc")
echo "$out"
case $out in
  "state name: enabled; vtime(1ms, w200): 500000; libbpf "*) echo "PASS: built and ran with pkg-config scxpp $got" ;;
  *) echo "FAIL: unexpected output"; exit 1 ;;
esac

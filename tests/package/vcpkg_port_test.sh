#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# vcpkg_port_test.sh CMAKE GENERATOR PORT_DIR WORK LIBBPF_PREFIX CONSUMER
#
# The vcpkg port, run offline (vcpkg_port_test.cmake has the stand-ins), then what a vcpkg
# user gets: the port's own libbpf dependency is a copy of LIBBPF_PREFIX in WORK/installed
# with a vcpkg-style libbpf.pc. Checks: scxppctl in tools/scxpp/ and no bin/;
# scxpp-new-scheduler finds its template from there; `pkg-config --static --libs scxpp`
# resolves every -l through its -L directories or the system's; the copyright names every
# licence; CONSUMER builds with find_package(scxpp) against packages/ + installed/.
set -eu
cmake=$1 gen=$2 port=$3 work=$4 libbpf=$5 consumer=$6
rm -rf "$work"
mkdir -p "$work/installed"
cp -R "$libbpf/." "$work/installed/"
[ -d "$work/installed/lib64" ] && mv "$work/installed/lib64" "$work/installed/lib"
sed -i 's|^prefix=.*|prefix=${pcfiledir}/../..|; s|^libdir=.*|libdir=${prefix}/lib|' \
  "$work/installed/lib/pkgconfig/libbpf.pc"
"$cmake" -DPORTFILE="$port/portfile.cmake" -DWORK="$work" -DGENERATOR="$gen" \
  -P "$(dirname "$0")/vcpkg_port_test.cmake"

pkgs=$work/packages
fail=0
bad() { echo "FAIL: $*"; fail=1; }
[ -x "$pkgs/tools/scxpp/scxppctl" ] || bad "no tools/scxpp/scxppctl"
[ -x "$pkgs/tools/scxpp/scxpp-new-scheduler" ] || bad "no tools/scxpp/scxpp-new-scheduler"
[ -x "$pkgs/tools/scxpp/scxpp-vm-run" ] || bad "no tools/scxpp/scxpp-vm-run"
[ ! -e "$pkgs/bin" ] || bad "bin/ is left in the package: $(ls "$pkgs/bin")"
[ -f "$pkgs/share/scxpp/scxppConfig.cmake" ] || bad "no share/scxpp/scxppConfig.cmake"
[ -f "$pkgs/share/scxpp/vmlinux/arm64/vmlinux.h" ] || bad "no vendored arm64 vmlinux.h"
for l in "GNU GENERAL PUBLIC LICENSE" "Apache License" "LESSER GENERAL PUBLIC" \
         "Redistribution and use in source and binary forms"; do
  grep -q "$l" "$pkgs/share/scxpp/copyright" || bad "the copyright file lacks $l"
done
if [ -x "$pkgs/tools/scxpp/scxpp-new-scheduler" ]; then
  "$pkgs/tools/scxpp/scxpp-new-scheduler" vcpkgsched "$work/newsched" >"$work/newsched.log" 2>&1 &&
    [ -f "$work/newsched/vcpkgsched.bpf.c" ] || { bad "scxpp-new-scheduler failed:"; cat "$work/newsched.log"; }
fi
export PKG_CONFIG_PATH="$pkgs/lib/pkgconfig:$work/installed/lib/pkgconfig"
libs=$(pkg-config --static --libs scxpp) || bad "pkg-config --static --libs scxpp failed"
echo "pkg-config --static --libs scxpp: $libs"
dirs=""
for w in $libs; do case $w in -L*) dirs="$dirs ${w#-L}";; esac; done
sysdirs=$(gcc -print-search-dirs | sed -n 's/^libraries: =//p' | tr ':' ' ')
for w in $libs; do
  case $w in
    -l*)
      n=${w#-l}; found=""
      for d in $dirs $sysdirs; do
        if [ -e "$d/lib$n.a" ] || [ -e "$d/lib$n.so" ]; then found=$d; break; fi
      done
      [ -n "$found" ] || bad "-l$n resolves in none of the -L directories nor the system's"
      ;;
  esac
done
"$(dirname "$0")/build_project.sh" "$cmake" "$gen" "$consumer" "$work/consumer" \
  "-DCMAKE_PREFIX_PATH=$pkgs;$work/installed" || bad "the consumer did not build against the port"
[ "$fail" = 0 ] && echo "vcpkg_port_test: the port installs what a vcpkg user needs"
exit $fail

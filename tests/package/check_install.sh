#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# check_install.sh PREFIX LIBDIR ARCH FORBIDDEN_PATH...
#
# The installed tree has what a consumer needs (headers on both sides, the library, the
# CMake package with its version file and helper, the pkg-config file, the vmlinux.h for
# ARCH and the vendored ones for x86 and arm64, the template), and no file under it — text or binary — contains any of the
# FORBIDDEN_PATHs (the source tree, the build tree, scripts/setup's .deps).
set -u
prefix=$1 libdir=$2 arch=$3
shift 3
status=0
for f in \
  include/scxpp/scheduler.h include/scxpp/runner.h include/scxpp/skeleton_types.h \
  include/scxpp/bpf/scxpp.bpf.h include/scxpp/bpf/stats_common.h \
  "$libdir/libscxpp.a" "$libdir/cmake/scxpp/scxppConfig.cmake" \
  "$libdir/cmake/scxpp/scxppConfigVersion.cmake" "$libdir/cmake/scxpp/scxppTargets.cmake" \
  "$libdir/cmake/scxpp/ScxppBpf.cmake" "$libdir/pkgconfig/scxpp.pc" \
  "share/scxpp/vmlinux/$arch/vmlinux.h" share/scxpp/vmlinux/x86/vmlinux.h \
  share/scxpp/vmlinux/arm64/vmlinux.h share/scxpp/templates/scheduler/NAME.bpf.c \
  "$libdir/cmake/scxpp/ScxppVmTest.cmake" bin/scxpp-vm-run \
  bin/scxpp-new-scheduler bin/scxppctl share/doc/scxpp/LICENSE; do
  if [ ! -f "$prefix/$f" ]; then
    echo "FAIL: missing $f"
    status=1
  fi
done
grep -q "struct sched_ext_ops {" "$prefix/share/scxpp/vmlinux/$arch/vmlinux.h" ||
  { echo "FAIL: the installed vmlinux.h has no struct sched_ext_ops"; status=1; }
nfiles=$(find "$prefix" -type f | wc -l)
for path in "$@"; do
  hits=$(grep -rlF -- "$path" "$prefix")
  if [ -n "$hits" ]; then
    echo "FAIL: installed files name $path:"
    echo "$hits" | sed 's/^/  /'
    for h in $hits; do grep -aoF -- "$path" "$h" >/dev/null && \
      strings -a "$h" | grep -F -- "$path" | head -n 3 | sed 's/^/    /'; done
    status=1
  fi
done
[ $status = 0 ] && echo "PASS: $nfiles files installed, all expected ones present, none names: $*"
exit $status

#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# own_toolchain.sh CMAKE SRC WORK LIBBPF_PREFIX CLANG BPFTOOL CONSUMER
#
# The path for a machine that is not Debian (docs/own-toolchain.md): no scripts/setup and no
# .deps. libbpf is "the system's": a copy of LIBBPF_PREFIX whose libbpf.pc names the copy,
# found only through PKG_CONFIG_PATH; clang and bpftool are named by cache variables. The
# sdk preset configures with GoogleTest and Google Benchmark made unfindable, builds the
# library and scxppctl, installs without bundling libbpf, and CONSUMER (a project of its
# own) builds against the install, finding libbpf through pkg-config as well.
set -eu
cmake=$1 src=$2 work=$3 libbpf=$4 clang=$5 bpftool=$6 consumer=$7
rm -rf "$work"
mkdir -p "$work/system" "$work/no-deps"
cp -R "$libbpf" "$work/system/usr"
pcdir=$(dirname "$(find "$work/system/usr" -name libbpf.pc | head -n 1)")
sed -i "s|^prefix=.*|prefix=$work/system/usr|" "$pcdir/libbpf.pc"
export PKG_CONFIG_PATH="$pcdir"

"$cmake" -S "$src" --preset sdk -B "$work/build" -DCMAKE_INSTALL_PREFIX="$work/prefix" \
  -DSCXPP_DEPS_DIR="$work/no-deps" -DSCXPP_INSTALL_LIBBPF=OFF \
  -DSCXPP_BPF_CLANG="$clang" -DSCXPP_BPFTOOL="$bpftool" \
  -DCMAKE_DISABLE_FIND_PACKAGE_GTest=ON -DCMAKE_DISABLE_FIND_PACKAGE_benchmark=ON \
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
cache=$work/build/CMakeCache.txt
fail=0
grep -q "^SCXPP_LIBBPF_LIBRARY:FILEPATH=$work/system/usr/" "$cache" ||
  { echo "FAIL: libbpf was not the pkg-config one: $(grep '^SCXPP_LIBBPF_LIBRARY' "$cache")"; fail=1; }
if grep -q -- "/.deps/" "$work/build/build.ninja"; then
  echo "FAIL: the build names a .deps folder:"; grep -o -- "[^ ]*/.deps/[^ ]*" "$work/build/build.ninja" | sort -u | head
  fail=1
fi
if [ -d "$work/build/tests" ] || [ -d "$work/build/examples" ] || [ -d "$work/build/benchmarks" ]; then
  echo "FAIL: the sdk preset configured tests, examples or benchmarks"; fail=1
fi
[ "$fail" = 0 ] || exit 1

"$cmake" --build "$work/build" -j "${SCXPP_PACKAGE_TEST_JOBS:-2}"
"$cmake" --install "$work/build"
for f in lib/libscxpp.a bin/scxppctl include/scxpp/scheduler.h share/scxpp/vmlinux/x86/vmlinux.h; do
  [ -e "$work/prefix/$f" ] || { echo "FAIL: the install has no $f"; fail=1; }
done
[ ! -e "$work/prefix/lib/scxpp/libbpf.a" ] || { echo "FAIL: libbpf was bundled"; fail=1; }
[ "$fail" = 0 ] || exit 1

"$(dirname "$0")/build_project.sh" "$cmake" Ninja "$consumer" "$work/consumer" \
  -DCMAKE_PREFIX_PATH="$work/prefix" -DSCXPP_BPF_CLANG="$clang" -DSCXPP_BPFTOOL="$bpftool"
[ -x "$work/consumer/build/pkgcheck" ] || { echo "FAIL: the consumer did not build"; exit 1; }
echo "own_toolchain: SDK built and installed without .deps; a consumer built against it"

#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# header_standalone_test.sh CLANG VMLINUX_DIR HEADER_DIR INCLUDE_DIR...
#
# Every header in HEADER_DIR (bpf_common/include/scxpp/bpf) compiles on its own, after
# vmlinux.h and as the only include, with the flags scxpp_add_bpf_skeleton() uses: a BPF program may include any one
# of them, in any order, without knowing what the umbrella header includes first.
set -u
clang=$1 vmlinux_dir=$2 header_dir=$3
shift 3
incs="-I$vmlinux_dir"
for d in "$@"; do incs="$incs -I$d"; done
sys=$("$clang" -v -E - </dev/null 2>&1 | sed -n '/#include <...> search starts here:/,/End of search list/p' |
      grep '^ ' | sed 's/^ */-idirafter /' | tr '\n' ' ')
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0 n=0
for h in "$header_dir"/*.h; do
 name=$(basename "$h")
 # After vmlinux.h, and as the only include.
 for first in '#include <vmlinux.h>' ''; do
  printf '%s\n#include <scxpp/bpf/%s>\n' "$first" "$name" >"$tmp/t.c"
  # shellcheck disable=SC2086  # word splitting of the flag lists is intended
  if ! out=$("$clang" -g -O2 -target bpf -mcpu=v3 -mlittle-endian -D__TARGET_ARCH_x86 \
             -fms-extensions -Wno-microsoft-anon-tag -Wno-compare-distinct-pointer-types \
             -Wall -Werror=implicit-function-declaration -Werror $incs $sys \
             -c "$tmp/t.c" -o "$tmp/t.o" 2>&1); then
    echo "FAIL $name does not compile on its own${first:+ after vmlinux.h}:"
    echo "$out" | grep -E 'error|warning' | head -5 | sed 's/^/  /'
    fail=1
  else
    echo "ok   $name${first:+ (after vmlinux.h)}"
  fi
 done
 n=$((n + 1))
done
[ "$n" -ge 10 ] || { echo "FAIL: only $n headers in $header_dir"; fail=1; }
exit $fail

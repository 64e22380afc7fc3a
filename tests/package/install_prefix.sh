#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# install_prefix.sh CMAKE BUILD_DIR PREFIX [MOVED]
#
# Installs the scxpp build tree into a fresh PREFIX. With MOVED, then renames PREFIX to
# MOVED, so the original location no longer exists: a consumer of MOVED that still reached
# for PREFIX would fail.
set -eu
cmake=$1 build=$2 prefix=$3 moved=${4:-}
rm -rf "$prefix"
"$cmake" --install "$build" --prefix "$prefix" >/dev/null
if [ -n "$moved" ]; then
  rm -rf "$moved"
  mkdir -p "$(dirname "$moved")"
  mv "$prefix" "$moved"
  [ ! -e "$prefix" ]
  echo "install_prefix: installed to $prefix, moved to $moved"
else
  echo "install_prefix: installed to $prefix"
fi

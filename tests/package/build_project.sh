#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# build_project.sh CMAKE GENERATOR SRC WORK [CMAKE ARGS...]
#
# Copies the project SRC to WORK/src (a fresh directory, so nothing of the scxpp tree sits
# next to it), configures it in WORK/build with the given arguments and builds it with
# one job. Package registries are off: find_package sees only what CMAKE_PREFIX_PATH names.
set -eu
cmake=$1 gen=$2 src=$3 work=$4
shift 4
rm -rf "$work"
mkdir -p "$work"
cp -R "$src" "$work/src"
rm -rf "$work/src/build"
"$cmake" -S "$work/src" -B "$work/build" -G "$gen" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF "$@"
"$cmake" --build "$work/build" -j "${SCXPP_PACKAGE_TEST_JOBS:-1}"
echo "build_project: built $src in $work/build"

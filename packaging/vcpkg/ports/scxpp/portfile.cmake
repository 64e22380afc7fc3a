# SPDX-License-Identifier: Apache-2.0
#
# Overlay port for scxpp, built from the checkout this file sits in:
#   vcpkg install scxpp --overlay-ports=<scxpp>/packaging/vcpkg/ports
# Not validated with a real vcpkg here (the build machines cannot reach it); see
# docs/packaging.md for what is checked offline.
#
# Host tools vcpkg does not provide: clang >= 16 and bpftool >= 7.5 (only consumers that
# compile BPF need them), and a vmlinux.h from a sched_ext kernel, passed as
# SCXPP_VMLINUX_H in the environment (add it to VCPKG_ENV_PASSTHROUGH in the triplet).
get_filename_component(SOURCE_PATH "${CMAKE_CURRENT_LIST_DIR}/../../../.." ABSOLUTE)

if(NOT DEFINED ENV{SCXPP_VMLINUX_H})
  message(FATAL_ERROR "scxpp: set SCXPP_VMLINUX_H to a sched_ext kernel's vmlinux.h "
                      "(and pass it through with VCPKG_ENV_PASSTHROUGH)")
endif()

vcpkg_cmake_configure(
  SOURCE_PATH "${SOURCE_PATH}"
  OPTIONS
    -DSCXPP_BUILD_TESTS=OFF
    -DSCXPP_BUILD_EXAMPLES=OFF
    -DSCXPP_BUILD_BENCHMARKS=OFF
    -DSCXPP_INSTALL=ON
    # vcpkg's own libbpf port provides libbpf (pkg-config); don't bundle a second one.
    -DSCXPP_INSTALL_LIBBPF=OFF
    "-DSCXPP_LIBBPF_ROOT=${CURRENT_INSTALLED_DIR}"
    "-DSCXPP_VMLINUX_H=$ENV{SCXPP_VMLINUX_H}"
)
vcpkg_cmake_install()
vcpkg_cmake_config_fixup(PACKAGE_NAME scxpp CONFIG_PATH lib/cmake/scxpp)
vcpkg_fixup_pkgconfig()

file(REMOVE_RECURSE "${CURRENT_PACKAGES_DIR}/debug/include" "${CURRENT_PACKAGES_DIR}/debug/share"
                    "${CURRENT_PACKAGES_DIR}/debug/bin" "${CURRENT_PACKAGES_DIR}/bin")
# scxpp-new-scheduler and its template belong to the tools folder in vcpkg's layout.
file(INSTALL "${SOURCE_PATH}/scripts/new-scheduler" DESTINATION "${CURRENT_PACKAGES_DIR}/tools/${PORT}"
     RENAME scxpp-new-scheduler
     FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
file(INSTALL "${CMAKE_CURRENT_LIST_DIR}/usage" DESTINATION "${CURRENT_PACKAGES_DIR}/share/${PORT}")
vcpkg_install_copyright(FILE_LIST "${SOURCE_PATH}/LICENSE" "${SOURCE_PATH}/LICENSES/Apache-2.0.txt"
                        "${SOURCE_PATH}/LICENSES/LGPL-2.1.txt" "${SOURCE_PATH}/LICENSES/BSD-2-Clause.txt")

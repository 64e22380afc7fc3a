# SPDX-License-Identifier: Apache-2.0
#
# Overlay port for scxpp, built from the checkout this file sits in:
#   vcpkg install scxpp --overlay-ports=<scxpp>/packaging/vcpkg/ports
# Checked offline by ctest package.vcpkg_port (tests/package/vcpkg_port_test.cmake), which
# runs this file under stand-ins for the vcpkg functions it calls (vcpkg itself is not
# reachable from the build machines).
#
# Compiling BPF needs clang >= 16 and bpftool >= 7.5 on the host (only consumers that use
# scxpp_add_bpf_skeleton(); building the port needs neither). vmlinux.h is vendored.

# The sources: a copy of what the build reads, in vcpkg's buildtrees like a downloaded
# archive, so nothing of the checkout (build/, .deps/) reaches the build. A port for a
# release would use vcpkg_from_github() instead.
get_filename_component(checkout "${CMAKE_CURRENT_LIST_DIR}/../../../.." ABSOLUTE)
set(SOURCE_PATH "${CURRENT_BUILDTREES_DIR}/src/scxpp")
file(REMOVE_RECURSE "${SOURCE_PATH}")
file(MAKE_DIRECTORY "${SOURCE_PATH}/scripts")
file(COPY "${checkout}/CMakeLists.txt" "${checkout}/LICENSE" "${checkout}/LICENSES"
          "${checkout}/cmake" "${checkout}/include" "${checkout}/lib" "${checkout}/bpf_common"
          "${checkout}/tools" "${checkout}/vmlinux" "${checkout}/docs" "${checkout}/templates"
     DESTINATION "${SOURCE_PATH}")
file(COPY "${checkout}/scripts/new-scheduler" "${checkout}/scripts/vm-run"
     DESTINATION "${SOURCE_PATH}/scripts")

vcpkg_cmake_configure(
  SOURCE_PATH "${SOURCE_PATH}"
  OPTIONS
    -DSCXPP_BUILD_TESTS=OFF
    -DSCXPP_BUILD_EXAMPLES=OFF
    -DSCXPP_BUILD_BENCHMARKS=OFF
    -DSCXPP_BUILD_TOOLS=ON
    -DSCXPP_INSTALL=ON
    -DSCXPP_INSTALL_EXAMPLES=OFF
    # vcpkg's own libbpf port provides libbpf (pkg-config); don't bundle a second one.
    -DSCXPP_INSTALL_LIBBPF=OFF
    "-DSCXPP_LIBBPF_ROOT=${CURRENT_INSTALLED_DIR}"
    -DCMAKE_DISABLE_FIND_PACKAGE_Doxygen=ON
    # vcpkg's layout: the CMake package in share/<port>.
    -DSCXPP_INSTALL_CMAKEDIR=share/scxpp
)
vcpkg_cmake_install()
vcpkg_cmake_config_fixup(PACKAGE_NAME scxpp CONFIG_PATH share/scxpp)
vcpkg_fixup_pkgconfig()
# scxppctl, scxpp-new-scheduler and scxpp-vm-run are host tools: vcpkg keeps them in tools/<port>/, where
# new-scheduler finds the template at ../../share/scxpp/templates/scheduler.
vcpkg_copy_tools(TOOL_NAMES scxppctl AUTO_CLEAN)
# scxpp-vm-run (behind scxpp_add_vm_test()) goes there too; scxppConfig.cmake looks in both.
foreach(script IN ITEMS new-scheduler vm-run)
  file(INSTALL "${SOURCE_PATH}/scripts/${script}" DESTINATION "${CURRENT_PACKAGES_DIR}/tools/${PORT}"
       RENAME scxpp-${script}
       FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
  file(REMOVE "${CURRENT_PACKAGES_DIR}/bin/scxpp-${script}" "${CURRENT_PACKAGES_DIR}/debug/bin/scxpp-${script}")
endforeach()
file(REMOVE_RECURSE "${CURRENT_PACKAGES_DIR}/debug/include" "${CURRENT_PACKAGES_DIR}/debug/share"
                    "${CURRENT_PACKAGES_DIR}/share/doc")
if(EXISTS "${CURRENT_PACKAGES_DIR}/bin")
  file(GLOB left "${CURRENT_PACKAGES_DIR}/bin/*")
  if(NOT left)
    file(REMOVE_RECURSE "${CURRENT_PACKAGES_DIR}/bin" "${CURRENT_PACKAGES_DIR}/debug/bin")
  endif()
endif()
file(INSTALL "${CMAKE_CURRENT_LIST_DIR}/usage" DESTINATION "${CURRENT_PACKAGES_DIR}/share/${PORT}")
vcpkg_install_copyright(FILE_LIST "${SOURCE_PATH}/LICENSE" "${SOURCE_PATH}/LICENSES/Apache-2.0.txt"
                        "${SOURCE_PATH}/LICENSES/LGPL-2.1.txt" "${SOURCE_PATH}/LICENSES/BSD-2-Clause.txt"
                        "${SOURCE_PATH}/LICENSES/GPL-2.0-only.txt")

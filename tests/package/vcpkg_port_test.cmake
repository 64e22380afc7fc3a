# SPDX-License-Identifier: Apache-2.0
# cmake -DPORTFILE=<portfile.cmake> -DWORK=<dir> -DGENERATOR=<gen> -P vcpkg_port_test.cmake
#
# Runs the vcpkg port's portfile.cmake under stand-ins for the vcpkg functions it calls, each
# doing what vcpkg's own does to the files (a release build only; vcpkg also builds a debug
# one into debug/). WORK/installed must already hold the port's dependencies (libbpf).
# vcpkg_port_test.sh checks the resulting WORK/packages.
cmake_minimum_required(VERSION 3.25)
set(PORT scxpp)
set(CURRENT_PACKAGES_DIR "${WORK}/packages")
set(CURRENT_INSTALLED_DIR "${WORK}/installed")
set(CURRENT_BUILDTREES_DIR "${WORK}/buildtrees")
file(REMOVE_RECURSE "${CURRENT_PACKAGES_DIR}" "${CURRENT_BUILDTREES_DIR}")

function(_run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "vcpkg stand-in: `${ARGN}` failed (${rc})")
  endif()
endfunction()

function(vcpkg_cmake_configure)
  cmake_parse_arguments(PARSE_ARGV 0 arg "" "SOURCE_PATH" "OPTIONS;OPTIONS_RELEASE;OPTIONS_DEBUG")
  _run("${CMAKE_COMMAND}" -S "${arg_SOURCE_PATH}" -B "${CURRENT_BUILDTREES_DIR}/rel" -G "${GENERATOR}"
       -DCMAKE_BUILD_TYPE=Release "-DCMAKE_INSTALL_PREFIX=${CURRENT_PACKAGES_DIR}"
       "-DCMAKE_PREFIX_PATH=${CURRENT_INSTALLED_DIR}" -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
       ${arg_OPTIONS} ${arg_OPTIONS_RELEASE})
endfunction()

function(vcpkg_cmake_install)
  _run("${CMAKE_COMMAND}" --build "${CURRENT_BUILDTREES_DIR}/rel" -j 2)
  _run("${CMAKE_COMMAND}" --install "${CURRENT_BUILDTREES_DIR}/rel")
endfunction()

# Moves the config files to share/<name>. vcpkg's own also rewrites the _IMPORT_PREFIX
# computation of the targets files when the depth changes; this stand-in refuses that case.
function(vcpkg_cmake_config_fixup)
  cmake_parse_arguments(PARSE_ARGV 0 arg "" "PACKAGE_NAME;CONFIG_PATH" "")
  if(arg_CONFIG_PATH STREQUAL "share/${arg_PACKAGE_NAME}")
    return()
  endif()
  string(REGEX MATCHALL "/" depth "${arg_CONFIG_PATH}")
  list(LENGTH depth depth)
  if(NOT depth EQUAL 1)
    message(FATAL_ERROR "vcpkg stand-in: ${arg_CONFIG_PATH} is not as deep as share/${arg_PACKAGE_NAME}; "
                        "install the config to share/${arg_PACKAGE_NAME} directly")
  endif()
  file(GLOB files "${CURRENT_PACKAGES_DIR}/${arg_CONFIG_PATH}/*")
  file(MAKE_DIRECTORY "${CURRENT_PACKAGES_DIR}/share/${arg_PACKAGE_NAME}")
  foreach(f IN LISTS files)
    get_filename_component(n "${f}" NAME)
    file(RENAME "${f}" "${CURRENT_PACKAGES_DIR}/share/${arg_PACKAGE_NAME}/${n}")
  endforeach()
  file(REMOVE_RECURSE "${CURRENT_PACKAGES_DIR}/${arg_CONFIG_PATH}")
  file(GLOB left "${CURRENT_PACKAGES_DIR}/lib/cmake/*")
  if(NOT left)
    file(REMOVE_RECURSE "${CURRENT_PACKAGES_DIR}/lib/cmake")
  endif()
endfunction()

# vcpkg rewrites every .pc file's prefix relative to the file.
function(vcpkg_fixup_pkgconfig)
  file(GLOB pcs "${CURRENT_PACKAGES_DIR}/lib/pkgconfig/*.pc" "${CURRENT_PACKAGES_DIR}/share/pkgconfig/*.pc")
  foreach(pc IN LISTS pcs)
    file(READ "${pc}" text)
    string(REGEX REPLACE "(^|\n)prefix=[^\n]*" "\\1prefix=\${pcfiledir}/../.." text "${text}")
    file(WRITE "${pc}" "${text}")
  endforeach()
endfunction()

function(vcpkg_copy_tools)
  cmake_parse_arguments(PARSE_ARGV 0 arg "AUTO_CLEAN" "" "TOOL_NAMES")
  file(MAKE_DIRECTORY "${CURRENT_PACKAGES_DIR}/tools/${PORT}")
  foreach(t IN LISTS arg_TOOL_NAMES)
    if(NOT EXISTS "${CURRENT_PACKAGES_DIR}/bin/${t}")
      message(FATAL_ERROR "vcpkg_copy_tools: ${CURRENT_PACKAGES_DIR}/bin/${t} does not exist")
    endif()
    file(COPY "${CURRENT_PACKAGES_DIR}/bin/${t}" DESTINATION "${CURRENT_PACKAGES_DIR}/tools/${PORT}")
    if(arg_AUTO_CLEAN)
      file(REMOVE "${CURRENT_PACKAGES_DIR}/bin/${t}")
    endif()
  endforeach()
endfunction()

function(vcpkg_install_copyright)
  cmake_parse_arguments(PARSE_ARGV 0 arg "" "" "FILE_LIST")
  set(text "")
  foreach(f IN LISTS arg_FILE_LIST)
    file(READ "${f}" t)
    string(APPEND text "${t}\n")
  endforeach()
  file(WRITE "${CURRENT_PACKAGES_DIR}/share/${PORT}/copyright" "${text}")
endfunction()

include("${PORTFILE}")

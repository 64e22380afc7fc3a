# SPDX-License-Identifier: Apache-2.0
#
# Defines scxpp::libbpf: libbpf >= 1.5 (bpftool 7.5 skeletons need it). Searched in
# SCXPP_LIBBPF_ROOT (default: scripts/setup's static build in .deps/libbpf/usr), then with
# pkg-config.
include_guard(GLOBAL)

set(SCXPP_LIBBPF_ROOT "${SCXPP_DEPS_DIR}/libbpf/usr" CACHE PATH "prefix holding libbpf >= 1.5")

find_path(SCXPP_LIBBPF_INCLUDE_DIR bpf/libbpf.h PATHS "${SCXPP_LIBBPF_ROOT}/include" NO_DEFAULT_PATH)
find_library(SCXPP_LIBBPF_LIBRARY NAMES libbpf.a bpf
             PATHS "${SCXPP_LIBBPF_ROOT}/lib64" "${SCXPP_LIBBPF_ROOT}/lib" NO_DEFAULT_PATH)
if(NOT SCXPP_LIBBPF_INCLUDE_DIR OR NOT SCXPP_LIBBPF_LIBRARY)
  find_package(PkgConfig QUIET)
  if(PkgConfig_FOUND)
    pkg_check_modules(SCXPP_PC_LIBBPF QUIET libbpf>=1.5)
  endif()
  if(SCXPP_PC_LIBBPF_FOUND)
    find_path(SCXPP_LIBBPF_INCLUDE_DIR bpf/libbpf.h HINTS ${SCXPP_PC_LIBBPF_INCLUDE_DIRS})
    find_library(SCXPP_LIBBPF_LIBRARY NAMES bpf HINTS ${SCXPP_PC_LIBBPF_LIBRARY_DIRS})
  endif()
endif()
if(NOT SCXPP_LIBBPF_INCLUDE_DIR OR NOT SCXPP_LIBBPF_LIBRARY)
  message(FATAL_ERROR "scxpp: libbpf >= 1.5 not found (looked in SCXPP_LIBBPF_ROOT="
                      "${SCXPP_LIBBPF_ROOT} and pkg-config). Run scripts/setup, which builds it "
                      "from Debian's source package, or point SCXPP_LIBBPF_ROOT at a prefix.")
endif()

file(STRINGS "${SCXPP_LIBBPF_INCLUDE_DIR}/bpf/libbpf_version.h" _ver REGEX "LIBBPF_(MAJOR|MINOR)_VERSION")
string(REGEX MATCH "MAJOR_VERSION ([0-9]+)" _ "${_ver}")
set(_major ${CMAKE_MATCH_1})
string(REGEX MATCH "MINOR_VERSION ([0-9]+)" _ "${_ver}")
set(_minor ${CMAKE_MATCH_1})
if("${_major}.${_minor}" VERSION_LESS 1.5)
  message(FATAL_ERROR "scxpp: libbpf ${_major}.${_minor} at ${SCXPP_LIBBPF_INCLUDE_DIR} is too "
                      "old; bpftool 7.5 skeletons need libbpf >= 1.5. Run scripts/setup.")
endif()
set(SCXPP_LIBBPF_VERSION "${_major}.${_minor}" CACHE INTERNAL "")

find_library(SCXPP_LIBELF NAMES elf REQUIRED)
find_library(SCXPP_LIBZ NAMES z REQUIRED)
add_library(scxpp_libbpf INTERFACE)
add_library(scxpp::libbpf ALIAS scxpp_libbpf)
# Exported as scxpp::libbpf (cmake/ScxppInstall.cmake): the absolute paths above are for
# this build only; installed, it forwards to scxpp::libbpf_impl, which scxppConfig.cmake
# defines from the prefix (bundled libbpf) or the consumer's environment.
set_target_properties(scxpp_libbpf PROPERTIES EXPORT_NAME libbpf)
target_include_directories(scxpp_libbpf SYSTEM INTERFACE
  $<BUILD_INTERFACE:${SCXPP_LIBBPF_INCLUDE_DIR}>)
target_link_libraries(scxpp_libbpf INTERFACE
  $<BUILD_INTERFACE:${SCXPP_LIBBPF_LIBRARY}> $<BUILD_INTERFACE:${SCXPP_LIBELF}>
  $<BUILD_INTERFACE:${SCXPP_LIBZ}> $<INSTALL_INTERFACE:scxpp::libbpf_impl>)

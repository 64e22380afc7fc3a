# SPDX-License-Identifier: Apache-2.0
#
# cmake -DCONFIG_DIR=<prefix>/lib/cmake/scxpp -DVERSION=<project version> -P version_test.cmake
#
# The installed scxppConfigVersion.cmake answers find_package(scxpp <v>) the way a 0.x
# package should (SameMinorVersion): this version and lower patches of the same minor are
# compatible; another minor or major is not. Exercised the way find_package does it: set
# PACKAGE_FIND_VERSION*, include the file, read PACKAGE_VERSION_COMPATIBLE.
cmake_minimum_required(VERSION 3.25)
set(file "${CONFIG_DIR}/scxppConfigVersion.cmake")
if(NOT EXISTS "${file}")
  message(FATAL_ERROR "FAIL: ${file} missing")
endif()
string(REPLACE "." ";" parts "${VERSION}")
list(GET parts 0 major)
list(GET parts 1 minor)
math(EXPR next_minor "${minor} + 1")
math(EXPR next_major "${major} + 1")
set(CMAKE_SIZEOF_VOID_P 8)  # the version file also checks the pointer size

function(check req expect)
  string(REPLACE "." ";" p "${req}")
  list(LENGTH p n)
  set(PACKAGE_FIND_VERSION "${req}")
  list(GET p 0 PACKAGE_FIND_VERSION_MAJOR)
  list(GET p 1 PACKAGE_FIND_VERSION_MINOR)
  set(PACKAGE_FIND_VERSION_PATCH 0)
  if(n GREATER 2)
    list(GET p 2 PACKAGE_FIND_VERSION_PATCH)
  endif()
  set(PACKAGE_FIND_VERSION_COUNT ${n})
  set(PACKAGE_VERSION_COMPATIBLE FALSE)
  include("${file}")
  if(PACKAGE_VERSION_COMPATIBLE)
    set(got TRUE)
  else()
    set(got FALSE)
  endif()
  if(NOT got STREQUAL expect)
    message(FATAL_ERROR "FAIL: find_package(scxpp ${req}) against ${PACKAGE_VERSION}: "
                        "compatible=${got}, expected ${expect}")
  endif()
  message(STATUS "ok: find_package(scxpp ${req}) -> compatible=${got}")
endfunction()

check("${VERSION}" TRUE)
check("${major}.${minor}" TRUE)
check("${major}.${next_minor}" FALSE)
check("${next_major}.0" FALSE)
message(STATUS "PASS: scxppConfigVersion.cmake ${VERSION} (SameMinorVersion)")

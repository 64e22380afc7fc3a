# SPDX-License-Identifier: Apache-2.0
#
# scxpp_add_bpf_skeleton(): compile a sched_ext BPF program and generate its libbpf skeleton.
#
#   scxpp_add_bpf_skeleton(<target>
#       SOURCE <file.bpf.c>
#       [NAME <skeleton-name>]          # bpftool "name"; default: <file> without .bpf.c
#       [INCLUDE_DIRECTORIES <dir>...]  # extra -I for the BPF compile
#       [DEFINITIONS <NAME=VALUE>...]   # extra -D for the BPF compile
#       [VMLINUX_H <path>])             # default: SCXPP_VMLINUX_H, else the package's
#
# Creates an INTERFACE library <target> whose include directory holds <name>.skel.h and that
# links scxpp::scxpp (or scxpp's libbpf). C++ code includes "<name>.skel.h" and uses
# <name>__open() etc. The target's properties SCXPP_BPF_OBJECT and SCXPP_VMLINUX_H name the
# linked BPF object and the vmlinux.h it was compiled against.
#
# The same file serves the source tree and the installed package (find_package(scxpp)):
# installed, the defaults come from the package — <prefix>/share/scxpp/vmlinux/<arch>/
# vmlinux.h and the installed BPF and libbpf headers — through the global properties
# SCXPP_PACKAGE_VMLINUX_DIR and SCXPP_PACKAGE_BPF_INCLUDE_DIRS that scxppConfig.cmake sets.
#
# Header dependencies of the .bpf.c are tracked through a depfile, so editing an included
# header rebuilds the object and the skeleton.
#
# Cache variables (set them to override discovery):
#   SCXPP_BPF_CLANG    clang >= 16 with the BPF target (clang < 16 drops the high bits of
#                      64-bit enums, which sched_ext's DSQ ids and flags use)
#   SCXPP_BPFTOOL      bpftool >= 7.5
#   SCXPP_VMLINUX_H    the vmlinux.h to compile against (default: the vendored
#                      vmlinux/<arch>/vmlinux.h, installed as share/scxpp/vmlinux/<arch>/)
#   SCXPP_BPF_INCLUDE_DIRS  include directories for every BPF compile (scxpp's BPF headers,
#                      libbpf's headers)
include_guard(GLOBAL)

# The kernel's name for the target architecture (__TARGET_ARCH_<arch>, the vmlinux.h folder)
# and its byte order, from CMAKE_SYSTEM_PROCESSOR (the target's, when cross-compiling).
function(_scxpp_bpf_target_arch out_arch)
  string(TOLOWER "${CMAKE_SYSTEM_PROCESSOR}" p)
  set(endian little)
  if(p MATCHES "^(x86_64|amd64|i.86)$")
    set(arch x86)
  elseif(p MATCHES "^(aarch64|arm64)$")
    set(arch arm64)
  elseif(p MATCHES "^ppc64le$")
    set(arch powerpc)
  elseif(p MATCHES "^s390x?$")
    set(arch s390)
    set(endian big)
  elseif(p MATCHES "^riscv64$")
    set(arch riscv)
  elseif(p MATCHES "^loongarch64$")
    set(arch loongarch)
  else()
    message(FATAL_ERROR "scxpp: no BPF target mapping for processor '${CMAKE_SYSTEM_PROCESSOR}'")
  endif()
  set(${out_arch} ${arch} PARENT_SCOPE)
  if(ARGC GREATER 1)
    set(${ARGV1} ${endian} PARENT_SCOPE)
  endif()
endfunction()

function(_scxpp_find_bpf_toolchain)
  if(NOT SCXPP_BPF_CLANG)
    find_program(SCXPP_BPF_CLANG NAMES clang-21 clang-20 clang-19 clang-18 clang-17 clang-16 clang
                 DOC "clang >= 16 used to compile BPF programs")
  endif()
  if(NOT SCXPP_BPF_CLANG)
    message(FATAL_ERROR "scxpp: no clang found to compile BPF programs. Install clang >= 16 "
                        "(Debian 12: apt install clang-19) or set SCXPP_BPF_CLANG.")
  endif()
  execute_process(COMMAND "${SCXPP_BPF_CLANG}" --version OUTPUT_VARIABLE out ERROR_QUIET)
  string(REGEX MATCH "clang version ([0-9]+)" _ "${out}")
  set(major "${CMAKE_MATCH_1}")
  if(NOT major OR major LESS 16)
    message(FATAL_ERROR "scxpp: ${SCXPP_BPF_CLANG} is clang ${major}; sched_ext BPF code needs "
                        "clang >= 16 (older versions drop the high bits of 64-bit enums). "
                        "Install clang-19 and set SCXPP_BPF_CLANG.")
  endif()
  if(NOT SCXPP_BPFTOOL)
    find_program(SCXPP_BPFTOOL NAMES bpftool PATHS /usr/sbin /sbin /usr/local/sbin
                 DOC "bpftool >= 7.5 used to generate skeletons")
  endif()
  if(NOT SCXPP_BPFTOOL)
    message(FATAL_ERROR "scxpp: bpftool not found. Install bpftool >= 7.5 (Debian 12: from "
                        "bookworm-backports) or set SCXPP_BPFTOOL.")
  endif()
  if(NOT SCXPP_BPF_SYSTEM_INCLUDES)
    # clang's own system include directories, passed as -idirafter: -target bpf does not
    # search them by itself, and BPF code needs e.g. <linux/types.h> from them.
    execute_process(COMMAND "${SCXPP_BPF_CLANG}" -v -E -
                    INPUT_FILE /dev/null OUTPUT_QUIET ERROR_VARIABLE err)
    string(REGEX MATCH "#include <...> search starts here:\n(.*)End of search list" _ "${err}")
    string(REGEX REPLACE "[ \t]*\n[ \t]*" ";" raw "${CMAKE_MATCH_1}")
    set(dirs)
    foreach(d IN LISTS raw)
      string(STRIP "${d}" d)
      if(d)
        list(APPEND dirs "${d}")
      endif()
    endforeach()
    set(SCXPP_BPF_SYSTEM_INCLUDES "${dirs}" CACHE INTERNAL "clang system include dirs for BPF")
  endif()
  set(SCXPP_BPF_CLANG_MAJOR "${major}" CACHE INTERNAL "")
endfunction()

function(scxpp_add_bpf_skeleton target)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "SOURCE;NAME;VMLINUX_H"
                        "INCLUDE_DIRECTORIES;DEFINITIONS")
  if(NOT arg_SOURCE)
    message(FATAL_ERROR "scxpp_add_bpf_skeleton(${target}): SOURCE <file.bpf.c> is required")
  endif()
  _scxpp_find_bpf_toolchain()
  get_filename_component(src "${arg_SOURCE}" ABSOLUTE)
  if(NOT EXISTS "${src}")
    message(FATAL_ERROR "scxpp_add_bpf_skeleton(${target}): ${src} does not exist")
  endif()
  if(NOT arg_NAME)
    get_filename_component(arg_NAME "${src}" NAME)
    string(REGEX REPLACE "\\.bpf\\.c$" "" arg_NAME "${arg_NAME}")
  endif()
  _scxpp_bpf_target_arch(arch endian)
  if(NOT arg_VMLINUX_H)
    set(arg_VMLINUX_H "${SCXPP_VMLINUX_H}")
  endif()
  if(NOT arg_VMLINUX_H)
    get_property(package_vmlinux_dir GLOBAL PROPERTY SCXPP_PACKAGE_VMLINUX_DIR)
    if(package_vmlinux_dir)
      set(arg_VMLINUX_H "${package_vmlinux_dir}/${arch}/vmlinux.h")
    endif()
  endif()
  if(NOT arg_VMLINUX_H OR NOT EXISTS "${arg_VMLINUX_H}")
    message(FATAL_ERROR "scxpp_add_bpf_skeleton(${target}): no vmlinux.h for ${arch} "
                        "('${arg_VMLINUX_H}'). scxpp ships one for x86 and arm64; for another "
                        "architecture generate one from a sched_ext kernel (bpftool btf dump "
                        "file /sys/kernel/btf/vmlinux format c > vmlinux.h) and pass "
                        "-DSCXPP_VMLINUX_H=<it>.")
  endif()
  get_filename_component(vmlinux_dir "${arg_VMLINUX_H}" DIRECTORY)
  set(bpf_include_dirs ${SCXPP_BPF_INCLUDE_DIRS})
  if(NOT bpf_include_dirs)
    get_property(bpf_include_dirs GLOBAL PROPERTY SCXPP_PACKAGE_BPF_INCLUDE_DIRS)
  endif()

  set(out "${CMAKE_CURRENT_BINARY_DIR}/${target}.bpf")
  set(obj "${out}/${arg_NAME}.bpf.o")
  set(linked "${out}/${arg_NAME}.linked.o")
  set(skel "${out}/${arg_NAME}.bpftool.skel.h")
  set(wrapper "${out}/${arg_NAME}.skel.h")
  set(flags -g -O2 -target bpf -mcpu=v3 -m${endian}-endian -D__TARGET_ARCH_${arch}
            -fms-extensions -Wno-microsoft-anon-tag -Wno-compare-distinct-pointer-types
            -Wall -Werror=implicit-function-declaration)
  foreach(d IN LISTS arg_DEFINITIONS)
    list(APPEND flags "-D${d}")
  endforeach()
  foreach(d IN LISTS arg_INCLUDE_DIRECTORIES vmlinux_dir bpf_include_dirs)
    list(APPEND flags "-I${d}")
  endforeach()
  foreach(d IN LISTS SCXPP_BPF_SYSTEM_INCLUDES)
    list(APPEND flags "-idirafter" "${d}")
  endforeach()

  # With policy CMP0116 (CMake >= 3.20) depfile paths are relative to the current binary dir.
  file(RELATIVE_PATH rel_obj "${CMAKE_CURRENT_BINARY_DIR}" "${obj}")
  add_custom_command(
    OUTPUT "${obj}"
    COMMAND "${CMAKE_COMMAND}" -E make_directory "${out}"
    COMMAND "${SCXPP_BPF_CLANG}" ${flags} -MD -MF "${obj}.d" -MT "${rel_obj}" -c "${src}" -o "${obj}"
    DEPENDS "${src}" "${arg_VMLINUX_H}"
    DEPFILE "${obj}.d"
    COMMENT "BPF ${arg_NAME}.bpf.c"
    VERBATIM COMMAND_EXPAND_LISTS)
  # bpftool gen object links (and strips DWARF); the skeleton embeds the linked object.
  add_custom_command(
    OUTPUT "${skel}"
    COMMAND "${SCXPP_BPFTOOL}" gen object "${linked}" "${obj}"
    COMMAND "${SCXPP_BPFTOOL}" gen skeleton "${linked}" name "${arg_NAME}" > "${skel}.tmp"
    COMMAND "${CMAKE_COMMAND}" -E rename "${skel}.tmp" "${skel}"
    DEPENDS "${obj}"
    COMMENT "BPF skeleton ${arg_NAME}.bpftool.skel.h"
    VERBATIM)
  # What C++ includes: the integer types bpftool's output assumes, then bpftool's output.
  file(CONFIGURE OUTPUT "${wrapper}" CONTENT "// Generated by scxpp_add_bpf_skeleton(); do not edit.
#pragma once
#include <scxpp/skeleton_types.h>
#include \"${arg_NAME}.bpftool.skel.h\"
")
  add_custom_target(${target}_gen DEPENDS "${skel}")
  add_library(${target} INTERFACE)
  add_dependencies(${target} ${target}_gen)
  target_include_directories(${target} INTERFACE "${out}")
  if(TARGET scxpp::scxpp)
    target_link_libraries(${target} INTERFACE scxpp::scxpp)
  elseif(TARGET scxpp::libbpf)
    target_link_libraries(${target} INTERFACE scxpp::libbpf)
  endif()
  set_target_properties(${target} PROPERTIES SCXPP_BPF_OBJECT "${linked}"
                        SCXPP_VMLINUX_H "${arg_VMLINUX_H}")
endfunction()

# SPDX-License-Identifier: Apache-2.0
#
# Install rules: the SDK as a relocatable CMake package (find_package(scxpp CONFIG)) and a
# pkg-config file. Included by the top-level CMakeLists.txt after every target exists.
#
#   <prefix>/include/scxpp/*.h                   C++ API
#   <prefix>/include/scxpp/bpf/*.h               the BPF half (scxpp.bpf.h and the layers below)
#   <prefix>/include/scxpp/libbpf/bpf/*.h        libbpf's headers      } SCXPP_INSTALL_LIBBPF
#   <prefix>/<libdir>/scxpp/libbpf.a             libbpf, static        }
#   <prefix>/<libdir>/libscxpp.a
#   <prefix>/<libdir>/cmake/scxpp/               scxppConfig.cmake, scxppConfigVersion.cmake,
#                                                scxppTargets*.cmake, ScxppBpf.cmake
#   <prefix>/<libdir>/pkgconfig/scxpp.pc
#   <prefix>/share/scxpp/vmlinux/<arch>/vmlinux.h   what BPF code compiles against
#   <prefix>/share/scxpp/templates/scheduler/    scxpp-new-scheduler's template
#   <prefix>/bin/scxpp-new-scheduler
#   <prefix>/bin/scxpp-<example>                 reference schedulers } SCXPP_INSTALL_EXAMPLES
#   <prefix>/lib/systemd/system/scxpp@.service   their unit           } (off by default)
#   <prefix>/share/doc/scxpp/                    licences
#
# Nothing installed names a build or source directory: the config locates everything
# relative to itself, the .pc file relative to ${pcfiledir}, and the compiled code is built
# with -ffile-prefix-map (lib/CMakeLists.txt). tests/package checks all three.
include_guard(GLOBAL)
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# libbpf on the consumer side. scripts/setup builds libbpf 1.7 static into .deps because
# Debian 12 has only 1.1; a consumer of the installed SDK has the same problem, so by default
# the archive and its headers go into the prefix (under scxpp/, so they never shadow a
# distribution's libbpf) and the package config uses them. Package managers that provide
# libbpf themselves (vcpkg, Conan) turn this off; the config then looks for libbpf >= 1.5
# through a CMake package (Conan's CMakeDeps) or pkg-config.
set(_scxpp_libbpf_default OFF)
if(SCXPP_LIBBPF_LIBRARY MATCHES "\\.a$")
  set(_scxpp_libbpf_default ON)
endif()
option(SCXPP_INSTALL_LIBBPF "Install the static libbpf scxpp was built with into the prefix"
       ${_scxpp_libbpf_default})
# Off by default: the SDK package is what `cmake --install` is for, and it stays free of
# this machine's paths (tests/package checks that). The reference schedulers are built from
# this tree with debug info and BTF line info that name it; a deployment that wants them
# (docs/deployment.md) turns this on.
option(SCXPP_INSTALL_EXAMPLES "Install the reference schedulers (bin/scxpp-<name>) and their systemd unit"
       OFF)
set(SCXPP_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/scxpp" CACHE STRING
    "where the CMake package files go, relative to the prefix (vcpkg: share/scxpp)")

# Strips debug info from an installed file (path relative to the prefix) at install time.
# For what this tree does not compile with -ffile-prefix-map (libbpf from .deps, and
# binaries that link it), whose debug info names this machine's directories.
find_program(SCXPP_OBJCOPY NAMES objcopy llvm-objcopy-19 llvm-objcopy)
function(_scxpp_install_strip_debug rel)
  if(NOT SCXPP_OBJCOPY)
    message(FATAL_ERROR "scxpp: objcopy not found (binutils); the install strips debug info with it")
  endif()
  install(CODE "
    set(f \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${rel}\")
    execute_process(COMMAND \"${SCXPP_OBJCOPY}\" --strip-debug \"\${f}\" RESULT_VARIABLE rc)
    if(rc)
      message(FATAL_ERROR \"scxpp: objcopy --strip-debug \${f} failed\")
    endif()")
endfunction()

# --- libraries and headers ------------------------------------------------------------
install(TARGETS scxpp scxpp_bpf scxpp_libbpf EXPORT scxppTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY "${PROJECT_SOURCE_DIR}/include/scxpp" "${PROJECT_SOURCE_DIR}/bpf_common/include/scxpp"
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} FILES_MATCHING PATTERN "*.h")

set(_scxpp_libbpf_archive "")
if(SCXPP_INSTALL_LIBBPF)
  if(NOT SCXPP_LIBBPF_LIBRARY MATCHES "\\.a$")
    message(FATAL_ERROR "scxpp: SCXPP_INSTALL_LIBBPF needs a static libbpf, but "
                        "SCXPP_LIBBPF_LIBRARY is ${SCXPP_LIBBPF_LIBRARY}. Turn it off to "
                        "let consumers find libbpf themselves (pkg-config).")
  endif()
  set(_scxpp_libbpf_archive "${CMAKE_INSTALL_LIBDIR}/scxpp/libbpf.a")
  install(FILES "${SCXPP_LIBBPF_LIBRARY}" DESTINATION ${CMAKE_INSTALL_LIBDIR}/scxpp)
  # libbpf's own debug info names the directory it was built in (.deps/build/...):
  # drop it, the installed archive must not point into this machine's build tree.
  _scxpp_install_strip_debug("${_scxpp_libbpf_archive}")
  install(DIRECTORY "${SCXPP_LIBBPF_INCLUDE_DIR}/bpf"
          DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/scxpp/libbpf)
endif()

# --- vmlinux.h ------------------------------------------------------------------------
# The headers BPF code compiles against: the vendored ones for every architecture (so a
# consumer can cross-compile its BPF code), or the one SCXPP_VMLINUX_H names for this one.
# CO-RE and the compatibility layer let one object load on older kernels, so one header
# per architecture is enough.
if(SCXPP_VMLINUX_H)
  _scxpp_bpf_target_arch(_scxpp_arch)
  file(REAL_PATH "${SCXPP_VMLINUX_H}" _scxpp_vmlinux)
  install(FILES "${_scxpp_vmlinux}"
          DESTINATION ${CMAKE_INSTALL_DATADIR}/scxpp/vmlinux/${_scxpp_arch} RENAME vmlinux.h)
else()
  install(DIRECTORY "${PROJECT_SOURCE_DIR}/vmlinux/" DESTINATION ${CMAKE_INSTALL_DATADIR}/scxpp/vmlinux
          FILES_MATCHING PATTERN "vmlinux.h")
endif()

# --- CMake package --------------------------------------------------------------------
install(EXPORT scxppTargets NAMESPACE scxpp:: DESTINATION ${SCXPP_INSTALL_CMAKEDIR})
set(SCXPP_PACKAGE_LIBBPF_BUNDLED ${SCXPP_INSTALL_LIBBPF})
set(SCXPP_PACKAGE_LIBBPF_ARCHIVE "${_scxpp_libbpf_archive}")
set(SCXPP_PACKAGE_LIBBPF_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}/scxpp/libbpf")
set(SCXPP_PACKAGE_VMLINUX_DIR "${CMAKE_INSTALL_DATADIR}/scxpp/vmlinux")
set(SCXPP_PACKAGE_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
configure_package_config_file(
  "${PROJECT_SOURCE_DIR}/cmake/scxppConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/package/scxppConfig.cmake"
  INSTALL_DESTINATION ${SCXPP_INSTALL_CMAKEDIR}
  PATH_VARS SCXPP_PACKAGE_VMLINUX_DIR SCXPP_PACKAGE_INCLUDEDIR SCXPP_PACKAGE_LIBBPF_INCLUDEDIR)
# 0.x: the sched_ext interface itself still changes, so only 0.y.* releases are compatible.
write_basic_package_version_file("${PROJECT_BINARY_DIR}/package/scxppConfigVersion.cmake"
                                 COMPATIBILITY SameMinorVersion)
install(FILES "${PROJECT_BINARY_DIR}/package/scxppConfig.cmake"
              "${PROJECT_BINARY_DIR}/package/scxppConfigVersion.cmake"
              "${PROJECT_SOURCE_DIR}/cmake/ScxppBpf.cmake"
              "${PROJECT_SOURCE_DIR}/cmake/ScxppVmTest.cmake"
        DESTINATION ${SCXPP_INSTALL_CMAKEDIR})

# --- pkg-config -----------------------------------------------------------------------
# For builds that are not CMake. The prefix is found from the .pc file's own location.
file(RELATIVE_PATH _scxpp_pc_up "/root/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/root")
set(SCXPP_PC_PREFIX "\${pcfiledir}/${_scxpp_pc_up}")
string(REGEX REPLACE "/$" "" SCXPP_PC_PREFIX "${SCXPP_PC_PREFIX}")
set(SCXPP_PC_REQUIRES
    "absl_status absl_statusor absl_strings absl_time absl_flags absl_flags_parse absl_flags_usage absl_flags_config")
# fmt is private to libscxpp, but the archive is static: every link needs it.
set(SCXPP_PC_REQUIRES_FMT "fmt")
if(SCXPP_INSTALL_LIBBPF)
  set(SCXPP_PC_LIBBPF_CFLAGS "-I\${includedir}/scxpp/libbpf")
  set(SCXPP_PC_LIBBPF_LIBS "\${libdir}/scxpp/libbpf.a -lelf -lz")
else()
  set(SCXPP_PC_LIBBPF_CFLAGS "")
  set(SCXPP_PC_LIBBPF_LIBS "")
  string(APPEND SCXPP_PC_REQUIRES " libbpf >= 1.5")
endif()
configure_file("${PROJECT_SOURCE_DIR}/cmake/scxpp.pc.in" "${PROJECT_BINARY_DIR}/package/scxpp.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/package/scxpp.pc" DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# --- the new-scheduler template ---------------------------------------------------------
install(DIRECTORY "${PROJECT_SOURCE_DIR}/templates/scheduler"
        DESTINATION ${CMAKE_INSTALL_DATADIR}/scxpp/templates USE_SOURCE_PERMISSIONS)
install(PROGRAMS "${PROJECT_SOURCE_DIR}/scripts/new-scheduler" DESTINATION ${CMAKE_INSTALL_BINDIR}
        RENAME scxpp-new-scheduler)
# The VM runner behind scxpp_add_vm_test(): a project tests its scheduler in a sched_ext
# kernel under qemu from the install alone.
install(PROGRAMS "${PROJECT_SOURCE_DIR}/scripts/vm-run" DESTINATION ${CMAKE_INSTALL_BINDIR}
        RENAME scxpp-vm-run)

# --- scxppctl, the live-control CLI ---------------------------------------------------
if(TARGET scxppctl)
  install(TARGETS scxppctl RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  _scxpp_install_strip_debug("${CMAKE_INSTALL_BINDIR}/scxppctl")
endif()

# --- licences -------------------------------------------------------------------------
install(FILES "${PROJECT_SOURCE_DIR}/LICENSE" DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/scxpp)
install(DIRECTORY "${PROJECT_SOURCE_DIR}/LICENSES" DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/scxpp)

# --- reference schedulers and their systemd unit ----------------------------------------
# Every scheduler in examples/schedulers.txt is installed as bin/scxpp-<name>, so schedulers
# added later need no change here; scxpp@<name>.service runs it.
if(SCXPP_INSTALL_EXAMPLES AND SCXPP_BUILD_EXAMPLES)
  foreach(name IN LISTS SCXPP_SCHEDULERS)
    install(PROGRAMS "$<TARGET_FILE:${name}>" DESTINATION ${CMAKE_INSTALL_BINDIR}
            RENAME scxpp-${name})
    _scxpp_install_strip_debug("${CMAKE_INSTALL_BINDIR}/scxpp-${name}")
  endforeach()
  # systemd's own search path, not LIBDIR (which is lib/<multiarch> under /usr on Debian).
  install(FILES "${PROJECT_SOURCE_DIR}/packaging/systemd/scxpp@.service"
          DESTINATION lib/systemd/system)
  install(FILES "${PROJECT_SOURCE_DIR}/packaging/systemd/scxpp.env.example"
          DESTINATION ${CMAKE_INSTALL_DATADIR}/scxpp/systemd)
endif()

# SPDX-License-Identifier: Apache-2.0
#
# scxpp_add_vm_test(): a ctest test that runs a command as root inside a sched_ext kernel
# booted with qemu (scxpp-vm-run), for machines whose own kernel has no sched_ext.
#
#   scxpp_add_vm_test(<name> COMMAND <shell command line>
#                     [BINARIES <target or file>...]   # put in the guest, same paths
#                     [FILES <src[:dst]>...]           # plain files (scripts, data)
#                     [KERNEL <dir>]                   # default: SCXPP_VM_KERNEL
#                     [TIMEOUT <seconds>]              # the guest's, default 600
#                     [MEMORY <size>]                  # default 2G
#                     [VM_ARGS <scxpp-vm-run option>...])
#
# The test passes when COMMAND exits 0 in the guest: its exit status is the verdict (a
# PASS_REGULAR_EXPRESSION would make ctest ignore it, so there is none). It fails, never skips, when no kernel is given or the VM cannot boot: the runner
# says which. The kernel is a folder holding vmlinuz, config and release — scxpp's
# scripts/setup puts one in <checkout>/.deps/kernel/current; set it once with
# -DSCXPP_VM_KERNEL=<dir> or the environment variable of that name. Tests share one lock
# (RESOURCE_LOCK scxpp_vm; the runner also takes a machine-wide lock), so two VMs never
# share the CPUs a test measures. Labels: vm.
#
# The guest has busybox, the binaries given (with their shared libraries), hackbench,
# cyclictest and stress-ng, and cgroup2 with the cpu controller; see scxpp-vm-run --help.

set(SCXPP_VM_KERNEL "$ENV{SCXPP_VM_KERNEL}" CACHE PATH
    "sched_ext kernel folder (vmlinuz, config, release) that scxpp_add_vm_test() boots")

function(scxpp_add_vm_test name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "KERNEL;TIMEOUT;MEMORY"
                        "COMMAND;BINARIES;FILES;VM_ARGS")
  if(NOT arg_COMMAND)
    message(FATAL_ERROR "scxpp_add_vm_test(${name}): COMMAND is required")
  endif()
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "scxpp_add_vm_test(${name}): unknown arguments ${arg_UNPARSED_ARGUMENTS}")
  endif()
  get_property(runner GLOBAL PROPERTY SCXPP_VM_RUNNER)
  if(NOT runner)
    message(FATAL_ERROR "scxpp_add_vm_test(${name}): scxpp-vm-run was not found with the "
                        "scxpp package; reinstall scxpp (it installs bin/scxpp-vm-run)")
  endif()
  if(NOT arg_KERNEL)
    set(arg_KERNEL "${SCXPP_VM_KERNEL}")
  endif()
  if(NOT arg_TIMEOUT)
    set(arg_TIMEOUT 600)
  endif()
  if(NOT arg_MEMORY)
    set(arg_MEMORY 2G)
  endif()
  set(vm_args --timeout ${arg_TIMEOUT} --mem ${arg_MEMORY}
              --log "${CMAKE_CURRENT_BINARY_DIR}/vm-logs/${name}.log" ${arg_VM_ARGS})
  if(arg_KERNEL)
    list(APPEND vm_args --kernel "${arg_KERNEL}")
  endif()
  foreach(b IN LISTS arg_BINARIES)
    if(TARGET ${b})
      list(APPEND vm_args --bin "$<TARGET_FILE:${b}>")
    else()
      list(APPEND vm_args --bin "${b}")
    endif()
  endforeach()
  foreach(f IN LISTS arg_FILES)
    list(APPEND vm_args --file "${f}")
  endforeach()
  list(JOIN arg_COMMAND " " command)
  add_test(NAME ${name} COMMAND "${runner}" ${vm_args} -- "${command}")
  # The guest's timeout plus 30 minutes: ctest's clock also runs while the runner waits for
  # another VM on this machine to finish.
  math(EXPR ctest_timeout "${arg_TIMEOUT} + 1800")
  set_tests_properties(${name} PROPERTIES LABELS vm TIMEOUT ${ctest_timeout}
                       RESOURCE_LOCK scxpp_vm WORKING_DIRECTORY "${CMAKE_CURRENT_BINARY_DIR}")
endfunction()

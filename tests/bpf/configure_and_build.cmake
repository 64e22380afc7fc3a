# SPDX-License-Identifier: Apache-2.0
# cmake -DSRC=<project> -DBIN=<build dir> -DARGS=<configure args;...> -P configure_and_build.cmake
# Configures <project> afresh and builds it; fails with the output of whichever step failed.
file(REMOVE_RECURSE "${BIN}")
execute_process(COMMAND "${CMAKE_COMMAND}" -S "${SRC}" -B "${BIN}" -G Ninja ${ARGS}
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "configuring ${SRC} failed (${rc})")
endif()
execute_process(COMMAND "${CMAKE_COMMAND}" --build "${BIN}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "building ${SRC} failed (${rc})")
endif()

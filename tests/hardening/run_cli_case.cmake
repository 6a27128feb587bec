# One bad-input case for a binary (see standard_cli_tests.cmake). Runs COMMAND in an empty
# scratch directory SCRATCH and checks:
#   - the exit status is STATUS;
#   - for STATUS != 0: stderr is exactly one line, starting "error: " and matching EXPECT,
#     and nothing was written: the scratch directory, where a relative output such as
#     --json out.json would land, is still empty;
#   - for STATUS 0: stdout matches EXPECT.
file(REMOVE_RECURSE "${SCRATCH}")
file(MAKE_DIRECTORY "${SCRATCH}")
execute_process(COMMAND ${COMMAND} WORKING_DIRECTORY "${SCRATCH}" TIMEOUT 120
                RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
string(STRIP "${err}" err)
file(GLOB left_behind "${SCRATCH}/*" "${SCRATCH}/.*")
file(REMOVE_RECURSE "${SCRATCH}")

if(NOT status STREQUAL "${STATUS}")
  message(FATAL_ERROR "exit status '${status}', want ${STATUS}\nstderr: ${err}")
endif()
if(STATUS STREQUAL "0")
  if(NOT EXPECT STREQUAL "" AND NOT out MATCHES "${EXPECT}")
    message(FATAL_ERROR "stdout does not match '${EXPECT}':\n${out}")
  endif()
  message(STATUS "ok: status 0")
  return()
endif()
if(err MATCHES "\n")
  message(FATAL_ERROR "want a one-line error, got:\n${err}")
endif()
if(NOT err MATCHES "^error: " OR NOT err MATCHES "${EXPECT}")
  message(FATAL_ERROR "stderr does not match 'error: ...${EXPECT}':\n${err}")
endif()
if(left_behind)
  message(FATAL_ERROR "failed, yet wrote: ${left_behind}")
endif()
message(STATUS "ok: status ${status}, ${err}")

# One bad-input case for a binary (see standard_cli_tests.cmake). Runs COMMAND in an empty
# scratch directory SCRATCH and checks:
#   - the exit status is STATUS;
#   - for STATUS != 0: stderr is exactly one line, starting "error: " and matching EXPECT,
#     and nothing was written: the scratch directory, where a relative output such as
#     --json out.json would land, is still empty;
#   - for STATUS 0: stdout matches EXPECT;
#   - every path in KEEP (files the case tries to get overwritten) is exactly as it was:
#     the same type, inode, size and modification time, and for a regular file the same bytes.
# AS_NOBODY=ON runs the command as the user nobody when this runs as root, for cases about
# permissions (root may write where the permission bits say no).
file(REMOVE_RECURSE "${SCRATCH}")
file(MAKE_DIRECTORY "${SCRATCH}")

function(_identity path out)
  execute_process(COMMAND stat -c "%F inode %i, %s bytes, modified %y" "${path}"
                  OUTPUT_VARIABLE id ERROR_VARIABLE id)
  if(NOT IS_DIRECTORY "${path}" AND id MATCHES "^regular")
    file(SHA256 "${path}" hash)
    string(APPEND id " sha256 ${hash}")
  endif()
  set(${out} "${id}" PARENT_SCOPE)
endfunction()
set(i 0)
foreach(path IN LISTS KEEP)
  _identity("${path}" before_${i})
  math(EXPR i "${i} + 1")
endforeach()

set(prefix "")
if(AS_NOBODY)
  execute_process(COMMAND id -u OUTPUT_VARIABLE uid OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(uid STREQUAL "0")
    set(prefix setpriv --reuid=65534 --regid=65534 --clear-groups)
  endif()
endif()
execute_process(COMMAND ${prefix} ${COMMAND} WORKING_DIRECTORY "${SCRATCH}" TIMEOUT 120
                RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
string(STRIP "${err}" err)
file(GLOB left_behind "${SCRATCH}/*" "${SCRATCH}/.*")
file(REMOVE_RECURSE "${SCRATCH}")

set(i 0)
foreach(path IN LISTS KEEP)
  _identity("${path}" after)
  if(NOT "${after}" STREQUAL "${before_${i}}")
    message(FATAL_ERROR "${path} changed:\n  before: ${before_${i}}\n  after:  ${after}\n"
                        "stderr: ${err}")
  endif()
  math(EXPR i "${i} + 1")
endforeach()
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

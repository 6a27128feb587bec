# Runs COMMAND and checks that it exits with STATUS and prints exactly one line on stderr,
# starting with "error:" and matching the regular expression EXPECT.
execute_process(COMMAND ${COMMAND} RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
string(STRIP "${err}" err)
if(NOT status STREQUAL "${STATUS}")
  message(FATAL_ERROR "exit status ${status}, want ${STATUS}\nstderr: ${err}")
endif()
if(err MATCHES "\n")
  message(FATAL_ERROR "want a one-line error, got:\n${err}")
endif()
if(NOT err MATCHES "^error: " OR NOT err MATCHES "${EXPECT}")
  message(FATAL_ERROR "stderr does not match 'error: ...${EXPECT}':\n${err}")
endif()
message(STATUS "ok: status ${status}, ${err}")

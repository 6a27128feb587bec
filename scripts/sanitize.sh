#!/usr/bin/env bash
# Runs the test suite under sanitizers, prints one summary, exits non-zero on any finding.
#
#   bash scripts/sanitize.sh            both phases below
#   bash scripts/sanitize.sh address    AddressSanitizer + UndefinedBehaviorSanitizer (g++)
#   bash scripts/sanitize.sh thread     ThreadSanitizer (clang++ with LLVM's OpenMP, libomp)
#
# ThreadSanitizer uses clang++ and libomp, not g++ and libgomp: libgomp is not built with
# TSan, so TSan cannot see its barriers and reports races on correct OpenMP code (6 false
# reports on a short race-free parallel loop). libomp's Archer tool tells TSan about
# OpenMP's synchronisation; with it the same loop is clean and a real race is still caught.
# docs/tooling/testing.md has the details.
#
# Environment: JOBS (parallel jobs, default: all cores), BUILD_PREFIX (default build-: the
# phases build in build-asan and build-tsan), CMAKE_ARGS (extra configure flags),
# SANITIZE_EXCLUDE (a ctest -LE regex of labels to leave out; default "docs|slow|agreement").
# Left out by default, to stay near 10 minutes on a 2-core CI machine: "docs" (the Doxygen
# check runs no C++), "slow" (the long learning runs) and "agreement" (every stage over
# thousands of images: about 5 test-minutes under ASan and 10 under TSan, while
# the kernels they run are the ones the stages' unit tests run). SANITIZE_EXCLUDE=docs
# runs them all.
set -uo pipefail
cd "$(dirname "$0")/.."

phases=("${@:-address thread}")
read -r -a phases <<< "${phases[*]}"
JOBS=${JOBS:-$(nproc)}
BUILD_PREFIX=${BUILD_PREFIX:-build-}
read -r -a extra_cmake <<< "${CMAKE_ARGS:-}"

# clang, its sanitizer runtimes and libomp are needed for the thread phase only.
source scripts/ensure_clang.sh

summary=()
failed=0

# run_phase NAME SANITIZERS CXX
run_phase() {
  local name=$1 sanitizers=$2 cxx=$3 exclude=${SANITIZE_EXCLUDE:-docs|slow|agreement}
  local dir="${BUILD_PREFIX}${name}" reports
  reports="$(pwd)/$dir/sanitizer-reports"
  local start=$SECONDS
  echo "sanitize: [$name] configure and build in $dir ($cxx, -fsanitize=$sanitizers)"
  mkdir -p "$dir"
  if ! CXX=$cxx cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-g -O1" \
         -DMNIST_SANITIZE="$sanitizers" -DMNIST_CUDA=OFF -DMNIST_WERROR=OFF "${extra_cmake[@]}" \
         > "$dir/sanitize-configure.log" 2>&1 ||
     ! cmake --build "$dir" -j "$JOBS" > "$dir/sanitize-build.log" 2>&1; then
    tail -n 30 "$dir/sanitize-configure.log" "$dir/sanitize-build.log" 2>/dev/null
    summary+=("[$name] BUILD FAILED (logs: $dir/sanitize-configure.log, $dir/sanitize-build.log)")
    failed=1
    return
  fi
  local built=$((SECONDS - start))

  # Every report goes to a file as well as failing its test (exit code 86), so a finding in
  # a process whose status a test does not check is still counted.
  rm -rf "$reports" && mkdir -p "$reports"
  start=$SECONDS
  echo "sanitize: [$name] ctest -LE '$exclude' (log: $dir/sanitize-test.log)"
  ASAN_OPTIONS="log_path=$reports/asan:exitcode=86:detect_leaks=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_string_checks=1" \
  UBSAN_OPTIONS="log_path=$reports/ubsan:exitcode=86:print_stacktrace=1:halt_on_error=1" \
  TSAN_OPTIONS="log_path=$reports/tsan:exitcode=86:halt_on_error=1:second_deadlock_stack=1:ignore_noninstrumented_modules=1" \
  OMP_NUM_THREADS=${OMP_NUM_THREADS:-4} \
    ctest --test-dir "$dir" -j "$JOBS" -LE "$exclude" --output-on-failure --timeout 600 \
    > "$dir/sanitize-test.log" 2>&1
  local ctest_status=$?
  local tested=$((SECONDS - start))

  local line total failures nreports
  line=$(grep -E "tests passed, [0-9]+ tests? failed out of [0-9]+" "$dir/sanitize-test.log" | tail -n 1)
  total=$(sed -E 's/.* out of ([0-9]+).*/\1/' <<< "$line")
  failures=$(sed -E 's/.*tests passed, ([0-9]+) tests? failed.*/\1/' <<< "$line")
  nreports=$(find "$reports" -type f | wc -l)
  if [ -z "$line" ]; then total=0; failures="?"; fi
  if [ "$ctest_status" -ne 0 ] || [ "$nreports" -ne 0 ] || [ "$total" -eq 0 ]; then
    failed=1
    grep -E "^\s+[0-9]+ - .*\((Failed|Timeout|Subprocess|Exception)" "$dir/sanitize-test.log" | head -n 20
    for f in $(find "$reports" -type f | head -n 3); do
      echo "--- $f"; grep -E "SUMMARY|ERROR|WARNING|runtime error" "$f" | head -n 5
    done
  fi
  summary+=("[$name] $($cxx --version | head -n 1), labels left out: $exclude")
  summary+=("       $total tests, $failures failed, $nreports sanitizer report(s); build ${built}s, tests ${tested}s")
}

for phase in "${phases[@]}"; do
  case $phase in
    address) run_phase asan address,undefined "${CXX:-g++}" ;;
    thread)
      if ensure_clang sanitize "int main() {}" -fsanitize=thread -fopenmp; then
        run_phase tsan thread clang++
      else
        summary+=("[tsan] NOT RUN: clang++ with libomp is missing"); failed=1
      fi ;;
    *) echo "usage: bash scripts/sanitize.sh [address] [thread]" >&2; exit 2 ;;
  esac
done

echo
echo "sanitize summary"
for s in "${summary[@]}"; do echo "  $s"; done
if [ "$failed" -ne 0 ]; then
  echo "sanitize: FINDINGS or failures above; reports in ${BUILD_PREFIX}*/sanitizer-reports"
  exit 1
fi
echo "sanitize: clean"

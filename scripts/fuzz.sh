#!/usr/bin/env bash
# Fuzzes the IDX reader, the safetensors reader and the command-line parser with libFuzzer
# (clang, with AddressSanitizer and UndefinedBehaviorSanitizer), each for a fixed time;
# prints how many inputs each ran, and exits non-zero if any input broke a promise.
#
#   bash scripts/fuzz.sh              60 s per target
#   bash scripts/fuzz.sh 300 idx      300 s, the IDX reader only
#
# Targets: idx, safetensors, cli (tests/fuzz/fuzz_<target>.cpp). Each starts from its seed
# corpus, tests/fuzz/corpus/<target>/, copied into build-fuzz/corpus/<target>/, where new
# inputs accumulate between runs. A finding is saved as build-fuzz/findings/<target>/crash-*:
# reproduce it with `build-fuzz/tests/fuzz/fuzz_<target> FILE`, fix the bug, and keep the
# file as tests/fuzz/corpus/<target>/regression-<what> so every build replays it.
#
# Environment: BUILD (default build-fuzz), JOBS (build jobs, default: all cores),
# CMAKE_ARGS (extra configure flags).
set -uo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(idx safetensors cli)
if ! [[ $seconds =~ ^[0-9]+$ ]] || [ "$seconds" -lt 1 ]; then
  echo "usage: bash scripts/fuzz.sh [SECONDS] [idx|safetensors|cli]..." >&2
  exit 2
fi
BUILD=${BUILD:-build-fuzz}
JOBS=${JOBS:-$(nproc)}
read -r -a extra_cmake <<< "${CMAKE_ARGS:-}"

# libFuzzer ships with clang (Debian: the runtimes are in libclang-rt-14-dev).
source scripts/ensure_clang.sh
ensure_clang fuzz 'extern "C" int LLVMFuzzerTestOneInput(const char*, long) { return 0; }' \
  -fsanitize=fuzzer,address || exit 1

mkdir -p "$BUILD"
echo "fuzz: building ${targets[*]/#/fuzz_} in $BUILD (clang++, libFuzzer + address,undefined)"
if ! CXX=clang++ cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMNIST_FUZZ=ON \
       -DMNIST_SANITIZE=address,undefined -DMNIST_CUDA=OFF -DMNIST_WERROR=OFF "${extra_cmake[@]}" \
       > "$BUILD/fuzz-configure.log" 2>&1 ||
   ! cmake --build "$BUILD" -j "$JOBS" --target "${targets[@]/#/fuzz_}" > "$BUILD/fuzz-build.log" 2>&1; then
  tail -n 30 "$BUILD/fuzz-configure.log" "$BUILD/fuzz-build.log"
  echo "fuzz: BUILD FAILED (logs in $BUILD/)"
  exit 1
fi

summary=()
failed=0
for t in "${targets[@]}"; do
  seeds="tests/fuzz/corpus/$t"
  work="$BUILD/corpus/$t"
  findings="$BUILD/findings/$t"
  log="$BUILD/fuzz-$t.log"
  mkdir -p "$work" "$findings"
  rm -f "$findings"/*
  echo "fuzz: [$t] ${seconds}s (log: $log)"
  # -malloc_limit_mb: one allocation above 512 MiB is a finding (the readers must never
  # allocate what a header merely claims); -rss_limit_mb bounds the whole process.
  "$BUILD/tests/fuzz/fuzz_$t" "$work" "$seeds" -max_total_time="$seconds" \
      -dict="tests/fuzz/$t.dict" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
      -malloc_limit_mb=512 -artifact_prefix="$findings/" -print_final_stats=1 > "$log" 2>&1
  status=$?
  runs=$(grep -E "stat::number_of_executed_units" "$log" | tail -n 1 | awk '{print $2}')
  rate=$(grep -E "stat::average_exec_per_sec" "$log" | tail -n 1 | awk '{print $2}')
  cov=$(grep -oE "cov: [0-9]+" "$log" | tail -n 1 | awk '{print $2}')
  corpus=$(find "$work" -type f | wc -l)
  found=$(find "$findings" -type f | wc -l)
  if [ "$status" -ne 0 ] || [ "$found" -ne 0 ]; then
    failed=1
    grep -E "ERROR|SUMMARY|broken promise|runtime error|==[0-9]+==" "$log" | head -n 8
    summary+=("[$t] FINDING after ${runs:-?} executions: $(ls "$findings" | head -n 3 | tr '\n' ' ')(log: $log)")
  else
    summary+=("[$t] ${runs:-?} executions in ${seconds}s (${rate:-?}/s), coverage ${cov:-?} edges, corpus $corpus inputs: clean")
  fi
done

echo
echo "fuzz summary ($(clang++ --version | head -n 1))"
for s in "${summary[@]}"; do echo "  $s"; done
if [ "$failed" -ne 0 ]; then
  echo "fuzz: FINDINGS: reproduce with $BUILD/tests/fuzz/fuzz_<target> <crash file>"
  exit 1
fi
echo "fuzz: clean"

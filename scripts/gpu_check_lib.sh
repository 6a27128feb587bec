# Sourced by stages/05_cuda/gpu_check.sh and stages/06_multi_gpu/gpu_check.sh, after they
# set `steps` (the steps asked for), B (the build folder), DATA and, optionally, DEPS: the
# steps' bookkeeping and the build, which the two checks share.

status=()
has() { [[ "$steps" == *" $1 "* ]]; }                       # was step $1 asked for?
section() { printf '\n===== %s (%s) =====\n' "$*" "$(date +%T)"; }
note() { status+=("$1: $2"); }                              # a line of the final summary

# Configures $B (Release, sm_90, MNIST in $DATA; GoogleTest, Google Benchmark and zlib from
# the prefix $DEPS where the system has none) and builds the targets given, logging to
# $B.configure.log and $B.build.log and noting whether it worked.
gpu_build() {
  local deps=()
  if [ -n "${DEPS:-}" ]; then
    local L=$DEPS/lib/x86_64-linux-gnu
    deps+=(-DGTest_DIR=$L/cmake/GTest -Dbenchmark_DIR=$L/cmake/benchmark)
    [ -f /usr/include/zlib.h ] || deps+=(-DZLIB_INCLUDE_DIR=$DEPS/include -DZLIB_LIBRARY=$L/libz.a)
  fi
  cmake -S . -B $B -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_ARCHITECTURES=90a \
    -DMNIST_DATA_DIR="$(realpath "$DATA")" "${deps[@]}" > $B.configure.log 2>&1 \
    || { tail -30 $B.configure.log; note build FAILED; }
  grep -E "CUDA compiler found|NCCL" $B.configure.log
  time cmake --build $B -j "$(nproc)" --target "$@" > $B.build.log 2>&1 \
    && note build ok || { grep -E "error|Error" -A5 $B.build.log | head -60; note build FAILED; }
}

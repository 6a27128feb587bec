// Google Benchmark for stage 03: the per-stage set (conv1, conv2, dense, forward, test set),
// the GEMM ladder next to OpenBLAS, sgemm on the backward pass's shapes, and the roofline.
//   stage03_bench --benchmark_filter='stage03.(gemm|openblas)/.*/conv2/'   one shape
#include "03_blocked_simd/bench_gemm.h"
#include "03_blocked_simd/forward.h"
#include "03_blocked_simd/kernel_dispatch.h"
#include "03_blocked_simd/layers.h"
#include "common/bench/stage_benchmarks.h"

int main(int argc, char** argv) {
  benchmark::AddCustomContext("gemm_kernel", stage03::describe_selected_kernel());
  mnist::bench::register_stage_benchmarks(
      {"stage03", stage03::forward, stage03::conv2d, stage03::dense, 128, true});
  stage03::bench::register_gemm_benchmarks();
  stage03::bench::register_roofline_benchmarks();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

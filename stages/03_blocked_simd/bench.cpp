// Google Benchmark for stage 03: the per-stage set (conv1, conv2, dense, forward, test set),
// the GEMM ladder next to OpenBLAS, sgemm on the backward pass's shapes, and the roofline.
//   stage03_bench --benchmark_filter='stage03.(gemm|openblas)/.*/conv2/'   one shape
#include "03_blocked_simd/bench_gemm.h"
#include "03_blocked_simd/bench_roofline.h"
#include "03_blocked_simd/forward.h"
#include "03_blocked_simd/kernel_dispatch.h"
#include "03_blocked_simd/layers.h"
#include "common/bench/stage_benchmarks.h"

namespace {

// The convolution as the forward pass runs it: channel-major output, the unfolded patches
// in a buffer kept between calls (stage03::conv2d, NCHW, adds a transpose and allocates
// every temporary afresh; forward.cpp says why that matters).
mnist::Tensor conv_as_in_forward(const mnist::Tensor& input, const mnist::Tensor& weight,
                                 const mnist::Tensor& bias) {
  thread_local mnist::Tensor columns;
  mnist::Tensor out;
  stage03::conv2d_channel_major(input, weight, bias, columns, out);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::AddCustomContext("gemm_kernel", stage03::describe_selected_kernel());
  mnist::bench::register_stage_benchmarks(
      {"stage03", stage03::forward, conv_as_in_forward, stage03::dense, 128, true});
  stage03::bench::register_gemm_benchmarks();
  stage03::bench::register_roofline_benchmarks();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

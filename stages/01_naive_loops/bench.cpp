// Google Benchmark for stage 01: conv1, conv2, dense and the whole forward pass.
#include "01_naive_loops/forward.h"
#include "01_naive_loops/layers.h"
#include "common/bench/stage_benchmarks.h"

int main(int argc, char** argv) {
  // The naive test set takes tens of seconds; it is measured by the binary instead.
  mnist::bench::register_stage_benchmarks(
      {"stage01", stage01::forward, stage01::conv2d, stage01::dense, 128, false});
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

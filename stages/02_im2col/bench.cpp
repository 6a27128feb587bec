// Google Benchmark for stage 02: the per-stage set (conv1, conv2, dense, forward, test set)
// and the three loop orders of the plain GEMM on the shapes one image's convolutions use.
#include <string>
#include <vector>

#include "02_im2col/forward.h"
#include "02_im2col/gemm.h"
#include "02_im2col/layers.h"
#include "common/bench/stage_benchmarks.h"
#include "common/network.h"

namespace {

using GemmFn = void (*)(int, int, int, const float*, const float*, float*);

void register_loop_order(const std::string& order, GemmFn gemm, const std::string& shape, int M,
                         int N, int K) {
  benchmark::RegisterBenchmark(
      ("stage02.gemm_" + order + "/" + shape).c_str(),
      [=](benchmark::State& state) {
        const mnist::Tensor A = mnist::bench::random_tensor({M, K}, 1);
        const mnist::Tensor B = mnist::bench::random_tensor({K, N}, 2);
        mnist::Tensor C({M, N});
        for (auto _ : state) {
          gemm(M, N, K, A.data(), B.data(), C.data());
          benchmark::DoNotOptimize(C.data());
          benchmark::ClobberMemory();
        }
        state.counters["GFLOP/s"] =
            benchmark::Counter(2.0 * M * N * K * static_cast<double>(state.iterations()) / 1e9,
                               benchmark::Counter::kIsRate);
      })
      ->Unit(benchmark::kMicrosecond)
      ->UseRealTime();
}

}  // namespace

int main(int argc, char** argv) {
  using namespace mnist::net;
  mnist::bench::register_stage_benchmarks(
      {"stage02", stage02::forward, stage02::conv2d, stage02::dense, 128, true});
  // One image's conv GEMMs: weight [O, C*K*K] times columns [C*K*K, OH*OW]; and a square.
  struct Shape {
    std::string name;
    int M, N, K;
  };
  const std::vector<Shape> shapes = {
      {"conv1_image", kConv1Channels, kConv1Size * kConv1Size, kKernel * kKernel},
      {"conv2_image", kConv2Channels, kConv2Size * kConv2Size, kConv1Channels * kKernel * kKernel},
      {"square256", 256, 256, 256}};
  for (const Shape& s : shapes) {
    register_loop_order("ijk", stage02::gemm_ijk, s.name, s.M, s.N, s.K);
    register_loop_order("ikj", stage02::gemm_ikj, s.name, s.M, s.N, s.K);
    register_loop_order("jki", stage02::gemm_jki, s.name, s.M, s.N, s.K);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

#include "03_blocked_simd/bench_gemm.h"

#include <benchmark/benchmark.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <functional>

#include "03_blocked_simd/gemm.h"
#include "03_blocked_simd/gemm_ladder.h"
#include "common/bench/stage_benchmarks.h"
#include "common/network.h"
#include "common/rng.h"

#if defined(MNIST_HAVE_OPENBLAS)
#include <cblas.h>
#endif

namespace stage03::bench {

using mnist::Tensor;

std::vector<GemmShape> ladder_shapes() {
  using namespace mnist::net;
  constexpr int kBatch = 128;
  return {
      {"conv1", false, false, kConv1Channels, kConv1Size * kConv1Size * kBatch, kKernel * kKernel},
      {"conv2", false, false, kConv2Channels, kConv2Size * kConv2Size * kBatch,
       kConv1Channels * kKernel * kKernel},
      {"dense", false, false, kBatch, kClasses, kFlat},
      {"1024", false, false, 1024, 1024, 1024},
  };
}

std::vector<GemmShape> sgemm_shapes() {
  using namespace mnist::net;
  constexpr int kBatch = 128;
  const int conv1_cols = kConv1Size * kConv1Size * kBatch,
            conv2_cols = kConv2Size * kConv2Size * kBatch;
  const int conv1_rows = kKernel * kKernel, conv2_rows = kConv1Channels * kKernel * kKernel;
  return {
      {"dense_Bt", false, true, kBatch, kClasses, kFlat},                    // forward
      {"conv1_dW", false, true, kConv1Channels, conv1_rows, conv1_cols},     // dY cols^T
      {"conv2_dW", false, true, kConv2Channels, conv2_rows, conv2_cols},     // dY cols^T
      {"conv2_dcols", true, false, conv2_rows, conv2_cols, kConv2Channels},  // W^T dY
      {"dense_dW", true, false, kClasses, kFlat, kBatch},                    // dY^T X
      {"dense_dX", false, false, kBatch, kFlat, kClasses},                   // dY W
  };
}

namespace {

// Operands of one shape, stored as the product reads them (A is K x M when transposed).
struct Operands {
  GemmShape s;
  Tensor A, B, C;
  int lda, ldb, ldc;
  explicit Operands(const GemmShape& shape)
      : s(shape),
        A(mnist::bench::random_tensor(s.trans_a ? mnist::Shape{s.K, s.M} : mnist::Shape{s.M, s.K},
                                      1)),
        B(mnist::bench::random_tensor(s.trans_b ? mnist::Shape{s.N, s.K} : mnist::Shape{s.K, s.N},
                                      2)),
        C({s.M, s.N}),
        lda(s.trans_a ? s.M : s.K),
        ldb(s.trans_b ? s.K : s.N),
        ldc(s.N) {}
  float a(int i, int k) const {
    return s.trans_a ? A[int64_t{k} * lda + i] : A[int64_t{i} * lda + k];
  }
  float b(int k, int j) const {
    return s.trans_b ? B[int64_t{j} * ldb + k] : B[int64_t{k} * ldb + j];
  }
};

// The largest error of C at 64 sampled entries (the four corners among them) against a
// double-precision dot product, relative to the sum of the terms' magnitudes. A kernel that
// is fast because it is wrong shows up here; float rounding stays near 1e-6.
double sampled_error(const Operands& o) {
  mnist::Rng rng(42);
  double worst = 0;
  for (int t = 0; t < 64; ++t) {
    const int i = t == 0 || t == 1 ? 0 : t < 4 ? o.s.M - 1 : static_cast<int>(rng.below(o.s.M));
    const int j = t == 0 || t == 2 ? 0 : t < 4 ? o.s.N - 1 : static_cast<int>(rng.below(o.s.N));
    double sum = 0, scale = 0;
    for (int k = 0; k < o.s.K; ++k) {
      sum += double{o.a(i, k)} * o.b(k, j);
      scale += std::abs(double{o.a(i, k)} * o.b(k, j));
    }
    worst = std::max(worst, std::abs(o.C[int64_t{i} * o.ldc + j] - sum) / std::max(scale, 1e-30));
  }
  return worst;
}

// Times `gemm` (which computes C of `o`) after one untimed call, sets the GFLOP/s counter,
// and fails the benchmark if the result is wrong.
void time_gemm(benchmark::State& state, Operands& o, const std::function<void()>& gemm) {
  gemm();  // warm-up: first-touch page faults, packing buffers, thread pools start
  for (auto _ : state) {
    gemm();
    benchmark::DoNotOptimize(o.C.data());
    benchmark::ClobberMemory();
  }
  const double flops = 2.0 * o.s.M * o.s.N * o.s.K;
  state.counters["GFLOP/s"] = benchmark::Counter(
      flops * static_cast<double>(state.iterations()) / 1e9, benchmark::Counter::kIsRate);
  const double error = sampled_error(o);
  state.counters["max_rel_error"] = error;
  if (!(error < 1e-4)) state.SkipWithError("wrong result: sampled error above 1e-4");
}

// Sets OpenMP's thread count for one benchmark and puts the old one back.
class OmpThreads {
 public:
  explicit OmpThreads(int n) : saved_(omp_get_max_threads()) { omp_set_num_threads(n); }
  ~OmpThreads() { omp_set_num_threads(saved_); }
  OmpThreads(const OmpThreads&) = delete;
  OmpThreads& operator=(const OmpThreads&) = delete;

 private:
  int saved_;
};

std::string name_of(const std::string& what, const GemmShape& s, int threads) {
  return "stage03." + what + "/" + s.name + "/threads:" + std::to_string(threads);
}

void register_step(const Rung& rung, const GemmShape& s, int threads) {
  benchmark::RegisterBenchmark(
      name_of("gemm/" + std::string(rung.name), s, threads).c_str(),
      [=](benchmark::State& state) {
        OmpThreads omp(threads);
        Operands o(s);
        time_gemm(state, o, [&] { rung.gemm(s.M, s.N, s.K, o.A.data(), o.B.data(), o.C.data()); });
      })
      ->Unit(benchmark::kMicrosecond)
      ->UseRealTime();
}

void register_sgemm(const GemmShape& s, int threads) {
  benchmark::RegisterBenchmark(name_of("gemm/sgemm", s, threads).c_str(),
                               [=](benchmark::State& state) {
                                 OmpThreads omp(threads);
                                 Operands o(s);
                                 time_gemm(state, o, [&] {
                                   sgemm(s.trans_a, s.trans_b, s.M, s.N, s.K, 1.0f, o.A.data(),
                                         o.lda, o.B.data(), o.ldb, 0.0f, o.C.data(), o.ldc);
                                 });
                               })
      ->Unit(benchmark::kMicrosecond)
      ->UseRealTime();
}

void register_openblas([[maybe_unused]] const GemmShape& s, [[maybe_unused]] int threads) {
#if defined(MNIST_HAVE_OPENBLAS)
  benchmark::RegisterBenchmark(name_of("openblas", s, threads).c_str(),
                               [=](benchmark::State& state) {
                                 openblas_set_num_threads(threads);
                                 Operands o(s);
                                 time_gemm(state, o, [&] {
                                   cblas_sgemm(CblasRowMajor, s.trans_a ? CblasTrans : CblasNoTrans,
                                               s.trans_b ? CblasTrans : CblasNoTrans, s.M, s.N, s.K,
                                               1.0f, o.A.data(), o.lda, o.B.data(), o.ldb, 0.0f,
                                               o.C.data(), o.ldc);
                                 });
                               })
      ->Unit(benchmark::kMicrosecond)
      ->UseRealTime();
#endif
}

}  // namespace

void register_gemm_benchmarks() {
#if defined(MNIST_HAVE_OPENBLAS)
  // Which OpenBLAS kernels ran depends on the CPU it detected, or on OPENBLAS_CORETYPE.
  const char* coretype = std::getenv("OPENBLAS_CORETYPE");
  benchmark::AddCustomContext(
      "openblas", std::string(openblas_get_config()) + ", core " + openblas_get_corename() +
                      ", OPENBLAS_CORETYPE=" + (coretype ? coretype : "(unset)"));
#else
  benchmark::AddCustomContext("openblas", "not found at build time: no yardstick");
#endif
  // Shape by shape, so that a change of machine load hits the steps and OpenBLAS alike.
  for (const GemmShape& s : ladder_shapes()) {
    for (const Rung& rung : gemm_ladder()) {
      // The single-threaded steps run on one thread; the threaded one on 1 and 2.
      register_step(rung, s, 1);
      if (&rung == &gemm_ladder().back()) register_step(rung, s, 2);
    }
    register_openblas(s, 1);
    register_openblas(s, 2);
  }
  for (const GemmShape& s : sgemm_shapes())
    for (int threads : {1, 2}) {
      register_sgemm(s, threads);
      register_openblas(s, threads);
    }
}

}  // namespace stage03::bench

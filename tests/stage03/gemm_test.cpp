// Stage 03's GEMM against a double-precision reference: every kernel, both transposes,
// odd sizes that leave partial tiles at every edge, sizes that cross every cache block,
// the network's own shapes, on 1 and 2 threads.
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "03_blocked_simd/gemm.h"
#include "03_blocked_simd/gemm_ladder.h"
#include "03_blocked_simd/kernel_dispatch.h"
#include "03_blocked_simd/packed_gemm.h"
#include "common/network.h"
#include "tests/stage03/gemm_reference.h"

using namespace gemm_test;

namespace {

// Float rounding of a k-term sum stays far below this (about 1e-6 here); a wrong index,
// a dropped term or a stale tile gives errors from 1e-4 (one term of 15,488) up to 1.
constexpr double kTolerance = 2e-5;

struct Case {
  bool ta, tb;
  int M, N, K;
  float alpha, beta;
};

std::string describe(const Case& c) {
  return std::string(c.ta ? "A^T " : "A ") + (c.tb ? "B^T " : "B ") + "M=" + std::to_string(c.M) +
         " N=" + std::to_string(c.N) + " K=" + std::to_string(c.K) +
         " alpha=" + std::to_string(c.alpha) + " beta=" + std::to_string(c.beta);
}

// Runs `gemm` on one case with padded leading dimensions and checks it. For beta == 0 the
// initial C is NaN: the contract says it is never read.
template <typename Gemm>
void check_case(const Case& c, const std::vector<std::string>& labels, Gemm gemm) {
  const int a_rows = c.ta ? c.K : c.M, a_cols = c.ta ? c.M : c.K;
  const int b_rows = c.tb ? c.N : c.K, b_cols = c.tb ? c.K : c.N;
  const int lda = a_cols + 3, ldb = b_cols + 5, ldc = c.N + 2;
  const auto A = random_matrix(a_rows, a_cols, lda, 1 + c.M);
  const auto B = random_matrix(b_rows, b_cols, ldb, 2 + c.N);
  auto C0 = random_matrix(c.M, c.N, ldc, 3 + c.K);
  if (c.beta == 0) C0.assign(C0.size(), std::numeric_limits<float>::quiet_NaN());
  const Reference ref =
      reference_gemm(c.ta, c.tb, c.M, c.N, c.K, c.alpha, A, lda, B, ldb, c.beta, C0, ldc);
  for (const std::string& label : labels) {
    std::vector<float> C = C0;
    gemm(label, c, A.data(), lda, B.data(), ldb, C.data(), ldc);
    EXPECT_LT(worst_error(C, ldc, ref, c.M, c.N), kTolerance) << label << ": " << describe(c);
    // Padding between rows of C must be untouched.
    for (int i = 0; i < c.M; ++i)
      for (int j = c.N; j < ldc; ++j)
        ASSERT_TRUE(std::isnan(C[size_t(i) * ldc + j]) ||
                    C[size_t(i) * ldc + j] == C0[size_t(i) * ldc + j])
            << label << ": wrote past column N in " << describe(c);
  }
}

// Every kernel this CPU can run, on 1 and 2 threads: "avx512/1", "portable/2", ...
std::vector<std::string> kernel_labels() {
  std::vector<std::string> labels;
  for (const stage03::MicroKernel* k : stage03::available_kernels())
    for (int threads : {1, 2})
      labels.push_back(std::string(k->name) + "/" + std::to_string(threads));
  return labels;
}

void run_kernel(const std::string& label, const Case& c, const float* A, int lda, const float* B,
                int ldb, float* C, int ldc) {
  const std::string name = label.substr(0, label.find('/'));
  const int threads = std::stoi(label.substr(label.find('/') + 1));
  for (const stage03::MicroKernel* k : stage03::available_kernels())
    if (name == k->name)
      stage03::packed_gemm(*k, threads, c.ta, c.tb, c.M, c.N, c.K, c.alpha, A, lda, B, ldb, c.beta,
                           C, ldc);
}

// sgemm itself under OMP thread counts 1 and 2.
void run_sgemm(const std::string& label, const Case& c, const float* A, int lda, const float* B,
               int ldb, float* C, int ldc) {
  omp_set_num_threads(std::stoi(label.substr(label.find('/') + 1)));
  stage03::sgemm(c.ta, c.tb, c.M, c.N, c.K, c.alpha, A, lda, B, ldb, c.beta, C, ldc);
}

}  // namespace

TEST(Gemm, ThisCpuHasAKernelBeyondPortable) {
  // Not a correctness check of the kernels (the tests below are); this says which ones the
  // other tests exercised, and that the portable one is always there.
  const auto kernels = stage03::available_kernels();
  ASSERT_FALSE(kernels.empty());
  EXPECT_STREQ(kernels.back()->name, "portable");
  for (const auto* k : kernels) std::printf("  kernel %s %dx%d\n", k->name, k->mr, k->nr);
}

TEST(Gemm, OddSizesEveryKernelBothTransposes) {
  const int sizes[] = {1, 7, 17, 63, 129};
  int n = 0;
  for (int M : sizes)
    for (int N : sizes)
      for (int K : sizes)
        for (int t = 0; t < 4; ++t, ++n)
          check_case({bool(t & 1), bool(t & 2), M, N, K, 0.75f, n % 2 ? -0.5f : 0.0f},
                     kernel_labels(), run_kernel);
}

TEST(Gemm, OddSizesLargeEnoughForTwoThreads) {
  // Products under 20 MFLOP stay on one thread; these are over it, so the "/2" runs really
  // split C between threads, with partial tiles on the cuts and at the edges.
  int n = 0;
  for (const Case& c : {Case{false, false, 129, 1031, 129, 1.0f, 0.0f},  // packed path
                        Case{true, true, 1031, 129, 129, 0.5f, 2.0f},
                        Case{false, true, 1031, 7, 1500, 1.0f, 0.0f},    // skinny path
                        Case{true, true, 9, 1031, 1500, 1.0f, 1.0f}}) {  // skinny, C^T
    ASSERT_GT(2.0 * c.M * c.N * c.K, 2e7) << "case " << n++;
    check_case(c, kernel_labels(), run_kernel);
  }
}

TEST(Gemm, SizesCrossingEveryCacheBlock) {
  // One more than a whole block (plus a partial tile) in every dimension, per kernel.
  for (const stage03::MicroKernel* k : stage03::available_kernels()) {
    const stage03::Blocking b = stage03::blocking_for(*k);
    const std::vector<std::string> labels = {std::string(k->name) + "/1",
                                             std::string(k->name) + "/2"};
    for (int t : {0, 3})
      check_case({bool(t & 1), bool(t & 2), b.mc + k->mr + 1, b.nc + k->nr + 3, b.kc + 7, 1.0f,
                  t ? 1.0f : 0.0f},
                 labels, run_kernel);
    // All of A in one block (packed once), B in many panels and a partial one.
    check_case({false, false, b.mc - k->mr + 3, 3 * b.nc + k->nr + 3, b.kc - 5, 1.0f, 0.5f}, labels,
               run_kernel);
  }
}

TEST(Gemm, LargeOutputStreamedPastTheCache) {
  // A C over Blocking::stream_c_bytes, written once (beta = 0, K in one block), is written
  // with streaming stores. N = 2 (mod 16) makes rows of ldc = N + 2 floats step 16 bytes
  // past a 64-byte boundary, so one row in four is aligned and streams while the others
  // fall back to ordinary stores, within the same tile; M and N leave partial tiles too.
  const Case c{false, false, 35, 65538, 9, 1.0f, 0.0f};
  for (const stage03::MicroKernel* k : stage03::available_kernels()) {
    const stage03::Blocking b = stage03::blocking_for(*k);
    ASSERT_GT(int64_t{c.M} * c.N * int64_t{sizeof(float)}, b.stream_c_bytes) << k->name;
    ASSERT_LE(c.K, b.kc) << k->name;
  }
  check_case(c, kernel_labels(), run_kernel);
}

TEST(Gemm, EmptyAndDegenerateProducts) {
  // K = 0 or alpha = 0: C = beta C, and beta = 0 clears C even where it held NaN.
  std::vector<float> C = {1, 2, std::numeric_limits<float>::quiet_NaN(), 4};
  const float one = 1;
  stage03::sgemm(false, false, 2, 2, 0, 1.0f, &one, 1, &one, 2, 3.0f, C.data(), 2);
  EXPECT_EQ(C[0], 3);
  EXPECT_EQ(C[1], 6);
  EXPECT_EQ(C[3], 12);
  stage03::sgemm(false, false, 2, 2, 1, 0.0f, &one, 1, &one, 2, 0.0f, C.data(), 2);
  for (float v : C) EXPECT_EQ(v, 0);
  stage03::sgemm(false, false, 0, 2, 1, 1.0f, &one, 1, &one, 2, 0.0f, nullptr, 2);  // no-op
}

TEST(Gemm, NetworkShapesForwardAndBackward) {
  using namespace mnist::net;
  const int conv1_cols = kConv1Size * kConv1Size * 128, conv2_cols = kConv2Size * kConv2Size * 128;
  const int conv2_k = kConv1Channels * kKernel * kKernel;
  const std::vector<Case> cases = {
      {false, false, kConv1Channels, conv1_cols, kKernel * kKernel, 1, 1},  // conv1 forward
      {false, false, kConv2Channels, conv2_cols, conv2_k, 1, 1},            // conv2 forward
      {false, true, 128, kClasses, kFlat, 1, 1},                            // dense forward
      {false, true, kConv2Channels, conv2_k, conv2_cols, 1, 0},             // conv2 dW = dY cols^T
      {true, false, conv2_k, conv2_cols, kConv2Channels, 1, 0},             // conv2 dcols = W^T dY
      {true, false, kClasses, kFlat, 128, 1, 0},                            // dense dW = dY^T X
      {false, false, 128, kFlat, kClasses, 1, 0},                           // dense dX = dY W
  };
  for (const Case& c : cases) check_case(c, {"sgemm/1", "sgemm/2"}, run_sgemm);
}

TEST(Gemm, CalledFromInsideAParallelRegion) {
  // Each thread runs its own product; sgemm must then stay on the calling thread.
  const Case c{false, true, 37, 71, 45, 1.0f, 0.0f};
  const auto A = random_matrix(c.M, c.K, c.K, 5), B = random_matrix(c.N, c.K, c.K, 6);
  std::vector<float> C0(size_t(c.M) * c.N, 0.0f);
  const Reference ref = reference_gemm(c.ta, c.tb, c.M, c.N, c.K, 1, A, c.K, B, c.K, 0, C0, c.N);
  std::vector<std::vector<float>> results(4, C0);
#pragma omp parallel for num_threads(2)
  for (int r = 0; r < 4; ++r)
    stage03::sgemm(c.ta, c.tb, c.M, c.N, c.K, 1, A.data(), c.K, B.data(), c.K, 0, results[r].data(),
                   c.N);
  for (const auto& C : results) EXPECT_LT(worst_error(C, c.N, ref, c.M, c.N), kTolerance);
}

TEST(GemmLadder, EveryRungAgreesWithTheReference) {
  for (int M : {1, 17, 129})
    for (int N : {7, 63, 300})
      for (int K : {9, 130}) {
        const auto A = random_matrix(M, K, K, 7), B = random_matrix(K, N, N, 8);
        std::vector<float> C0(size_t(M) * N, 0.0f);
        const Reference ref = reference_gemm(false, false, M, N, K, 1, A, K, B, N, 0, C0, N);
        for (const stage03::Rung& rung : stage03::gemm_ladder())
          for (int threads : {1, 2}) {
            omp_set_num_threads(threads);
            std::vector<float> C(C0.size(), std::numeric_limits<float>::quiet_NaN());
            rung.gemm(M, N, K, A.data(), B.data(), C.data());
            EXPECT_LT(worst_error(C, N, ref, M, N), kTolerance)
                << rung.name << " M=" << M << " N=" << N << " K=" << K << " threads " << threads;
          }
      }
}

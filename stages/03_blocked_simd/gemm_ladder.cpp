#include "03_blocked_simd/gemm_ladder.h"

#include <omp.h>

#include <algorithm>
#include <cstdint>

#include "02_im2col/gemm.h"
#include "03_blocked_simd/kernel_dispatch.h"
#include "03_blocked_simd/packed_gemm.h"

namespace stage03 {

namespace {
constexpr int kBlockK = 128, kBlockN = 256;  // a 128 x 256 block of B: 128 KB, fits L2
}  // namespace

void gemm_blocked(int M, int N, int K, const float* A, const float* B, float* C) {
  std::fill_n(C, int64_t{M} * N, 0.0f);
  for (int j0 = 0; j0 < N; j0 += kBlockN) {
    const int j1 = std::min(N, j0 + kBlockN);
    for (int k0 = 0; k0 < K; k0 += kBlockK) {
      const int k1 = std::min(K, k0 + kBlockK);
      for (int i = 0; i < M; ++i) {  // every row of A meets the same block of B
        float* c = C + int64_t{i} * N;
        for (int k = k0; k < k1; ++k) {
          const float a = A[int64_t{i} * K + k];
          const float* b = B + int64_t{k} * N;
          for (int j = j0; j < j1; ++j) c[j] += a * b[j];
        }
      }
    }
  }
}

void gemm_packed(int M, int N, int K, const float* A, const float* B, float* C) {
  packed_gemm(portable_kernel(), 1, false, false, M, N, K, 1.0f, A, K, B, N, 0.0f, C, N);
}

void gemm_simd(int M, int N, int K, const float* A, const float* B, float* C) {
  packed_gemm(selected_kernel(), 1, false, false, M, N, K, 1.0f, A, K, B, N, 0.0f, C, N);
}

void gemm_threaded(int M, int N, int K, const float* A, const float* B, float* C) {
  packed_gemm(selected_kernel(), omp_get_max_threads(), false, false, M, N, K, 1.0f, A, K, B, N,
              0.0f, C, N);
}

const std::vector<Rung>& gemm_ladder() {
  static const std::vector<Rung> rungs = {
      {"0_naive", stage02::gemm_ijk}, {"1_reordered", stage02::gemm_ikj},
      {"2_blocked", gemm_blocked},    {"3_packed", gemm_packed},
      {"4_simd", gemm_simd},          {"5_threaded", gemm_threaded}};
  return rungs;
}

}  // namespace stage03

#include "03_blocked_simd/gemm.h"

#include <omp.h>

#include "03_blocked_simd/kernel_dispatch.h"
#include "03_blocked_simd/packed_gemm.h"

namespace stage03 {

void sgemm(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float* A, int lda,
           const float* B, int ldb, float beta, float* C, int ldc) {
  packed_gemm(selected_kernel(), omp_get_max_threads(), trans_a, trans_b, M, N, K, alpha, A, lda, B,
              ldb, beta, C, ldc);
}

}  // namespace stage03

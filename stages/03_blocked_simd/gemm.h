/// \file
/// \brief Stage 03's GEMM: the BLAS sgemm interface, packed, register-blocked, SIMD, threaded.
///
/// This is the final rung of the ladder in gemm_ladder.h, with the full BLAS contract
/// (alpha, beta, transposes, leading dimensions) that the layers and stage 04's backward
/// pass need.
#pragma once

namespace stage03 {

/// C = alpha * op(A) * op(B) + beta * C for row-major matrices; op(X) is X or X^T.
/// op(A) is M x K, op(B) is K x N, C is M x N; lda, ldb, ldc are the row strides.
///
/// beta == 0 never reads C (it may hold garbage or NaN), as in BLAS. Runs on every OpenMP
/// thread when called from outside a parallel region, on the calling thread inside one.
void sgemm(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float* A, int lda,
           const float* B, int ldb, float beta, float* C, int ldc);

}  // namespace stage03

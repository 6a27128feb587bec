/// \file
/// \brief The plain matrix product C = A * B, in three loop orders.
///
/// All three do the same 2*M*N*K floating-point operations on row-major matrices
/// (A is M x K, B is K x N, C is M x N); they differ only in the order memory is walked,
/// which is the whole lesson: the order decides whether the innermost loop streams
/// through contiguous floats (fast, vectorisable) or jumps a row at every step (slow).
#pragma once

namespace stage02 {

/// i, j, k: C[i][j] is a dot product of row i of A and column j of B. The inner loop walks
/// down a column of B, N floats apart: one cache line used per float read.
void gemm_ijk(int M, int N, int K, const float* A, const float* B, float* C);

/// i, k, j: row i of C accumulates A[i][k] times row k of B. The inner loop streams along
/// rows of B and C, contiguous, so the compiler vectorises it. Stage 02 uses this one.
void gemm_ikj(int M, int N, int K, const float* A, const float* B, float* C);

/// j, k, i: column j of C accumulates column k of A times B[k][j]. The inner loop walks
/// down columns of A and C: strided on both, the worst of the three for row-major data.
void gemm_jki(int M, int N, int K, const float* A, const float* B, float* C);

/// The GEMM stage 02's layers use: C = A * B (C is overwritten), in i, k, j order.
inline void gemm(int M, int N, int K, const float* A, const float* B, float* C) {
  gemm_ikj(M, N, K, A, B, C);
}

}  // namespace stage02

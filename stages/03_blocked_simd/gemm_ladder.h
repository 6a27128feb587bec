/// \file
/// \brief The GEMM ladder: every step from the plain loops to sgemm, each one callable.
///
/// All rungs compute C = A * B for contiguous row-major A (M x K), B (K x N) and C (M x N,
/// overwritten), so the benchmark can run each on the same shapes and show what each idea
/// buys. Read them in order:
///   0 naive      stage 02's i,j,k loops: the inner loop strides down a column of B
///   1 reordered  stage 02's i,k,j loops: the inner loop streams rows; the compiler vectorises
///   2 blocked    i,k,j inside cache-sized blocks of k and j, so B is reused from L2
///   3 packed     blocks copied into micro-kernel order + a register-tiled plain-C++ kernel
///   4 simd       the same with the intrinsics kernel for this CPU (AVX-512 / AVX2)
///   5 threaded   the same on every core: this is sgemm (gemm.h)
#pragma once

#include <vector>

namespace stage03 {

/// Every rung's signature: C = A * B, all row-major and contiguous; C is overwritten.
using LadderGemm = void (*)(int M, int N, int K, const float* A, const float* B, float* C);

/// Rung 2: the i,k,j loops of rung 1 run block by block: a kBlockK x kBlockN block of B
/// (128 KB) is loaded into L2 once and used for every row of A, instead of streaming all
/// of B from memory once per row.
void gemm_blocked(int M, int N, int K, const float* A, const float* B, float* C);

/// Rung 3: packed blocks and a 4x16 register tile in plain C++ (packed_gemm.h), one thread.
void gemm_packed(int M, int N, int K, const float* A, const float* B, float* C);

/// Rung 4: rung 3 with the best SIMD kernel for this CPU (selected_kernel()), one thread.
void gemm_simd(int M, int N, int K, const float* A, const float* B, float* C);

/// Rung 5: rung 4 on all OpenMP threads; the same code path as sgemm.
void gemm_threaded(int M, int N, int K, const float* A, const float* B, float* C);

/// One rung: a short name for benchmark labels, and the function.
struct Rung {
  const char* name;  ///< e.g. "packed"
  LadderGemm gemm;   ///< the step's GEMM
};

/// All rungs in order, 0 (naive) to 5 (threaded).
const std::vector<Rung>& gemm_ladder();

}  // namespace stage03

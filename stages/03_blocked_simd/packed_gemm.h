/// \file
/// \brief The packed GEMM engine: cache blocking + packing around any micro-kernel, threaded.
///
/// The classic Goto / BLIS loop nest. From the outside in:
///
///     for jc in N step NC:            a KC x NC panel of B, packed once  -> lives in L3 (L2)
///       for pc in K step KC:
///         pack B[pc:pc+KC, jc:jc+NC]
///         for ic in M step MC:        an MC x KC block of A, packed       -> lives in L2
///           pack A[ic:ic+MC, pc:pc+KC]
///           for jr in NC step nr:     a KC x nr sliver of B               -> lives in L1
///             for ir in MC step mr:
///               micro-kernel: C[ic+ir : +mr, jc+jr : +nr] += A sliver x B sliver
///
/// Every float of a packed block is reused many times from the cache level it was sized
/// for, so the micro-kernel runs at the speed of its arithmetic, not of memory. When all
/// of A is one block (the conv layers) it is packed once, before the loops, and the panels
/// of B are made small enough to stay in L2.
#pragma once

#include "03_blocked_simd/microkernel.h"

namespace stage03 {

/// Cache block sizes: MC rows of A x KC of k (in L2), KC x NC of B (in L2 or L3).
struct Blocking {
  int mc;  ///< rows of A in a block
  int kc;  ///< the most k in a block (K is cut into equal blocks of at most this)
  int nc;  ///< columns of B in a panel
  /// Floats in a panel of B (kc x columns, at most nc columns) when all of A is a single
  /// block: then A is packed once, and a panel this small stays in L2 from packing to use.
  int panel_single_a;
  /// A C larger than this many bytes, written once (beta = 0 and K in one block), is
  /// written with streaming stores, past the cache (packed_gemm.cpp says why).
  int64_t stream_c_bytes;
};

/// The block sizes used with a kernel (multiples of its mr and nr), chosen by measuring on
/// the reference CPU (stages/03_blocked_simd/README.md explains them).
Blocking blocking_for(const MicroKernel& kernel);

/// sgemm's contract (see gemm.h) computed with `kernel` on up to `threads` OpenMP threads
/// (1: on the calling thread only; small products also stay on one). Each thread owns a
/// rectangle of C and runs the loop nest above on it with its own packing buffers, so
/// threads never wait for one another. A C at most kSkinnyMaxColumns wide (or tall) whose
/// long operand has contiguous rows goes to skinny_gemm() instead.
void packed_gemm(const MicroKernel& kernel, int threads, bool trans_a, bool trans_b, int M, int N,
                 int K, float alpha, const float* A, int lda, const float* B, int ldb, float beta,
                 float* C, int ldc);

}  // namespace stage03

/// \file
/// \brief The micro-kernel: the only code that does the multiply-adds of the packed GEMM.
///
/// It multiplies an mr x kc sliver of A by a kc x nr sliver of B, both packed contiguously
/// (packing.h), holding the whole mr x nr tile of C in registers for all kc steps; C is
/// read and written once per tile. Each instruction set gets its own kernel with the tile
/// shape that fits its register file; the engine (packed_gemm.h) works with any of them.
#pragma once

#include <cstdint>

namespace stage03 {

/// One instruction set's kernels: the outer-product micro-kernel and the tile it computes,
/// and the dot-product kernel of the skinny path (skinny_gemm.h).
struct MicroKernel {
  const char* name;  ///< "avx512", "avx2", "portable"
  int mr;            ///< rows of the C tile
  int nr;            ///< columns of the C tile
  /// C[i*ldc + j] = alpha * sum_p a[p*mr + i] * b[p*nr + j] + beta * C[i*ldc + j] for the
  /// whole mr x nr tile; beta == 0 writes without reading C. a and b are packed slivers;
  /// b is 64-byte aligned. With `stream` (only asked for with beta == 0), rows of C that are
  /// aligned to the vector width are written with non-temporal stores, which go to memory
  /// without first reading the line into the cache; the caller fences afterwards
  /// (packed_gemm.cpp says when this pays). The portable kernel ignores it.
  void (*run)(int kc, const float* a, const float* b, float* c, int64_t ldc, float alpha,
              float beta, bool stream);
  int dot_rows;  ///< rows of A the dot kernel takes at once
  int dot_cols;  ///< rows of B^T (columns of C) the dot kernel takes at once
  /// sums[r*dot_cols + j] += sum over p < kc of a[r][p] * bt[j][p], for r < dot_rows and
  /// j < dot_cols: every output is a dot product of two contiguous rows, k runs along the
  /// vector lanes. No alignment needed.
  void (*dot)(int kc, const float* const* a, const float* const* bt, float* sums);
};

/// Plain C++ kernel: builds anywhere; the compiler vectorises it as well as it can.
const MicroKernel& portable_kernel();

/// AVX2 + FMA kernel, or nullptr when it was not compiled in (not an x86-64 build).
const MicroKernel* avx2_kernel();

/// AVX-512F kernel, or nullptr when it was not compiled in (not an x86-64 build).
const MicroKernel* avx512_kernel();

}  // namespace stage03

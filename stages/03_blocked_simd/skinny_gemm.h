/// \file
/// \brief The skinny path: C with only a few columns, as dot products of contiguous rows.
///
/// The dense layer's product is [128 x 1600] times [1600 x 10]. An outer-product tile 32
/// columns wide would be two thirds padding, and packing the large operand into slivers is a
/// transpose that costs more than the multiply-adds. Here instead every C(i, j) is the dot
/// product of row i of A and row j of B^T, both contiguous in memory: k runs along the vector
/// lanes, the big operand is read in place, once, and nothing is padded but the last tile.
#pragma once

#include "03_blocked_simd/microkernel.h"
#include "03_blocked_simd/packing.h"

namespace stage03 {

/// Columns of C up to which packed_gemm takes the skinny path.
constexpr int kSkinnyMaxColumns = 16;

/// C = alpha * A * B + beta * C for an M x N matrix C with N <= kSkinnyMaxColumns, where the
/// rows of A are contiguous (A.cs == 1); B may be strided either way (its N columns are
/// copied into contiguous rows first unless they already are). Rows of C are shared among
/// `threads` OpenMP threads (the caller decides; 1 inside a parallel region). beta == 0
/// never reads C.
void skinny_gemm(const MicroKernel& kernel, int threads, int M, int N, int K, float alpha,
                 const MatrixView& A, const MatrixView& B, float beta, const OutView& C);

}  // namespace stage03

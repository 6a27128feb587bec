/// \file
/// \brief One tensor-core instruction, mma.sync m16n8k8 in TF32, and the rounding it needs.
///
/// A warp multiplies a 16x8 tile of A by an 8x8 tile of B and adds the 16x8 product into C,
/// in one instruction. Each of the 32 lanes holds a fixed piece of every tile (the PTX ISA's
/// "fragment layout" for .tf32 m16n8k8). With g = lane / 4 and t = lane % 4:
///
///     A (16 rows m x 8 columns k):  a[0] = A[g][t]    a[1] = A[g+8][t]
///                                   a[2] = A[g][t+4]  a[3] = A[g+8][t+4]
///     B (8 rows k x 8 columns n):   b[0] = B[t][g]    b[1] = B[t+4][g]
///     C (16 rows m x 8 columns n):  c[0] = C[g][2t]   c[1] = C[g][2t+1]
///                                   c[2] = C[g+8][2t] c[3] = C[g+8][2t+1]
///
/// The kernels load these pieces straight from shared memory, so the tile never has to be a
/// contiguous matrix: an "implicit GEMM" computes each element's address (im2col without
/// the copy).
///
/// TF32 is float32's 8 exponent bits with 10 of its 23 mantissa bits: the tensor core
/// multiplies TF32 numbers exactly and adds the products in float32. Rounding an input to
/// nearest TF32 changes it by at most 2^-11 of itself (its unit roundoff).
#pragma once

#include <cstdint>

namespace stage05::tc {

/// x rounded to the nearest TF32 value (ties away from zero), still stored as a float.
__device__ inline float round_to_tf32(float x) {
  uint32_t bits;
  asm("cvt.rna.tf32.f32 %0, %1;" : "=r"(bits) : "f"(x));
  return __uint_as_float(bits);
}

/// c += A B for one 16x8x8 tile; a, b hold TF32 values (round_to_tf32) as raw bits.
__device__ inline void mma_tf32(float (&c)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]) {
  asm volatile(
      "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, "
      "{%8,%9}, {%0,%1,%2,%3};"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}

/// The float at p, as the raw bits an mma operand takes.
__device__ inline uint32_t bits_at(const float* p) {
  return __float_as_uint(*p);
}

}  // namespace stage05::tc

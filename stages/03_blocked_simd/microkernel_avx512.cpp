// The AVX-512 micro-kernel: an 8 x 32 tile of C in 16 of the 32 zmm registers (16 floats
// each). Every step loads one row of the B sliver (two registers), broadcasts each of the
// 8 elements of A's column, and issues 16 fused multiply-adds: 512 FLOPs per 10 loads.
//
// This file alone is compiled with -mavx512f -mfma and is only called after the CPU said it
// has them. It includes nothing but intrinsics: an inline library function compiled here
// could be picked by the linker for the whole program and crash an older CPU.
#include <immintrin.h>

#include "03_blocked_simd/microkernel.h"

namespace stage03 {

namespace {

constexpr int kMr = 8, kNr = 32;

void run(int kc, const float* a, const float* b, float* c, int64_t ldc, float alpha, float beta,
         bool stream) {
  __m512 acc[kMr][2];
  for (int i = 0; i < kMr; ++i) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
  for (int p = 0; p < kc; ++p, a += kMr, b += kNr) {
    const __m512 b0 = _mm512_load_ps(b), b1 = _mm512_load_ps(b + 16);
    for (int i = 0; i < kMr; ++i) {
      const __m512 ai = _mm512_set1_ps(a[i]);
      acc[i][0] = _mm512_fmadd_ps(ai, b0, acc[i][0]);
      acc[i][1] = _mm512_fmadd_ps(ai, b1, acc[i][1]);
    }
  }
  const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
  for (int i = 0; i < kMr; ++i) {
    float* row = c + i * ldc;
    const bool row_streams = stream && reinterpret_cast<std::uintptr_t>(row) % 64 == 0;
    for (int h = 0; h < 2; ++h) {
      __m512 v = _mm512_mul_ps(va, acc[i][h]);
      if (beta != 0) v = _mm512_fmadd_ps(vb, _mm512_loadu_ps(row + 16 * h), v);
      if (row_streams)
        _mm512_stream_ps(row + 16 * h, v);
      else
        _mm512_storeu_ps(row + 16 * h, v);
    }
  }
}

// The dot kernel of the skinny path: a 4 x 4 tile of dot products in 16 registers, each
// summing 16 products per step; 8 loads feed 16 FMAs.
constexpr int kDotRows = 4, kDotCols = 4;

float sum_of_lanes(__m512 v) {
  // Add the upper half onto the lower, twice, then the last four lanes. (The masked forms,
  // with every lane enabled, because g++ 12 warns inside the unmasked ones.)
  v = _mm512_add_ps(v, _mm512_mask_shuffle_f32x4(v, 0xFFFF, v, v, _MM_SHUFFLE(1, 0, 3, 2)));
  v = _mm512_add_ps(v, _mm512_mask_shuffle_f32x4(v, 0xFFFF, v, v, _MM_SHUFFLE(2, 3, 0, 1)));
  __m128 x = _mm512_mask_extractf32x4_ps(_mm_setzero_ps(), 0xF, v, 0);
  x = _mm_add_ps(x, _mm_movehl_ps(x, x));
  x = _mm_add_ss(x, _mm_movehdup_ps(x));
  return _mm_cvtss_f32(x);
}

void dot(int kc, const float* const* a, const float* const* bt, float* sums) {
  __m512 acc[kDotRows][kDotCols];
  for (auto& row : acc)
    for (__m512& v : row) v = _mm512_setzero_ps();
  // Whole steps of 16 floats, then one step for the kc % 16 left that loads only what is
  // there (a masked load). Written out twice on purpose: with one loop that computes a mask
  // every step, or a helper function for the step, g++ 12 keeps the 16 sums in memory
  // rather than in registers, and runs at half speed.
  const int whole = kc / 16 * 16;
  for (int p = 0; p < whole; p += 16) {
    __m512 b[kDotCols];
    for (int j = 0; j < kDotCols; ++j) b[j] = _mm512_loadu_ps(bt[j] + p);
    for (int r = 0; r < kDotRows; ++r) {
      const __m512 ar = _mm512_loadu_ps(a[r] + p);
      for (int j = 0; j < kDotCols; ++j) acc[r][j] = _mm512_fmadd_ps(ar, b[j], acc[r][j]);
    }
  }
  if (whole < kc) {
    const auto m = static_cast<__mmask16>((1u << (kc - whole)) - 1);
    __m512 b[kDotCols];
    for (int j = 0; j < kDotCols; ++j) b[j] = _mm512_maskz_loadu_ps(m, bt[j] + whole);
    for (int r = 0; r < kDotRows; ++r) {
      const __m512 ar = _mm512_maskz_loadu_ps(m, a[r] + whole);
      for (int j = 0; j < kDotCols; ++j) acc[r][j] = _mm512_fmadd_ps(ar, b[j], acc[r][j]);
    }
  }
  for (int r = 0; r < kDotRows; ++r)
    for (int j = 0; j < kDotCols; ++j) sums[r * kDotCols + j] += sum_of_lanes(acc[r][j]);
}

}  // namespace

const MicroKernel* avx512_kernel() {
  static const MicroKernel kernel{"avx512", kMr, kNr, run, kDotRows, kDotCols, dot};
  return &kernel;
}

}  // namespace stage03

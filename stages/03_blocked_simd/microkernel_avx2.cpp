// The AVX2 + FMA micro-kernel: a 6 x 16 tile of C in 12 of the 16 ymm registers (8 floats
// each), two registers for a row of B, one for a broadcast element of A.
//
// This file alone is compiled with -mavx2 -mfma and is only called after the CPU said it
// has them. It includes nothing but intrinsics: an inline library function compiled here
// could be picked by the linker for the whole program and crash an older CPU.
#include <immintrin.h>

#include "03_blocked_simd/microkernel.h"

namespace stage03 {

namespace {

constexpr int kMr = 6, kNr = 16;

void run(int kc, const float* a, const float* b, float* c, int64_t ldc, float alpha, float beta,
         bool stream) {
  __m256 acc[kMr][2];
  for (int i = 0; i < kMr; ++i) acc[i][0] = acc[i][1] = _mm256_setzero_ps();
  for (int p = 0; p < kc; ++p, a += kMr, b += kNr) {
    const __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);
    for (int i = 0; i < kMr; ++i) {
      const __m256 ai = _mm256_broadcast_ss(a + i);
      acc[i][0] = _mm256_fmadd_ps(ai, b0, acc[i][0]);
      acc[i][1] = _mm256_fmadd_ps(ai, b1, acc[i][1]);
    }
  }
  const __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
  for (int i = 0; i < kMr; ++i) {
    float* row = c + i * ldc;
    const bool row_streams = stream && reinterpret_cast<std::uintptr_t>(row) % 32 == 0;
    for (int h = 0; h < 2; ++h) {
      __m256 v = _mm256_mul_ps(va, acc[i][h]);
      if (beta != 0) v = _mm256_fmadd_ps(vb, _mm256_loadu_ps(row + 8 * h), v);
      if (row_streams)
        _mm256_stream_ps(row + 8 * h, v);
      else
        _mm256_storeu_ps(row + 8 * h, v);
    }
  }
}

// The dot kernel of the skinny path: a 2 x 4 tile of dot products in 8 registers (the
// 16 ymm registers hold no more with the loads), each summing 8 products per step.
constexpr int kDotRows = 2, kDotCols = 4;

float sum_of_lanes(__m256 v) {
  __m128 x = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  x = _mm_add_ps(x, _mm_movehl_ps(x, x));
  x = _mm_add_ss(x, _mm_movehdup_ps(x));
  return _mm_cvtss_f32(x);
}

void dot(int kc, const float* const* a, const float* const* bt, float* sums) {
  __m256 acc[kDotRows][kDotCols];
  for (auto& row : acc)
    for (__m256& v : row) v = _mm256_setzero_ps();
  // Whole steps of 8 floats, then one step for the kc % 8 left that loads only what is
  // there (a masked load); two loops for the reason given in microkernel_avx512.cpp.
  const int whole = kc / 8 * 8;
  for (int p = 0; p < whole; p += 8) {
    __m256 b[kDotCols];
    for (int j = 0; j < kDotCols; ++j) b[j] = _mm256_loadu_ps(bt[j] + p);
    for (int r = 0; r < kDotRows; ++r) {
      const __m256 ar = _mm256_loadu_ps(a[r] + p);
      for (int j = 0; j < kDotCols; ++j) acc[r][j] = _mm256_fmadd_ps(ar, b[j], acc[r][j]);
    }
  }
  if (whole < kc) {
    const __m256i m = _mm256_cmpgt_epi32(_mm256_set1_epi32(kc - whole),
                                         _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    __m256 b[kDotCols];
    for (int j = 0; j < kDotCols; ++j) b[j] = _mm256_maskload_ps(bt[j] + whole, m);
    for (int r = 0; r < kDotRows; ++r) {
      const __m256 ar = _mm256_maskload_ps(a[r] + whole, m);
      for (int j = 0; j < kDotCols; ++j) acc[r][j] = _mm256_fmadd_ps(ar, b[j], acc[r][j]);
    }
  }
  for (int r = 0; r < kDotRows; ++r)
    for (int j = 0; j < kDotCols; ++j) sums[r * kDotCols + j] += sum_of_lanes(acc[r][j]);
}

}  // namespace

const MicroKernel* avx2_kernel() {
  static const MicroKernel kernel{"avx2", kMr, kNr, run, kDotRows, kDotCols, dot};
  return &kernel;
}

}  // namespace stage03

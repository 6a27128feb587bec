// The portable micro-kernel: plain loops over a fixed-size tile that lives in registers
// when the compiler can manage it. No intrinsics, so it builds for any CPU.
#include "03_blocked_simd/microkernel.h"

namespace stage03 {

namespace {

constexpr int kMr = 4, kNr = 16;

// `stream` is ignored: plain C++ has no non-temporal store.
void run(int kc, const float* a, const float* b, float* c, int64_t ldc, float alpha, float beta,
         bool /*stream*/) {
  float acc[kMr][kNr] = {};
  for (int p = 0; p < kc; ++p, a += kMr, b += kNr)
    for (int i = 0; i < kMr; ++i)
    // `omp simd` asks for what we mean: one vector per row of the tile, a[i] broadcast.
    // Left alone, g++ 12 vectorises this nest across rows instead and spends most of
    // its time shuffling (measured: 4 GFLOP/s against about 40 with the pragma).
#pragma omp simd
      for (int j = 0; j < kNr; ++j) acc[i][j] += a[i] * b[j];
  for (int i = 0; i < kMr; ++i)
    for (int j = 0; j < kNr; ++j) {
      float& out = c[i * ldc + j];
      out = beta == 0 ? alpha * acc[i][j] : alpha * acc[i][j] + beta * out;
    }
}

// The dot kernel of the skinny path: each of the 4 x 4 dot products on its own; `omp simd
// reduction` lets the compiler keep one partial sum per vector lane.
constexpr int kDotRows = 4, kDotCols = 4;

void dot(int kc, const float* const* a, const float* const* bt, float* sums) {
  for (int r = 0; r < kDotRows; ++r)
    for (int j = 0; j < kDotCols; ++j) {
      const float* x = a[r];
      const float* y = bt[j];
      float sum = 0;
#pragma omp simd reduction(+ : sum)
      for (int p = 0; p < kc; ++p) sum += x[p] * y[p];
      sums[r * kDotCols + j] += sum;
    }
}

}  // namespace

const MicroKernel& portable_kernel() {
  static const MicroKernel kernel{"portable", kMr, kNr, run, kDotRows, kDotCols, dot};
  return kernel;
}

}  // namespace stage03

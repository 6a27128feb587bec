// A double-precision GEMM and random matrices: the yardstick for every float GEMM test.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "common/rng.h"

namespace gemm_test {

/// A row-major matrix of U(-1,1) floats with `ld` floats per row (ld >= cols; the gap is
/// filled too, so reading past a row's end would show up as a wrong answer).
inline std::vector<float> random_matrix(int rows, int cols, int ld, uint64_t seed) {
  std::vector<float> m(static_cast<size_t>(rows) * ld);
  mnist::Rng rng(seed);
  for (float& v : m) v = rng.uniform(-1.0f, 1.0f);
  (void)cols;
  return m;
}

/// The exact-as-possible answer and, per element, the scale its rounding error is measured
/// against: alpha * sum_k |op(A)[i,k] op(B)[k,j]| + |beta C[i,j]|.
struct Reference {
  std::vector<double> value, scale;
};

/// C = alpha op(A) op(B) + beta C in double precision, from the textbook definition.
///
/// The sums run over k in the outer loop and over j in the inner one (row i of the result
/// accumulates op(A)[i,k] times row k of op(B)), so that the network's large shapes are
/// checked in well under a second; the arithmetic is the definition, term by term.
inline Reference reference_gemm(bool ta, bool tb, int M, int N, int K, float alpha,
                                const std::vector<float>& A, int lda, const std::vector<float>& B,
                                int ldb, float beta, const std::vector<float>& C, int ldc) {
  const size_t MN = static_cast<size_t>(M) * N;
  Reference r{std::vector<double>(MN), std::vector<double>(MN)};
  // op(B) as a contiguous K x N matrix of doubles, so every row is read in order.
  std::vector<double> b(static_cast<size_t>(K) * N);
  for (int k = 0; k < K; ++k)
    for (int j = 0; j < N; ++j)
      b[static_cast<size_t>(k) * N + j] = tb ? B[int64_t{j} * ldb + k] : B[int64_t{k} * ldb + j];
  std::vector<double> sum(N), mag(N);
  for (int i = 0; i < M; ++i) {
    std::fill(sum.begin(), sum.end(), 0.0);
    std::fill(mag.begin(), mag.end(), 0.0);
    for (int k = 0; k < K; ++k) {
      const double a = ta ? A[int64_t{k} * lda + i] : A[int64_t{i} * lda + k];
      const double* b_row = b.data() + static_cast<size_t>(k) * N;
      for (int j = 0; j < N; ++j) {
        sum[j] += a * b_row[j];
        mag[j] += std::abs(a) * std::abs(b_row[j]);
      }
    }
    for (int j = 0; j < N; ++j) {
      const double c = beta == 0 ? 0.0 : double{beta} * C[int64_t{i} * ldc + j];
      r.value[static_cast<size_t>(i) * N + j] = alpha * sum[j] + c;
      r.scale[static_cast<size_t>(i) * N + j] = std::abs(alpha) * mag[j] + std::abs(c);
    }
  }
  return r;
}

/// Largest |C - reference| / scale over the M x N result (infinity for a NaN or inf).
inline double worst_error(const std::vector<float>& C, int ldc, const Reference& r, int M, int N) {
  double worst = 0;
  for (int i = 0; i < M; ++i)
    for (int j = 0; j < N; ++j) {
      const double c = C[int64_t{i} * ldc + j];
      if (!std::isfinite(c)) return INFINITY;
      const size_t at = static_cast<size_t>(i) * N + j;
      worst = std::max(worst, std::abs(c - r.value[at]) / std::max(r.scale[at], 1e-30));
    }
  return worst;
}

}  // namespace gemm_test

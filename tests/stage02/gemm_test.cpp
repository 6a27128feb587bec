// Stage 02's three loop orders against a double-precision reference on odd sizes.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "02_im2col/gemm.h"
#include "common/rng.h"

namespace {

std::vector<float> random_values(size_t n, uint64_t seed) {
  std::vector<float> v(n);
  mnist::Rng rng(seed);
  for (float& x : v) x = rng.uniform(-1.0f, 1.0f);
  return v;
}

}  // namespace

TEST(Stage02Gemm, EveryLoopOrderMatchesDoubleReference) {
  using Gemm = void (*)(int, int, int, const float*, const float*, float*);
  const struct {
    const char* name;
    Gemm gemm;
  } orders[] = {{"ijk", stage02::gemm_ijk}, {"ikj", stage02::gemm_ikj}, {"jki", stage02::gemm_jki}};
  for (int M : {1, 7, 17, 63})
    for (int N : {1, 7, 17, 63})
      for (int K : {1, 9, 129}) {
        const auto A = random_values(size_t(M) * K, 1), B = random_values(size_t(K) * N, 2);
        for (const auto& order : orders) {
          std::vector<float> C(size_t(M) * N, NAN);  // overwritten, never read
          order.gemm(M, N, K, A.data(), B.data(), C.data());
          for (int i = 0; i < M; ++i)
            for (int j = 0; j < N; ++j) {
              double want = 0, scale = 0;
              for (int k = 0; k < K; ++k) {
                want += double(A[i * K + k]) * B[k * N + j];
                scale += std::abs(double(A[i * K + k]) * B[k * N + j]);
              }
              ASSERT_NEAR(C[i * N + j], want, 1e-5 * scale + 1e-30)
                  << order.name << " M=" << M << " N=" << N << " K=" << K << " at " << i << ","
                  << j;
            }
        }
      }
}

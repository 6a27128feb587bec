// wgmma_tf32.cuh against the CPU: one warpgroup multiplies a 64 x 16 A (from registers, in
// the fragment layout the header documents) by a 16 x N B (from shared memory, in the
// CoreMatrices layout, through the descriptor, two steps of k), and every element of the
// product must equal the CPU's. The inputs are small integers, so every product and sum
// is exact in TF32 and float32 alike: any difference is a wrong layout, not rounding.
#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "05_cuda/cuda_check.h"
#include "05_cuda/gpu.h"
#include "05_cuda/mma_tf32.cuh"
#include "05_cuda/wgmma_tf32.cuh"

// (nvcc compiles this file as C++17, so it does without gpu_test_support.h and
// device_buffer.h, which use C++20's std::span.)
#define REQUIRE_GPU()                                                                   \
  do {                                                                                  \
    std::string why;                                                                    \
    if (!::stage05::gpu_available(&why)) GTEST_SKIP() << "no CUDA GPU (" << why << ")"; \
  } while (0)

namespace stage05::tc {
namespace {

constexpr int kM = 64, kK = 16;

// d = a b for a [64][16] and b [16][N], both row-major in global memory; d [64][N].
template <int N>
__global__ void warpgroup_product(const float* a, const float* b, float* d) {
  __shared__ __align__(16) float tile[kK * N];
  for (int i = threadIdx.x; i < kK * N; i += blockDim.x)
    tile[CoreMatrices<N>::at(i / N, i % N)] = b[i];
#ifdef STAGE05_WGMMA
  fence_shared_for_wgmma();
#endif
  __syncthreads();
  const int warp = threadIdx.x / 32, g = threadIdx.x % 32 / 4, t = threadIdx.x % 4;
  const int row = 16 * warp + g;
  float acc[N / 2] = {};
  const uint64_t desc = wgmma_descriptor<N>(tile);
  for (int step = 0; step < kK / 8; ++step) {
    const float* k0 = a + step * 8;
    const uint32_t frag[4] = {bits_at(k0 + row * kK + t), bits_at(k0 + (row + 8) * kK + t),
                              bits_at(k0 + row * kK + t + 4), bits_at(k0 + (row + 8) * kK + t + 4)};
#ifdef STAGE05_WGMMA
    wgmma_fence();
#endif
    if constexpr (N == 64) {
      wgmma_tf32_n64(acc, frag, desc + step * wgmma_step<N>());
    } else {
      wgmma_tf32_n32(acc, frag, desc + step * wgmma_step<N>());
    }
#ifdef STAGE05_WGMMA
    wgmma_commit();
#endif
  }
#ifdef STAGE05_WGMMA
  wgmma_wait<0>();
#endif
  wgmma_settle(acc);
  for (int j = 0; j < N / 8; ++j)
    for (int i = 0; i < 4; ++i) d[(row + 8 * (i / 2)) * N + 8 * j + 2 * t + i % 2] = acc[4 * j + i];
}

// Small integers, -4 .. 4, from a fixed pattern.
std::vector<float> small_integers(int count, int seed) {
  std::vector<float> v(count);
  for (int i = 0; i < count; ++i) v[i] = float((i * 7 + seed * 13 + i / 5) % 9 - 4);
  return v;
}

template <int N>
void expect_the_cpus_product() {
  const std::vector<float> a = small_integers(kM * kK, 1), b = small_integers(kK * N, 2);
  float *da = nullptr, *db = nullptr, *dd = nullptr;
  CUDA_CHECK(cudaMalloc(&da, a.size() * sizeof(float)));
  CUDA_CHECK(cudaMalloc(&db, b.size() * sizeof(float)));
  CUDA_CHECK(cudaMalloc(&dd, kM * N * sizeof(float)));
  CUDA_CHECK(cudaMemcpy(da, a.data(), a.size() * sizeof(float), cudaMemcpyHostToDevice));
  CUDA_CHECK(cudaMemcpy(db, b.data(), b.size() * sizeof(float), cudaMemcpyHostToDevice));
  warpgroup_product<N><<<1, 128>>>(da, db, dd);
  CUDA_CHECK(cudaGetLastError());
  std::vector<float> d(kM * N);
  CUDA_CHECK(cudaMemcpy(d.data(), dd, d.size() * sizeof(float), cudaMemcpyDeviceToHost));
  CUDA_CHECK(cudaFree(da));
  CUDA_CHECK(cudaFree(db));
  CUDA_CHECK(cudaFree(dd));
  int wrong = 0;
  for (int m = 0; m < kM; ++m)
    for (int n = 0; n < N; ++n) {
      float want = 0;
      for (int k = 0; k < kK; ++k) want += a[m * kK + k] * b[k * N + n];
      if (d[m * N + n] != want && ++wrong <= 5)
        ADD_FAILURE() << "D[" << m << "][" << n << "] = " << d[m * N + n] << ", want " << want;
    }
  EXPECT_EQ(wrong, 0) << "of " << kM * N << " elements";
}

TEST(Wgmma, SixtyFourColumnsMatchTheCpu) {
  REQUIRE_GPU();
  if (!tc::gpu_runs_wgmma()) GTEST_SKIP() << "this GPU runs code built without wgmma (not sm_90a)";
  expect_the_cpus_product<64>();
}

TEST(Wgmma, ThirtyTwoColumnsMatchTheCpu) {
  REQUIRE_GPU();
  if (!tc::gpu_runs_wgmma()) GTEST_SKIP() << "this GPU runs code built without wgmma (not sm_90a)";
  expect_the_cpus_product<32>();
}

}  // namespace
}  // namespace stage05::tc

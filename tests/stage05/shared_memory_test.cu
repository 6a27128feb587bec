// allow_shared_memory (cuda_check.h): rungs 3 and 4 keep an image's whole work in one
// multiprocessor's shared memory, so on a GPU that offers less per block their kernels must
// stop with a message that names the kernel and both sizes, not the runtime's bare
// "invalid argument"; and where the GPU does offer it, a kernel granted the most it offers
// must launch (which it cannot without the attribute set).
#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "05_cuda/cuda_check.h"
#include "05_cuda/gpu.h"

// (nvcc compiles this file as C++17, so it does without gpu_test_support.h and
// device_buffer.h, which use C++20's std::span.)
#define REQUIRE_GPU()                                                                   \
  do {                                                                                  \
    std::string why;                                                                    \
    if (!::stage05::gpu_available(&why)) GTEST_SKIP() << "no CUDA GPU (" << why << ")"; \
  } while (0)

namespace stage05 {
namespace {

// Writes to its last shared float and hands it back, so that all `bytes` are really used.
__global__ void touch_last_shared_float(float* out, int floats) {
  extern __shared__ float smem[];
  smem[floats - 1] = 1.0f;
  __syncthreads();
  *out = smem[floats - 1];
}

int opt_in_limit() {
  int device = 0, limit = 0;
  CUDA_CHECK(cudaGetDevice(&device));
  CUDA_CHECK(cudaDeviceGetAttribute(&limit, cudaDevAttrMaxSharedMemoryPerBlockOptin, device));
  return limit;
}

TEST(SharedMemory, MoreThanTheGpuOffersNamesTheKernelAndBothSizes) {
  REQUIRE_GPU();
  const int limit = opt_in_limit();
  try {
    allow_shared_memory(reinterpret_cast<const void*>(touch_last_shared_float), "the test kernel",
                        size_t(limit) + 4);
    FAIL() << "asking for " << limit + 4 << " bytes did not throw";
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("the test kernel"), std::string::npos) << what;
    EXPECT_NE(what.find(std::to_string(limit + 4)), std::string::npos) << what;
    EXPECT_NE(what.find("allows " + std::to_string(limit)), std::string::npos) << what;
  }
}

TEST(SharedMemory, AllTheGpuOffersLetsTheKernelLaunch) {
  REQUIRE_GPU();
  const int limit = opt_in_limit();
  allow_shared_memory(reinterpret_cast<const void*>(touch_last_shared_float), "the test kernel",
                      size_t(limit));
  float* out = nullptr;
  CUDA_CHECK(cudaMalloc(&out, sizeof(float)));
  touch_last_shared_float<<<1, 32, size_t(limit)>>>(out, limit / int(sizeof(float)));
  const cudaError_t launched = cudaGetLastError();
  float value = 0;
  if (launched == cudaSuccess)
    CUDA_CHECK(cudaMemcpy(&value, out, sizeof value, cudaMemcpyDeviceToHost));
  cudaFree(out);
  ASSERT_EQ(launched, cudaSuccess) << cudaGetErrorString(launched);
  EXPECT_EQ(value, 1.0f);
}

}  // namespace
}  // namespace stage05

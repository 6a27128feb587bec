#include "05_cuda/gpu.h"

#include <cuda_runtime.h>

#include <cstdio>

#include "05_cuda/cuda_check.h"

namespace stage05 {

bool gpu_available(std::string* why) {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    cudaGetLastError();  // clear it, so that it does not surface at the next launch check
    if (why) *why = std::string("cudaGetDeviceCount: ") + cudaGetErrorString(status);
    return false;
  }
  if (count == 0) {
    if (why) *why = "cudaGetDeviceCount found no CUDA device";
    return false;
  }
  return true;
}

void create_context() {
  CUDA_CHECK(cudaFree(nullptr));  // the usual idiom: the first runtime call that needs one
}

std::string describe_gpu() {
  int device = 0;
  CUDA_CHECK(cudaGetDevice(&device));
  cudaDeviceProp p{};
  CUDA_CHECK(cudaGetDeviceProperties(&p, device));
  int driver = 0, runtime = 0;
  CUDA_CHECK(cudaDriverGetVersion(&driver));
  CUDA_CHECK(cudaRuntimeGetVersion(&runtime));
  int clock_khz = 0;
  CUDA_CHECK(cudaDeviceGetAttribute(&clock_khz, cudaDevAttrClockRate, device));
  char line[512];
  std::snprintf(line, sizeof line,
                "%s (sm_%d%d, %d SMs at up to %.2f GHz, %.1f GiB, %.0f MB L2; driver %d.%d, "
                "runtime %d.%d)",
                p.name, p.major, p.minor, p.multiProcessorCount, clock_khz / 1e6,
                p.totalGlobalMem / double(1 << 30), p.l2CacheSize / 1e6, driver / 1000,
                driver % 1000 / 10, runtime / 1000, runtime % 1000 / 10);
  return line;
}

}  // namespace stage05

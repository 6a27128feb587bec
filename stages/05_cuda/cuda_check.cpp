#include "05_cuda/cuda_check.h"

#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>

namespace stage05 {

void check_cuda(cudaError_t status, const char* call, const char* file, int line) {
  if (status == cudaSuccess) return;
  throw std::runtime_error(std::string(call) + " failed: " + cudaGetErrorString(status) + " (" +
                           file + ":" + std::to_string(line) + ")");
}

void check_launch(const char* kernel, cudaStream_t stream, const char* file, int line) {
  const std::string what = std::string("launch of ") + kernel;
  check_cuda(cudaGetLastError(), what.c_str(), file, line);
  static const bool sync_every_launch = [] {
    const char* v = std::getenv("MNIST_CUDA_SYNC");
    return v != nullptr && std::strcmp(v, "0") != 0;
  }();
  if (!sync_every_launch) return;
  // Waiting is not allowed while a stream is being captured into a graph.
  cudaStreamCaptureStatus capture = cudaStreamCaptureStatusNone;
  check_cuda(cudaStreamIsCapturing(stream, &capture), "cudaStreamIsCapturing", file, line);
  if (capture != cudaStreamCaptureStatusNone) return;
  const std::string ran = std::string("running ") + kernel;
  check_cuda(cudaStreamSynchronize(stream), ran.c_str(), file, line);
}

void allow_shared_memory(const void* kernel, const char* name, size_t bytes) {
  int device = 0, limit = 0;
  CUDA_CHECK(cudaGetDevice(&device));
  CUDA_CHECK(cudaDeviceGetAttribute(&limit, cudaDevAttrMaxSharedMemoryPerBlockOptin, device));
  if (bytes > size_t(limit)) {
    cudaDeviceProp p{};
    CUDA_CHECK(cudaGetDeviceProperties(&p, device));
    throw std::runtime_error(std::string(name) + " needs " + std::to_string(bytes) +
                             " bytes of shared memory per block; this GPU (" + p.name +
                             ") allows " + std::to_string(limit));
  }
  CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                  static_cast<int>(bytes)));
}

}  // namespace stage05

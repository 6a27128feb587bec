// The stoplight network on the GPU. The kernels are small on purpose: four patterns and
// sixteen weights keep a handful of threads busy for well under a microsecond, so what an
// iteration costs is the launches and the wait for the result, not the arithmetic.
#include "00_stoplight/gpu_stoplight.h"

#include <cuda_runtime.h>

#include <cstdio>
#include <stdexcept>
#include <string>

namespace stage00 {

/// Everything the GPU works on, in one allocation.
struct GpuStoplight::Buffers {
  Weights weights;      ///< the network's weights, updated in place by the update kernel
  Weights grad;         ///< d(error)/d(weights), written by the backward kernel
  Forward activations;  ///< written by the forward kernel, read by the backward kernel
};

namespace {

using Buffers = GpuStoplight::Buffers;

// Throws if a CUDA runtime call failed, naming the call and where it was made.
void check(cudaError_t status, const char* call, const char* file, int line) {
  if (status != cudaSuccess) {
    throw std::runtime_error(std::string(call) + " failed: " + cudaGetErrorString(status) + " (" +
                             file + ":" + std::to_string(line) + ")");
  }
}
#define CUDA_CHECK(call) check((call), #call, __FILE__, __LINE__)
// A launch returns nothing: a bad launch shows up in cudaGetLastError() right after it, while
// a fault inside the kernel shows up in the next call that waits for it (the cudaMemcpy).
#define CHECK_LAUNCH(kernel) check(cudaGetLastError(), "launch of " #kernel, __FILE__, __LINE__)

constexpr int kWeights = kHidden * kInputs + kHidden;  // 12 hidden + 4 output = 16

// The patterns live in constant memory: read-only, cached, the same for every thread.
__constant__ float c_lights[kPatterns][kInputs];
__constant__ float c_walk[kPatterns];

// Weight number t (0..15) of w: the hidden weights row by row, then the output weights.
__device__ float& weight_at(Weights& w, int t) {
  return t < kHidden * kInputs ? w.hidden[t / kInputs][t % kInputs]
                               : w.output[t - kHidden * kInputs];
}

// Forward pass, one thread per pattern; then thread 0 adds up the squared errors in pattern
// order, the order the CPU uses, so both round the same way.
__global__ void forward_kernel(Buffers* b) {
  const int n = threadIdx.x;
  Forward& f = b->activations;
  if (n < kPatterns) {
    float y = 0;
    for (int j = 0; j < kHidden; ++j) {
      float z = 0;
      for (int i = 0; i < kInputs; ++i) z += b->weights.hidden[j][i] * c_lights[n][i];
      f.pre[n][j] = z;
      f.hidden[n][j] = z > 0 ? z : 0;
      y += b->weights.output[j] * f.hidden[n][j];
    }
    f.output[n] = y;
  }
  __syncthreads();  // every thread's output is written before thread 0 reads them
  if (n == 0) {
    float squared = 0;
    for (int p = 0; p < kPatterns; ++p) {
      const float diff = f.output[p] - c_walk[p];
      squared += diff * diff;
    }
    f.error = squared / kPatterns;
  }
}

// Backward pass, one thread per weight: each sums its gradient over the four patterns
// (the same chain rule as gradients() in stoplight.cpp).
__global__ void backward_kernel(Buffers* b) {
  const int t = threadIdx.x;
  if (t >= kWeights) return;
  const Forward& f = b->activations;
  float g = 0;
  for (int n = 0; n < kPatterns; ++n) {
    const float dy = 2 * (f.output[n] - c_walk[n]) / kPatterns;
    if (t < kHidden * kInputs) {  // hidden[j][i]: through the output weight and the ReLU
      const int j = t / kInputs, i = t % kInputs;
      const float dz = f.pre[n][j] > 0 ? dy * b->weights.output[j] : 0;
      g += dz * c_lights[n][i];
    } else {  // output[j]: the hidden activation it multiplies
      g += dy * f.hidden[n][t - kHidden * kInputs];
    }
  }
  weight_at(b->grad, t) = g;
}

// Update, one thread per weight: w -= lr * gradient.
__global__ void update_kernel(Buffers* b, float lr) {
  const int t = threadIdx.x;
  if (t < kWeights) weight_at(b->weights, t) -= lr * weight_at(b->grad, t);
}

}  // namespace

std::optional<std::string> cuda_unavailable_reason() {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    return std::string("cudaGetDeviceCount failed: ") + cudaGetErrorString(status);
  }
  if (count == 0) return std::string("cudaGetDeviceCount found no CUDA device");
  return std::nullopt;
}

std::string cuda_device_name() {
  cudaDeviceProp prop{};
  CUDA_CHECK(cudaGetDeviceProperties(&prop, 0));
  return prop.name;
}

GpuStoplight::GpuStoplight(const Weights& initial, const Targets& walk) {
  CUDA_CHECK(cudaMemcpyToSymbol(c_lights, kLights, sizeof kLights));
  CUDA_CHECK(cudaMemcpyToSymbol(c_walk, walk.data(), sizeof(float) * kPatterns));
  CUDA_CHECK(cudaMalloc(&device_, sizeof(Buffers)));
  try {
    CUDA_CHECK(cudaMemset(device_, 0, sizeof(Buffers)));
    CUDA_CHECK(cudaMemcpy(&device_->weights, &initial, sizeof initial, cudaMemcpyHostToDevice));
  } catch (...) {
    // The constructor failed, so the destructor will not run: free here. The first error
    // is the one worth reporting, so this call's own status is deliberately dropped.
    (void)cudaFree(device_);
    throw;
  }
}

GpuStoplight::~GpuStoplight() {
  // A destructor must not throw; say so if freeing failed (it means an earlier fault).
  if (const cudaError_t status = cudaFree(device_); status != cudaSuccess) {
    std::fprintf(stderr, "warning: cudaFree failed: %s\n", cudaGetErrorString(status));
  }
}

float GpuStoplight::step(float lr) {
  // One block each: four threads (one per pattern), then sixteen (one per weight). The
  // launches queue up on the default stream and run in order without the CPU waiting.
  forward_kernel<<<1, kPatterns>>>(device_);
  CHECK_LAUNCH(forward_kernel);
  backward_kernel<<<1, kWeights>>>(device_);
  CHECK_LAUNCH(backward_kernel);
  update_kernel<<<1, kWeights>>>(device_, lr);
  CHECK_LAUNCH(update_kernel);
  // The stopping rule needs the error on the CPU: this copy waits for all three kernels.
  float error = 0;
  CUDA_CHECK(cudaMemcpy(&error, &device_->activations.error, sizeof error, cudaMemcpyDeviceToHost));
  return error;
}

Weights GpuStoplight::weights() const {
  Weights w{};
  CUDA_CHECK(cudaMemcpy(&w, &device_->weights, sizeof w, cudaMemcpyDeviceToHost));
  return w;
}

std::array<float, kPatterns> GpuStoplight::predict() {
  forward_kernel<<<1, kPatterns>>>(device_);
  CHECK_LAUNCH(forward_kernel);
  std::array<float, kPatterns> out{};
  CUDA_CHECK(cudaMemcpy(out.data(), device_->activations.output, sizeof(float) * kPatterns,
                        cudaMemcpyDeviceToHost));
  return out;
}

}  // namespace stage00

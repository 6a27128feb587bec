#include "05_cuda/bench_peaks.h"

#include <algorithm>
#include <vector>

#include "05_cuda/cuda_check.h"
#include "05_cuda/device_buffer.h"
#include "05_cuda/event_timer.h"

namespace stage05::bench {

namespace {

constexpr int kChains = 8;         // independent accumulators per thread: hide FMA latency
constexpr int kIterations = 4096;  // FMAs per chain

__global__ void fma_kernel(float* out, float a, float b) {
  float acc[kChains];
#pragma unroll
  for (int c = 0; c < kChains; ++c) acc[c] = threadIdx.x + c;
  for (int i = 0; i < kIterations; ++i)
#pragma unroll
    for (int c = 0; c < kChains; ++c) acc[c] = acc[c] * a + b;
  float sum = 0;
#pragma unroll
  for (int c = 0; c < kChains; ++c) sum += acc[c];
  out[blockIdx.x * blockDim.x + threadIdx.x] = sum;  // keeps the compiler from removing it
}

template <typename Body>
double median_seconds(int repeats, Body body) {
  EventTimer timer;
  std::vector<double> seconds;
  body();  // warm-up
  for (int r = 0; r < repeats; ++r) {
    timer.start(nullptr);
    body();
    timer.stop(nullptr);
    seconds.push_back(timer.seconds());
  }
  std::sort(seconds.begin(), seconds.end());
  return seconds[seconds.size() / 2];
}

}  // namespace

double measure_copy_bandwidth_gbs() {
  const size_t bytes = size_t{1} << 30;
  DeviceBuffer<char> from(bytes), to(bytes);
  CUDA_CHECK(cudaMemset(from.data(), 1, bytes));
  const double s = median_seconds(9, [&] {
    CUDA_CHECK(cudaMemcpyAsync(to.data(), from.data(), bytes, cudaMemcpyDeviceToDevice, nullptr));
  });
  return 2.0 * bytes / s / 1e9;
}

double measure_fp32_peak_gflops() {
  int device = 0, sms = 0;
  CUDA_CHECK(cudaGetDevice(&device));
  CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
  const int blocks = sms * 8, threads = 256;
  DeviceBuffer<float> out(size_t(blocks) * threads);
  const double s = median_seconds(9, [&] {
    fma_kernel<<<blocks, threads>>>(out.data(), 0.999f, 0.001f);
    CHECK_LAUNCH("fma_kernel", nullptr);
  });
  return 2.0 * kChains * kIterations * double(blocks) * threads / s / 1e9;
}

}  // namespace stage05::bench

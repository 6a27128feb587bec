/// \file
/// \brief The stoplight network on a CUDA GPU: the same step as stoplight.h, with the forward
/// pass, the backward pass and the update each running as a kernel.
///
/// This header is plain C++ (no CUDA types), so code built by the C++ compiler can use it.
#pragma once

#include <array>
#include <optional>
#include <string>

#include "00_stoplight/stoplight.h"

namespace stage00 {

/// Why no CUDA device can be used (cudaGetDeviceCount failed or found none), or nullopt
/// when there is one.
std::optional<std::string> cuda_unavailable_reason();

/// The name of CUDA device 0, e.g. "NVIDIA H100 80GB HBM3".
std::string cuda_device_name();

/// The network's weights, gradients and activations, living in GPU memory.
/// Every CUDA call is checked: a failure throws std::runtime_error naming the call.
class GpuStoplight {
 public:
  /// Copies the patterns, the task's targets and the initial weights to the GPU.
  GpuStoplight(const Weights& initial, const Targets& walk);
  ~GpuStoplight();
  GpuStoplight(const GpuStoplight&) = delete;
  GpuStoplight& operator=(const GpuStoplight&) = delete;

  /// One gradient-descent step: three kernel launches (forward, backward, update), then a
  /// copy of the error back to the host, which waits for all three to finish. Returns the
  /// error of this step's forward pass, as train_step() does.
  float step(float lr = kLearningRate);

  /// The current weights, copied back from the GPU.
  Weights weights() const;

  /// The predictions under the current weights, computed by the forward kernel.
  std::array<float, kPatterns> predict();

  struct Buffers;  ///< what lives in GPU memory (defined in gpu_stoplight.cu)

 private:
  Buffers* device_ = nullptr;  // one allocation in GPU memory
};

}  // namespace stage00

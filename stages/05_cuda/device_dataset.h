/// \file
/// \brief A whole MNIST split uploaded to the GPU once, so that batches never cross PCIe.
#pragma once

#include "05_cuda/device_buffer.h"
#include "common/mnist.h"

namespace stage05 {

/// The images and labels of a data set in GPU memory (60,000 images are 188 MB as floats:
/// small next to the GPU's memory, and one copy instead of one per batch per epoch).
struct DeviceDataset {
  /// Uploads set (waits for the copy).
  explicit DeviceDataset(const mnist::Dataset& set);

  DeviceBuffer<float> images;  ///< [size,1,28,28]
  DeviceBuffer<int> labels;    ///< [size]
  int size;                    ///< number of examples
};

}  // namespace stage05

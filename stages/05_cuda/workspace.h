/// \file
/// \brief Workspace: every GPU buffer one training step touches, allocated once.
///
/// Allocating inside the step would cost a cudaMalloc per buffer per step (slow, and it
/// synchronises the device) and could not be captured in a CUDA graph. So everything a
/// step needs is allocated up front for the largest batch it will see, and the kernels
/// only ever write into these buffers.
#pragma once

#include <cstdint>

#include "05_cuda/device_buffer.h"

namespace stage05 {

/// The step counter and the loss total, kept on the GPU so that a captured graph can be
/// replayed without the host telling it which step it is at. Read by the dropout mask, the
/// shuffle and Adam (t = step + 1). Rungs 1 and 2 advance it after every step; rung 3's
/// graph holds a whole epoch, whose steps read it with their offset in the epoch and which
/// advances it once, at its end.
struct StepClock {
  int64_t step;     ///< training steps done so far
  double loss_sum;  ///< sum of every step's mean loss so far
};

/// Every buffer of the step, for batches of up to `capacity` images.
///
/// Rungs 1 and 2 keep every intermediate tensor, as a framework does; rung 3's fused
/// kernels skip the conv outputs and keep only pooled values and which of the four won
/// each pooling window (one byte each). Buffers are filled with NaN (all bits set) when
/// created, so an output a kernel forgets to write cannot pass a test by being zero.
struct Workspace {
  /// Allocates every buffer for batches of up to capacity images.
  explicit Workspace(int capacity);

  int capacity;  ///< the largest batch

  // Parameters and optimiser state, flat (param_layout.h).
  DeviceBuffer<float> params;     ///< the weights being trained
  DeviceBuffer<float> grads;      ///< d(mean loss)/d(params) of the last batch
  DeviceBuffer<float> adam_m;     ///< Adam's running mean of the gradient
  DeviceBuffer<float> adam_v;     ///< Adam's running mean of the squared gradient
  DeviceBuffer<StepClock> clock;  ///< the step counter, kept on the GPU so graph replays advance it

  // The batch.
  DeviceBuffer<float> images;  ///< [B,1,28,28]
  DeviceBuffer<int> labels;    ///< [B]
  DeviceBuffer<float> mask;    ///< [B,1600] inverted-dropout mask, 0 or 2

  // Forward activations.
  DeviceBuffer<float> conv1_out;  ///< [B,32,26,26] after ReLU (rungs 1, 2)
  DeviceBuffer<float> pool1_out;  ///< [B,32,13,13]
  DeviceBuffer<float> conv2_out;  ///< [B,64,11,11] after ReLU (rungs 1, 2)
  DeviceBuffer<float> pool2_out;  ///< [B,1600] (flattened)
  DeviceBuffer<float> features;   ///< [B,1600] after dropout (rungs 1, 2)
  DeviceBuffer<float> logits;     ///< [B,10]
  DeviceBuffer<float> loss;       ///< [1] mean loss of the batch
  DeviceBuffer<float> row_loss;   ///< [B] each image's loss (rung 3)

  // Gradients of the activations.
  DeviceBuffer<float> dlogits;    ///< [B,10]
  DeviceBuffer<float> dfeatures;  ///< [B,1600] (rungs 1, 2)
  DeviceBuffer<float> dpool2;     ///< [B,1600]
  DeviceBuffer<float> dconv2;     ///< [B,64,11,11] (rungs 1, 2)
  DeviceBuffer<float> dpool1;     ///< [B,32,13,13] (rungs 1, 2)
  DeviceBuffer<float> dconv1;     ///< [B,32,26,26] (rungs 1, 2)

  // Rung 3.
  DeviceBuffer<uint8_t> pool1_arg;  ///< [B,32,13,13] window position (0..3) of each maximum
  DeviceBuffer<uint8_t> pool2_arg;  ///< [B,1600]
  DeviceBuffer<float> partials;     ///< [B, conv parameters]: per-image conv gradients

  // Rung 4.
  DeviceBuffer<float> tensor_weights;  ///< conv2's weights laid out for the tensor cores

  /// Sets the clock and Adam's moments to zero (a fresh optimiser), waiting for it.
  void reset_optimiser();
};

}  // namespace stage05

/// \file
/// \brief Rung 3: the training step in four fused kernels, on a dataset that lives on the GPU.
///
/// Fusing means one kernel does what several did, so the intermediate never makes the
/// round trip through global memory and there is one launch instead of several:
///   - prepare_batch: the epoch's shuffle, the batch gather and the dropout mask (in
///     training, gather_conv1_relu_pool does it in conv1's kernel);
///   - conv1_relu_pool / conv2_relu_pool_dense: convolution + bias + ReLU + 2x2 max pooling,
///     one image per block, the image in shared memory. The 26x26 and 11x11 conv outputs are
///     never stored: each thread computes the four outputs of a pooling window for several
///     filters and keeps the largest, plus one byte saying which position won. conv2's block
///     then runs the dense layer, softmax, loss, d(logits), and the gradient back through
///     dense, dropout and ReLU on the pool2 it holds;
///   - conv_backward: everything else backward for one image per block: conv2's weight and
///     input gradients, pool1 and ReLU, conv1's weight gradient, in shared memory;
///   - finish_gradients (+ Adam): adds up the per-image gradients and the loss, and updates
///     all 34,826 parameters in the same pass.
/// Pointers are device pointers; launches are queued on `stream` and checked.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "04_backprop/adam.h"
#include "05_cuda/workspace.h"

namespace stage05::fused {

/// Raises the shared-memory limit of the kernels that need more than the default 48 KB.
/// Call once before the first launch (and before capturing a graph).
void set_kernel_attributes();

/// Where a batch comes from: the whole training set on the GPU and its place in the epoch.
struct BatchSource {
  const float* set_images;  ///< [set_size,1,28,28]
  const int* set_labels;    ///< [set_size]
  int set_size;             ///< examples in the set
  int steps_per_epoch;      ///< the epoch (for the shuffle) is global step / steps_per_epoch
  int begin;                ///< first position of this batch in the epoch's order
  uint64_t seed;            ///< the run's seed: shuffle and dropout keys derive from it
  int step_offset;          ///< global step = clock->step + step_offset
  /// Which row of the whole batch this batch's row 0 is; 0 except for a data-parallel
  /// shard, whose dropout mask must be the one its rows get in the whole batch.
  int row_offset;
};

/// Gathers images and labels of positions begin..begin+n-1 of the epoch's shuffled order
/// into the batch buffers and, if `dropout`, draws the batch's mask (device_random.h).
void prepare_batch(const BatchSource& source, int n, const StepClock* clock, bool dropout,
                   float* images, int* labels, float* mask, cudaStream_t stream);

/// pooled [n,32,13,13] = maxpool(relu(conv1(images) + b)), and which of the window's four
/// positions (0..3, reading order, first on a tie) held the maximum.
void conv1_relu_pool(const float* images, const float* w, const float* b, float* pooled,
                     uint8_t* argmax, int n, cudaStream_t stream);

/// prepare_batch (with dropout) and conv1_relu_pool in one launch: each block draws its row
/// of the batch and convolves the image it gathered. Writes what the two launches write.
void gather_conv1_relu_pool(const BatchSource& source, int n, const StepClock* clock, float* images,
                            int* labels, float* mask, const float* w, const float* b, float* pooled,
                            uint8_t* argmax, cudaStream_t stream);

/// What the dense layer reads and writes for a batch of n images (device pointers). `labels`
/// null: logits only (inference); `mask` null: no dropout.
struct DenseHead {
  const float* mask;  ///< [n,1600] inverted-dropout mask (0 or 2), or null
  const float* w;     ///< [10,1600]
  const float* b;     ///< [10]
  const int* labels;  ///< [n], or null
  float* logits;      ///< [n,10]
  float* dlogits;     ///< [n,10] d(mean loss)/d(logits)
  float* dpool2;      ///< [n,1600] back through dense, dropout and ReLU
  float* row_loss;    ///< [n] each image's loss
  int n;              ///< images in the batch (the loss is their mean)
};

/// One block per image: pooled [n,1600] = flatten(maxpool(relu(conv2(pool1) + b))) and the
/// winning positions (row and column 10 of conv2's 11x11 output, which pooling drops, are
/// never computed), then the dense layer on them: logits = (pooled * mask) W^T + b. With
/// labels: row_loss = each image's cross-entropy, dlogits = (softmax - onehot) / n, and
/// dpool2 = d(loss)/d(pool2): back through dense, dropout and ReLU.
void conv2_relu_pool_dense(const float* pool1, const float* w, const float* b, float* pooled,
                           uint8_t* argmax, const DenseHead& head, cudaStream_t stream);

/// One block per image, one lane per conv1 channel: conv2's weight and bias gradients (a
/// warp per filter), the gradient of pool1 (a warp per pooling window, added up in shared
/// memory in a fixed order), pool1 + ReLU backward, and conv1's weight and bias gradients. Writes
/// the image's share of every conv gradient to partials[img] (param_layout.h order);
/// finish_gradients adds the images up.
void conv_backward(const float* images, const float* pool1, const uint8_t* pool1_argmax,
                   const uint8_t* pool2_argmax, const float* dpool2, const float* conv2_weight,
                   float* partials, int n, cudaStream_t stream);

/// What finish_gradients reads.
struct GradientSources {
  const float* partials;  ///< [n, conv parameters] from conv_backward
  const float* pool2;     ///< [n,1600]
  const float* mask;      ///< [n,1600] or null (no dropout)
  const float* dlogits;   ///< [n,10]
  const float* row_loss;  ///< [n]
  int n;                  ///< images in the batch
};

/// grads = the sum of the per-image conv gradients, and the dense layer's gradients;
/// *loss = the batch's mean loss.
void finish_gradients(const GradientSources& in, float* grads, float* loss, cudaStream_t stream);

/// The flat parameters begin..end-1 (param_layout.h), e.g. the dense layer's.
struct ParamRange {
  int begin;  ///< first parameter
  int end;    ///< one past the last
};

/// finish_gradients for the parameters in `range` only (and *loss if with_loss), with the
/// same sums in the same order: for a data-parallel step that reduces the gradients that
/// are ready while the rest of the backward pass still runs. The range is all parameters,
/// the conv layers' (0..layout::kConvTotal) or the dense layer's (layout::kConvTotal..
/// layout::kTotal, the only one that may take the loss); any other throws.
void finish_gradients(const GradientSources& in, ParamRange range, bool with_loss, float* grads,
                      float* loss, cudaStream_t stream);

/// finish_gradients and, in the same pass, Adam on every parameter with t = clock->step +
/// step_offset + 1; the batch's mean loss is also added to clock->loss_sum.
void finish_gradients_and_adam(const GradientSources& in, float* grads, float* loss, float* params,
                               float* m, float* v, StepClock* clock, int step_offset,
                               const stage04::AdamConfig& config, cudaStream_t stream);

/// Adam on all 34,826 parameters in one launch (t = clock->step + 1).
void adam(float* params, const float* grads, float* m, float* v, const StepClock* clock,
          const stage04::AdamConfig& config, cudaStream_t stream);

}  // namespace stage05::fused

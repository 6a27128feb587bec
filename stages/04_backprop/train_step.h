/// \file
/// \brief One training step's arithmetic: forward with dropout, loss, and every gradient.
#pragma once

#include <span>

#include "common/network.h"
#include "common/params.h"
#include "common/rng.h"
#include "common/tensor.h"

namespace stage04 {

/// Inverted-dropout mask [N,1600]: each element 0 (dropped, probability 0.5) or 2 (= 1/(1-p)).
///
/// Scaling the kept features by 1/(1-p) while training keeps their expected value, so at
/// inference dropout is simply left out. One draw of rng per element, in row-major order.
mnist::Tensor make_dropout_mask(int batch, mnist::Rng& rng);

/// make_dropout_mask's values into `mask`, whatever its length: one draw of rng per element,
/// in order.
void draw_dropout_mask(std::span<float> mask, mnist::Rng& rng);

/// The mask value one draw gives: 0 (dropped) or 1/(1-p). A feature is dropped when
/// rng.uniform() < p; uniform() is the top 24 bits of the draw times 2^-24, so the same test
/// on the integer bits draws the very same masks, and needs no branch (a branch on a coin
/// flip is mispredicted half the time: with one, the masks took about twice as long).
inline float dropout_mask_value(uint64_t draw) {
  constexpr float kKeptScale = 1.0f / (1.0f - mnist::net::kDropout);  // 2
  constexpr uint64_t kDropBelow = static_cast<uint64_t>(mnist::net::kDropout * (1 << 24));
  static_assert(kDropBelow == mnist::net::kDropout * (1 << 24),
                "kDropout must be a multiple of 2^-24");
  return kKeptScale * static_cast<float>((draw >> 40) >= kDropBelow);
}

/// What the backward pass needs from the forward pass of one batch.
struct ForwardCache {
  mnist::Tensor conv1_columns;  ///< [9, N*676]: the images unfolded, for conv1's weight gradient
  mnist::Tensor conv1_out;      ///< [32,N,26,26] channel-major, before ReLU: ReLU/pool backward
  mnist::Tensor pool1_out;      ///< [N,32,13,13]: conv2's input, for the ReLU/pool backward
  mnist::Tensor conv2_columns;  ///< [288, N*121]: pool1_out unfolded, for conv2's weight gradient
  mnist::Tensor conv2_out;      ///< [64,N,11,11] channel-major, before ReLU
  mnist::Tensor features;       ///< [N,1600] flattened pool2 output after dropout: dense's input
  mnist::Tensor logits;         ///< [N,10]
};

/// The training forward pass on stage 03's layers, keeping what backward_pass needs.
/// features are multiplied by mask [N,1600]; an empty mask means no dropout.
ForwardCache forward_pass(const mnist::Params& params, const mnist::Tensor& images,
                          const mnist::Tensor& mask);

/// The training forward pass in evaluation mode (no dropout): the logits [N,10] that
/// forward_pass computes with an empty mask. The shared agreement tests hold it to stage 01.
mnist::Tensor forward(const mnist::Params& params, const mnist::Tensor& images);

/// forward_pass into `cache`, reusing its large tensors when their shapes already fit: a
/// training loop that keeps one cache allocates them once, not at every step.
void forward_pass(const mnist::Params& params, const mnist::Tensor& images,
                  const mnist::Tensor& mask, ForwardCache& cache);

/// The mean softmax cross-entropy of cache.logits against labels, and its gradient with
/// respect to every parameter, layer by layer from the loss back to conv1 (the chain
/// rule). Overwrites grads, giving its tensors params' shapes if they differ. Returns the
/// mean loss.
float backward_pass(const mnist::Params& params, const mnist::Tensor& images,
                    const ForwardCache& cache, std::span<const int> labels,
                    const mnist::Tensor& mask, mnist::Params& grads);

/// One batch: forward (flattened features multiplied by `mask`; an empty Tensor means no
/// dropout), mean softmax cross-entropy over the batch, full backward. Overwrites `grads`
/// (same shapes as params) with d(mean loss)/d(param). Returns the mean loss; if `logits`
/// is not null it receives the logits [N,10].
float loss_and_gradients(const mnist::Params& params, const mnist::Tensor& images,
                         std::span<const int> labels, const mnist::Tensor& mask,
                         mnist::Params& grads, mnist::Tensor* logits = nullptr);

}  // namespace stage04

/// \file
/// \brief The pass over one slice of the batch of rungs 3 to 5: rung 2's, with conv1 and
/// the head fused (conv1_fused.h, dense_head.h), pool2's winners kept from its forward for
/// its backward (pool2_winners.h); conv2 on stage 03's GEMM through the
/// column matrix (rung 3) or as implicit GEMMs without it (rung 4, conv2_implicit.h), its
/// backward on a channels-last copy of its input (rung 5, conv2_channels_last.h).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "common/params.h"
#include "common/tensor.h"

namespace stage04 {

/// The activations of one slice that rungs 3 to 5 keep between their forward and backward
/// pass, reused from slice to slice.
struct FusedSliceCache {
  mnist::Tensor pool1;                ///< [n,32,13,13]: conv1 + ReLU + pool, conv2's input
  mnist::Tensor pool1_cl;             ///< [n,13,13,32]: the same, channels last (rung 5)
  std::vector<int32_t> pool1_winner;  ///< which position won each pool1 window
  mnist::Tensor conv2_columns;        ///< [288, n*121]: pool1 unfolded (rung 3 only)
  mnist::Tensor conv2_out;            ///< [64,n,11,11] channel-major, before ReLU
  mnist::Tensor pool2;                ///< [n,64,5,5] = the features [n,1600], masked in place
  std::vector<int32_t> pool2_winner;  ///< which position won each pool2 window
  mnist::Tensor logits;               ///< [n,10]
  mnist::Tensor dfeatures;            ///< [n,1600]
  mnist::Tensor dconv2;               ///< [64,n,11,11] channel-major, like conv2_out
  mnist::Tensor dpool1;               ///< [n,32,13,13] (rungs 3 and 4), [n,13,13,32] (rung 5)
};

/// The mean loss of one slice (images [n,1,28,28], n labels, mask [n,1600] or empty) and
/// its mean gradient into grads (overwritten): loss_and_gradients() with fused layers, conv2
/// as `rung` (3, 4 or 5) computes it.
float fused_slice_loss_and_gradients(const mnist::Params& params, const mnist::Tensor& images,
                                     std::span<const int> labels, const mnist::Tensor& mask,
                                     int rung, FusedSliceCache& cache, mnist::Params& grads);

}  // namespace stage04

/// \file
/// \brief Rungs 3 to 5's pool2: ReLU and 2x2 max pooling of conv2's channel-major output,
/// with each window's winner recorded in the forward pass, as conv1_fused.h records
/// pool1's, so that the backward pass only routes gradients and compares nothing.
///
/// Rung 1's backward (relu_maxpool2x2_backward_channel_major, layers_backward.h) reads the
/// four conv outputs of every window again, finds their maximum and which of them holds
/// it, and returns a fresh, zero-filled tensor. Here the forward, which has the four
/// values in registers anyway, keeps a small code a window; the backward reads the code
/// and the window's gradient (8 bytes instead of 16) and writes into a buffer the caller
/// keeps from slice to slice.
#pragma once

#include <cstdint>
#include <vector>

#include "common/tensor.h"

namespace stage04 {

/// relu(maxpool2x2(conv_out)) of a channel-major conv_out [C,N,H,W] into pooled NCHW
/// [N,C,H/2,W/2] (the values of stage03::relu_maxpool2x2_channel_major, bit for bit), and
/// winner, one code a pooled value in pooled's order: 0 top-left, 1 top-right, 2
/// bottom-left, 3 bottom-right (the first in that order on a tie, as rung 1), or 4 where
/// the maximum was not positive and ReLU lets no gradient through: conv1_fused.h's codes.
/// Both are reallocated only when their size changes.
void relu_maxpool2x2_forward_winners(const mnist::Tensor& conv_out, mnist::Tensor& pooled,
                                     std::vector<int32_t>& winner);

/// The backward of relu_maxpool2x2_forward_winners, from its winner codes and dout NCHW
/// [N,C,H/2,W/2]: overwrites dconv, channel-major conv_shape [C,N,H,W] (reallocated only
/// when its shape changes), with each window's gradient at its winner and 0 everywhere
/// else, the rows and columns the pooling dropped included. The same numbers as
/// relu_maxpool2x2_backward_channel_major.
void relu_maxpool2x2_backward_winners(const std::vector<int32_t>& winner, const mnist::Tensor& dout,
                                      const mnist::Shape& conv_shape, mnist::Tensor& dconv);

}  // namespace stage04

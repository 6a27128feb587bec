/// \file
/// \brief Rung 3's conv1: a direct convolution with bias, ReLU and 2x2 max pooling fused
/// in, and its backward likewise, without ever storing conv1's output.
///
/// conv1 has one input channel and a 3x3 kernel: K = 9 multiply-adds per output, too few
/// for a GEMM to reuse anything, and its output (32 x 26 x 26 floats, 86 KB per image) is
/// four times the size of what pooling keeps. Rungs 1 and 2 write that output, read it to
/// pool, read it again in the backward pass and write its gradient (as large, three
/// quarters zeros) for the weight gradient's GEMM to read. Here each 2x2 pooling window is
/// computed for all 32 channels at once, in registers, and only the pooled value and which
/// of the four positions won are stored: 1/4 of the floats and one small integer per window.
#pragma once

#include <cstdint>
#include <vector>

#include "common/tensor.h"

namespace stage04 {

/// relu(maxpool2x2(conv1(images))) for a batch: images [N,1,28,28], weight [32,1,3,3],
/// bias [32]; pooled [N,32,13,13] (NCHW, conv2's input) and winner, N*13*13*32 codes
/// (window-major, channel last): which position of its window held the maximum (0
/// top-left, 1 top-right, 2 bottom-left, 3 bottom-right; the first in that order on a tie,
/// as rung 1), or 4 where that maximum was not positive and ReLU lets no gradient through.
/// A byte would hold a code, but the codes are as wide as the floats beside them: the loops
/// over the 32 channels read or write both, and with bytes among the floats the compiler
/// vectorised them 8 floats at a time and spilled registers; with 32-bit codes it uses whole
/// 16-float vectors, and the backward pass takes about 0.6 of the time (the forward about
/// 0.8) for four times the bytes of codes, which stay in the core's L2.
/// Both are reallocated only when their size changes. With `pooled_channels_last`, the same
/// values are also written there channels-last, [N,13,13,32] (rung 5's conv2 backward reads
/// them so): the order they are computed in, so that copy costs one store per value.
void conv1_relu_pool_forward(const mnist::Tensor& images, const mnist::Tensor& weight,
                             const mnist::Tensor& bias, mnist::Tensor& pooled,
                             std::vector<int32_t>& winner,
                             mnist::Tensor* pooled_channels_last = nullptr);

/// The backward of conv1_relu_pool_forward: from dpooled [N,32,13,13] and the forward's
/// winner, overwrites dweight [32,1,3,3] and dbias [32]. A window's gradient goes to its
/// winning position only, and only when the pooled value was positive (ReLU's slope at 0
/// taken as 0, as rung 1). With `channels_last`, dpooled is [N,13,13,32] instead: the
/// order the loop reads it in, so no transpose is needed first.
void conv1_relu_pool_backward(const mnist::Tensor& images, const std::vector<int32_t>& winner,
                              const mnist::Tensor& dpooled, mnist::Tensor& dweight,
                              mnist::Tensor& dbias, bool channels_last = false);

}  // namespace stage04

/// \file
/// \brief Stage 03's layers: the whole batch's convolution as ONE GEMM through sgemm.
///
/// Stage 02 multiplied one image at a time. Here the patches of all N images sit side by
/// side in one wide matrix [C*K*K, N*OH*OW], so each layer is one large sgemm that the
/// threads share. Its natural output is channel-major, [O, N, OH, OW] ("CNHW"); the fused
/// ReLU + pooling step reads that layout and writes ordinary NCHW.
#pragma once

#include "common/tensor.h"

namespace stage03 {

using mnist::Tensor;

/// Patches of a whole batch: input [N,C,H,W] -> columns [C*K*K, N*OH*OW] (valid, stride 1).
/// Column n*OH*OW + y*OW + x holds image n's patch at (y, x); row (c*K + ky)*K + kx as in
/// stage02::im2col, whose per-image unfolding this reuses.
Tensor im2col_batch(const Tensor& input, int kernel);

/// im2col_batch into `columns`, which is reallocated only when its shape is not already
/// the right one: a caller that keeps it between batches allocates it once.
void im2col_batch(const Tensor& input, int kernel, Tensor& columns);

/// Convolution (valid, stride 1) + bias in channel-major layout: out [O, N, OH, OW] =
/// weight [O, C*K*K] x im2col_batch(input) [C*K*K, N*OH*OW], plus bias[o] on row o.
Tensor conv2d_channel_major(const Tensor& input, const Tensor& weight, const Tensor& bias);

/// conv2d_channel_major into `out`, unfolding into `columns`; each is reallocated only when
/// its shape is not already the right one (forward() keeps them between batches).
void conv2d_channel_major(const Tensor& input, const Tensor& weight, const Tensor& bias,
                          Tensor& columns, Tensor& out);

/// Convolution (valid, stride 1) + bias, NCHW in and out, like stage01::conv2d:
/// conv2d_channel_major followed by a transpose of the first two dimensions.
Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias);

/// ReLU then 2x2 max pooling (stride 2, odd edge dropped) of a channel-major [C,N,H,W]
/// tensor, written as NCHW [N,C,H/2,W/2]: max(relu(a), relu(b)) = relu(max(a, b)), so
/// one pass over the conv output does both, and the layout change comes for free.
Tensor relu_maxpool2x2_channel_major(const Tensor& cnhw);

/// relu_maxpool2x2_channel_major into `out`, reallocated only when its shape is not already
/// the right one.
void relu_maxpool2x2_channel_major(const Tensor& cnhw, Tensor& out);

/// Dense layer out[n,j] = bias[j] + sum_i in[n,i] * weight[j,i] for input [N,I],
/// weight [J,I] (PyTorch layout), bias [J]: one sgemm with B transposed, no copy.
Tensor dense(const Tensor& input, const Tensor& weight, const Tensor& bias);

}  // namespace stage03

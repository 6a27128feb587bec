/// \file
/// \brief Stage 01's layers, written straight from their definitions as plain loops.
///
/// This is the reference: no cleverness, one loop per index in the formula, so anyone can
/// check each line against the math. Every later stage is tested against these.
#pragma once

#include "common/tensor.h"

namespace stage01 {

using mnist::Tensor;

/// 2-D convolution, valid padding, stride 1 (strictly: cross-correlation, as in every framework).
///
/// out[n,o,y,x] = bias[o] + sum over c, ky, kx of in[n,c,y+ky,x+kx] * weight[o,c,ky,kx]
/// for input [N,C,H,W], weight [O,C,K,K], bias [O]; out is [N,O,H-K+1,W-K+1].
Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias);

/// max(0, x) for every element, in place; returns its argument.
Tensor relu(Tensor x);

/// 2x2 max pooling with stride 2: out[n,c,y,x] = max of in[n,c,2y..2y+1,2x..2x+1].
/// An odd last row or column is dropped (floor), as Keras and PyTorch do.
Tensor maxpool2x2(const Tensor& input);

/// [N,C,H,W] -> [N,C*H*W], in (C,H,W) order: the memory does not move, only the shape.
Tensor flatten(Tensor x);

/// Throws std::invalid_argument, naming both shapes, unless input is [N,I], weight [J,I]
/// and bias [J]: the check every stage's dense layer makes before it computes.
void check_dense_shapes(const Tensor& input, const Tensor& weight, const Tensor& bias);

/// Fully connected layer: out[n,j] = bias[j] + sum over i of in[n,i] * weight[j,i]
/// for input [N,I], weight [J,I] (PyTorch's layout), bias [J]; out is [N,J].
Tensor dense(const Tensor& input, const Tensor& weight, const Tensor& bias);

/// Softmax of each row of logits [N,K]: exp(z - max z) / sum exp(z - max z).
/// Subtracting the row's maximum changes nothing mathematically and keeps exp() from
/// overflowing for large logits.
Tensor softmax(const Tensor& logits);

}  // namespace stage01

/// \file
/// \brief Stage 02's layers: convolution and dense as a matrix product (GEMM).
///
/// ReLU, pooling and flatten are stage 01's (they were never the slow part); only the two
/// layers that hold 99.9% of the arithmetic change.
#pragma once

#include "common/tensor.h"

namespace stage02 {

using mnist::Tensor;

/// 2-D convolution (valid, stride 1) as im2col + GEMM, one image at a time.
///
/// For input [N,C,H,W], weight [O,C,K,K], bias [O]: for each image, unfold it into
/// columns [C*K*K, OH*OW], multiply weight (seen as [O, C*K*K]) by it into out[n] seen as
/// [O, OH*OW], then add bias[o] to row o. Same result as stage01::conv2d.
Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias);

/// Dense layer out[n,j] = bias[j] + sum_i in[n,i] * weight[j,i] as one GEMM:
/// input [N,I] times weight^T [I,J] (the [J,I] PyTorch weight, transposed once).
Tensor dense(const Tensor& input, const Tensor& weight, const Tensor& bias);

}  // namespace stage02

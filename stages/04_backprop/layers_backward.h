/// \file
/// \brief The backward pass of every layer: given d(loss)/d(output), the gradients of the
/// layer's input and parameters.
///
/// Each function is the chain rule for one forward layer of stage 03, which it mirrors:
/// stage 03 keeps convolution outputs channel-major ([C,N,H,W], the natural output of one
/// batch-wide GEMM) and fuses ReLU with pooling, so the backward pass does the same.
/// `dX` is short for d(loss)/d(X) and always has X's shape.
#pragma once

#include <span>

#include "common/tensor.h"

namespace stage04 {

using mnist::Tensor;

/// Mean softmax cross-entropy of logits [N,K] against labels (N of them, each in 0..K-1).
///
/// loss = (1/N) * sum over n of (logsumexp(z_n) - z_n[label_n]), computed with the row's
/// maximum subtracted so exp() cannot overflow. Writes dlogits [N,K] = (softmax(z) - onehot) / N,
/// the gradient of that mean: softmax and cross-entropy fused, which is both simpler and
/// more accurate than differentiating them one after the other. Returns the mean loss.
float softmax_cross_entropy(const Tensor& logits, std::span<const int> labels, Tensor& dlogits);

/// Backward of stage03::dense (out = in * W^T + b; in [N,I], W [J,I], b [J]): two GEMMs.
///
/// dW [J,I] = dout^T * in; db [J] = sum over the batch of dout; din [N,I] = dout * W.
/// `dweight` and `dbias` are overwritten; `dinput` is skipped when null.
void dense_backward(const Tensor& input, const Tensor& weight, const Tensor& dout, Tensor& dweight,
                    Tensor& dbias, Tensor* dinput);

/// Multiplies x by mask element by element, in place: inverted dropout (mask values 0 or
/// 1/(1-p)). The forward and the backward are the same product, since d(x*m)/dx = m.
void apply_mask(Tensor& x, const Tensor& mask);

/// Backward of stage03::relu_maxpool2x2_channel_major (ReLU, then 2x2 max pooling).
///
/// `conv_out` is the pooling input, channel-major [C,N,H,W] and before ReLU; dout is
/// NCHW [N,C,H/2,W/2]. Pooling passes each output's gradient to the position of its
/// window's maximum (the first in reading order on a tie) and 0 to the other three; ReLU
/// passes it on only where that maximum was positive (at exactly 0 the slope is taken as
/// 0). Rows and columns the pooling dropped get 0. Returns dconv_out, channel-major
/// [C,N,H,W]: the layout the convolution's backward GEMMs want.
Tensor relu_maxpool2x2_backward_channel_major(const Tensor& conv_out, const Tensor& dout);

/// Backward of stage03::conv2d_channel_major (valid, stride 1; input [N,C,H,W] NCHW,
/// weight [O,C,K,K], dout channel-major [O,N,OH,OW]), as GEMMs on stage 03's sgemm.
///
/// With columns = stage02::im2col of the images [C*K*K, OH*OW per image] and dout seen
/// as [O, N*OH*OW]:
///   dW [O, C*K*K]  = dout * columns^T   (the forward's GEMM with the roles swapped)
///   db [O]         = row sums of dout
///   dcolumns       = W^T * dout, then din = col2im(dcolumns), image by image.
/// The GEMMs run on a fixed-size chunk of images at a time. `dweight` and `dbias` are
/// overwritten; `dinput` (NCHW, like input) is skipped when null: conv1 needs no gradient
/// for the images. `input_columns`, when given, is the forward pass's
/// stage03::im2col_batch(input) [C*K*K, N*OH*OW], used instead of unfolding input again.
void conv2d_backward_channel_major(const Tensor& input, const Tensor& weight, const Tensor& dout,
                                   Tensor& dweight, Tensor& dbias, Tensor* dinput,
                                   const Tensor* input_columns = nullptr);

}  // namespace stage04

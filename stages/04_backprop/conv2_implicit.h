/// \file
/// \brief Rung 4's conv2: implicit GEMMs, which pack the unfolded input straight from the
/// image instead of writing the column matrix (im2col) first, and add the input gradient
/// straight back onto the image instead of writing column gradients for col2im.
///
/// The unfolded input of a convolution is a matrix, columns[k][j] = input[base[j] +
/// offset[k]], where j is an output pixel (image, y, x) and k a kernel tap (c, ky, kx):
/// base[j] is where the pixel's window starts and offset[k] where the tap lies in it. Stage
/// 03's micro-kernel reads B in packed slivers (packing.h); here each sliver is filled
/// from the image through those two tables. The column matrix of a slice of 8 images
/// (288 x 968 floats, 1.1 MB) is never written, nor read back, nor packed from: the image
/// it came from (43 KB) is. The input gradient is the same in reverse: each tile of
/// column gradients the micro-kernel computes is added onto the image's gradient at once.
#pragma once

#include "common/tensor.h"

namespace stage04 {

/// stage03::conv2d_channel_major without the column matrix: out [O,N,OH,OW] (channel
/// major; reallocated only when its shape changes) for input [N,C,H,W], weight [O,C,K,K]
/// and bias [O], valid and stride 1.
void conv2d_implicit_forward(const mnist::Tensor& input, const mnist::Tensor& weight,
                             const mnist::Tensor& bias, mnist::Tensor& out);

/// conv2d_backward_channel_major without column matrices: from dout [O,N,OH,OW],
/// overwrites dweight [O,C,K,K], dbias [O] and dinput [N,C,H,W].
void conv2d_implicit_backward(const mnist::Tensor& input, const mnist::Tensor& weight,
                              const mnist::Tensor& dout, mnist::Tensor& dweight,
                              mnist::Tensor& dbias, mnist::Tensor& dinput);

}  // namespace stage04

/// \file
/// \brief im2col: unfold every KxK patch of an image into one column of a matrix.
///
/// After unfolding, a convolution is one matrix product: weights [O, C*K*K] times
/// columns [C*K*K, OH*OW] gives the output [O, OH*OW], which is already one image in NCHW.
#pragma once

#include <cstdint>

namespace stage02 {

/// Unfolds one image [channels, height, width] (valid padding, stride 1) into the
/// row-major matrix columns [channels*kernel*kernel, OH*OW], OH = height-kernel+1,
/// OW = width-kernel+1.
///
/// Row r = (c*kernel + ky)*kernel + kx holds input[c, y+ky, x+kx] at column y*OW + x, so
/// row r lines up with weight[o, c, ky, kx] of a PyTorch [O, C, K, K] kernel.
void im2col(const float* image, int channels, int height, int width, int kernel, float* columns);

/// The same, writing each row of the column matrix `row_stride` floats after the previous
/// one (row_stride >= OH*OW), so the columns of many images can sit side by side in one
/// wide matrix: image n at columns + n*OH*OW with row_stride = N*OH*OW.
void im2col(const float* image, int channels, int height, int width, int kernel, float* columns,
            int64_t row_stride);

}  // namespace stage02

/// \file
/// \brief col2im: the adjoint of stage 02's im2col, which turns column gradients back into
/// an image gradient.
#pragma once

#include <cstdint>

namespace stage04 {

/// Adds every entry of the column matrix back onto the image pixel im2col copied it from.
///
/// stage02::im2col copies pixel (c, y+ky, x+kx) of an image [C,H,W] into row
/// (c*K + ky)*K + kx, column y*OW + x of `columns` (rows `row_stride` floats apart, so the
/// image may be one slice of a whole batch's [C*K*K, N*OH*OW] matrix). A pixel lies under
/// up to K*K windows, so it was copied up to K*K times, and the gradient of a pixel is the
/// sum of the gradients of its copies: this function does that sum. `image` is accumulated
/// into (+=), not overwritten: zero it first for a plain gradient.
void col2im(const float* columns, int channels, int height, int width, int kernel,
            int64_t row_stride, float* image);

}  // namespace stage04

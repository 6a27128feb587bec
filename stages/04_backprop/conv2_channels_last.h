/// \file
/// \brief Rung 5's conv2 backward: the same two products as rung 4's, on a channels-last
/// copy of conv2's input, so that what rung 4 gathered and scattered a float at a time
/// moves in whole vectors.
///
/// In channels-last layout, input_cl[n][y][x][c], the 32 channels of one pixel are 128
/// contiguous bytes. Take one kernel tap (ky, kx) at a time. Its share of the weight
/// gradient is a product whose columns are the channels,
///
///     dW[o][c][ky][kx] = sum over output pixels p of dout[o][p] * input_cl[p + shift][c],
///
/// where p + shift is the input pixel under tap (ky, kx) of p's window. The packed B of
/// stage 03's micro-kernel is, for each k (here a pixel), nr consecutive columns (here
/// channels): exactly a row of input_cl. So packing B is a copy of whole rows, an output
/// row's 11 pixels x 32 channels at a time, where rung 4 fetched every float through a
/// table. The input gradient, for the same tap, is a product whose rows are pixels,
///
///     dinput_cl[p + shift][c] += sum over o of dout[o][p] * W[o][c][ky][kx],
///
/// and each row of a tile the micro-kernel makes, 32 channels of one pixel, is added onto
/// one row of dinput_cl with two 16-float vector additions, where rung 4 added runs of at
/// most 11 floats.
#pragma once

#include "common/tensor.h"

namespace stage04 {

/// conv2d_implicit_backward for a channels-last input: from input_cl [N,H,W,C], weight
/// [O,C,K,K] and dout [O,N,OH,OW] (channel-major, as the forward writes it), overwrites
/// dweight [O,C,K,K], dbias [O] and dinput_cl [N,H,W,C] (channels last, like the input).
/// Every sum is taken in a fixed order, so the result is the same on every run.
void conv2d_channels_last_backward(const mnist::Tensor& input_cl, const mnist::Tensor& weight,
                                   const mnist::Tensor& dout, mnist::Tensor& dweight,
                                   mnist::Tensor& dbias, mnist::Tensor& dinput_cl);

}  // namespace stage04

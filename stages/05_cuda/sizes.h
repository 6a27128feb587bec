/// \file
/// \brief Per-image element counts of every tensor of the network, for kernels and buffers.
#pragma once

#include "common/network.h"

namespace stage05::sizes {
using namespace mnist::net;
constexpr int kImage = kImageSize * kImageSize;                      ///< 784 pixels
constexpr int kConv1Out = kConv1Channels * kConv1Size * kConv1Size;  ///< 21,632
constexpr int kPool1Out = kConv1Channels * kPool1Size * kPool1Size;  ///< 5,408
constexpr int kConv2Out = kConv2Channels * kConv2Size * kConv2Size;  ///< 7,744
constexpr int kPool2Out = kFlat;                                     ///< 1,600
constexpr int kTaps = kKernel * kKernel;                             ///< 9 weights per 3x3 kernel
}  // namespace stage05::sizes

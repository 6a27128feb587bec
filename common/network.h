/// \file
/// \brief The network's fixed shapes and its work per image, shared by every stage.
///
/// conv1 3x3 (1->32) -> ReLU -> maxpool 2 -> conv2 3x3 (32->64) -> ReLU -> maxpool 2
/// -> flatten (C,H,W) -> dropout 0.5 -> dense 1600->10 -> softmax.
#pragma once

#include <cstdint>

namespace mnist::net {

constexpr int kImageSize = 28;      ///< MNIST images are 28x28, one channel.
constexpr int kKernel = 3;          ///< Both convolutions use 3x3 kernels, valid padding.
constexpr int kConv1Channels = 32;  ///< conv1 filters
constexpr int kConv1Size = kImageSize - kKernel + 1;  ///< 26
constexpr int kPool1Size = kConv1Size / 2;            ///< 13
constexpr int kConv2Channels = 64;                    ///< conv2 filters
constexpr int kConv2Size = kPool1Size - kKernel + 1;  ///< 11
constexpr int kPool2Size = kConv2Size / 2;            ///< 5 (floor: row and column 10 dropped)
constexpr int kFlat = kConv2Channels * kPool2Size * kPool2Size;  ///< 1600
constexpr int kClasses = 10;                                     ///< digits 0..9
constexpr float kDropout = 0.5f;  ///< Probability of dropping a flattened feature in training.

/// conv1's multiply-adds for one image: 26*26 outputs x 32 filters x 9 taps = 194,688.
constexpr int64_t kConv1Macs =
    int64_t{kConv1Size} * kConv1Size * kConv1Channels * kKernel * kKernel;
/// conv2's multiply-adds for one image: 11*11 x 64 x (32*9) = 2,230,272.
constexpr int64_t kConv2Macs =
    int64_t{kConv2Size} * kConv2Size * kConv2Channels * kConv1Channels * kKernel * kKernel;
/// The dense layer's multiply-adds for one image: 1600 x 10.
constexpr int64_t kDenseMacs = int64_t{kFlat} * kClasses;

/// Forward FLOPs per image (a multiply-add counts as 2): about 4.88 M.
constexpr double kForwardFlops = 2.0 * (kConv1Macs + kConv2Macs + kDenseMacs);
/// Training FLOPs per image: forward, plus a weight-gradient GEMM for every layer and an
/// input-gradient GEMM for conv2 and dense (conv1 needs no input gradient): about 14.3 M.
constexpr double kTrainFlops = kForwardFlops + 2.0 * (kConv1Macs + 2 * kConv2Macs + 2 * kDenseMacs);

}  // namespace mnist::net

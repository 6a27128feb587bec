/// \file
/// \brief conv1 + ReLU + 2x2 max pooling for one image by one block (device code), shared by
/// rung 3's conv1 kernels and rung 4's forward kernel, which runs it in front of conv2.
#pragma once

#include <cstdint>

#include "05_cuda/sizes.h"

namespace stage05 {

/// conv1's weights and bias in shared memory, as conv1_relu_pool_block reads them.
struct Conv1Shared {
  float w[sizes::kConv1Channels * sizes::kTaps];  ///< [32][9]
  float b[sizes::kConv1Channels];                 ///< [32]
};

/// Starts copying conv1's weights w [32,1,3,3] and bias b [32] into `to`; every thread of
/// the block (kThreads) calls it, and they are visible after the next __syncthreads.
template <int kThreads>
__device__ void stage_conv1(Conv1Shared& to, const float* w, const float* b) {
  using namespace sizes;
  for (int i = static_cast<int>(threadIdx.x); i < kConv1Channels * kTaps; i += kThreads)
    to.w[i] = w[i];
  if (threadIdx.x < kConv1Channels) to.b[threadIdx.x] = b[threadIdx.x];
}

/// The block's kThreads threads compute the image in shared memory `x` with the weights
/// staged in `conv1` (both written and made visible with a __syncthreads before the call):
/// for each of the 169 pooling windows and 32 channels, the max over the window's four
/// conv1 outputs (bias added), and which of the four won (0..3, reading order, the first on
/// a tie). Each thread takes one window and kPerThread channels at a time, loading the
/// window's 4x4 patch of pixels once for all of them. `store(c, window, pooled, winner)`
/// receives each result, pooled after ReLU. Every thread must call it; no __syncthreads
/// follows the stores.
///
/// Each output is the same sum of the same terms in the same order whatever kThreads and
/// kPerThread are, so every caller gets the same bits.
template <int kThreads, int kPerThread, typename Store>
__device__ void conv1_relu_pool_block(const float* x, const Conv1Shared& conv1, Store store) {
  using namespace sizes;
  constexpr int kWindows = kPool1Size * kPool1Size;  // 169
  static_assert(kConv1Channels % kPerThread == 0, "whole groups of channels");
  constexpr int kItems = kWindows * (kConv1Channels / kPerThread);
  const float* wk = conv1.w;
  const float* bias = conv1.b;
  const int t = threadIdx.x;
  for (int item = t; item < kItems; item += kThreads) {
    const int window = item % kWindows, first = item / kWindows * kPerThread;
    const int py = window / kPool1Size, px = window % kPool1Size;
    float patch[4][4];  // the pixels under the window's four 3x3 convolutions
#pragma unroll
    for (int r = 0; r < 4; ++r)
#pragma unroll
      for (int s = 0; s < 4; ++s) patch[r][s] = x[(2 * py + r) * kImageSize + 2 * px + s];
#pragma unroll
    for (int cc = 0; cc < kPerThread; ++cc) {
      const int c = first + cc;
      float best = 0;
      int winner = 0;
#pragma unroll
      for (int corner = 0; corner < 4; ++corner) {
        float v = bias[c];
#pragma unroll
        for (int ky = 0; ky < kKernel; ++ky)
#pragma unroll
          for (int kx = 0; kx < kKernel; ++kx)
            v += patch[corner / 2 + ky][corner % 2 + kx] * wk[c * kTaps + ky * kKernel + kx];
        if (corner == 0 || v > best) {  // strictly greater: the first maximum wins a tie
          best = v;
          winner = corner;
        }
      }
      store(c, window, fmaxf(best, 0.0f), winner);  // max(relu(a), relu(b)) = relu(max(a, b))
    }
  }
}

}  // namespace stage05

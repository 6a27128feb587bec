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

/// The 4x4 pixels under pooling window `window`'s four 3x3 convolutions, from the image in
/// shared memory `x` (16-byte aligned): a window starts at an even column, so each row of
/// the patch is two 8-byte loads.
__device__ inline void load_patch(const float* x, int window, float (&patch)[4][4]) {
  using namespace sizes;
  const int py = window / kPool1Size, px = window % kPool1Size;
#pragma unroll
  for (int r = 0; r < 4; ++r) {
    const float* row = x + (2 * py + r) * kImageSize + 2 * px;
    const float2 left = *reinterpret_cast<const float2*>(row);
    const float2 right = *reinterpret_cast<const float2*>(row + 2);
    patch[r][0] = left.x, patch[r][1] = left.y, patch[r][2] = right.x, patch[r][3] = right.y;
  }
}

/// One channel's four conv1 outputs under the patch (bias first, then the taps in order:
/// weight(k) is tap k's weight), their max and which of the four won (0..3, reading order,
/// the first on a tie), ReLU applied to the max: max(relu(a), relu(b)) = relu(max(a, b)).
template <typename Weight>
__device__ void pool_channel(const float (&patch)[4][4], Weight weight, float bias, float& pooled,
                             int& winner) {
  using namespace sizes;
  float best = 0;
  winner = 0;
#pragma unroll
  for (int corner = 0; corner < 4; ++corner) {
    float v = bias;
#pragma unroll
    for (int ky = 0; ky < kKernel; ++ky)
#pragma unroll
      for (int kx = 0; kx < kKernel; ++kx)
        v += patch[corner / 2 + ky][corner % 2 + kx] * weight(ky * kKernel + kx);
    if (corner == 0 || v > best) {  // strictly greater: the first maximum wins a tie
      best = v;
      winner = corner;
    }
  }
  pooled = fmaxf(best, 0.0f);
}

/// The block's kThreads threads compute the image in shared memory `x` with the weights
/// staged in `conv1` (both written and made visible with a __syncthreads before the call):
/// for each of the 169 pooling windows and 32 channels, pool_channel. Each thread takes one
/// window and kPerThread channels at a time, loading the window's patch once for all of
/// them and each weight from shared memory. `store(c, window, pooled, winner)` receives
/// each result. Every thread must call it; no __syncthreads follows the stores.
///
/// Each output is the same sum of the same terms in the same order whatever the threads and
/// channels per thread (here and in conv1_relu_pool_warps), so every caller gets the same
/// bits.
template <int kThreads, int kPerThread, typename Store>
__device__ void conv1_relu_pool_block(const float* x, const Conv1Shared& conv1, Store store) {
  using namespace sizes;
  constexpr int kWindows = kPool1Size * kPool1Size;  // 169
  static_assert(kConv1Channels % kPerThread == 0, "whole groups of channels");
  constexpr int kItems = kWindows * (kConv1Channels / kPerThread);
  for (int item = static_cast<int>(threadIdx.x); item < kItems; item += kThreads) {
    const int window = item % kWindows, first = item / kWindows * kPerThread;
    float patch[4][4];
    load_patch(x, window, patch);
#pragma unroll
    for (int cc = 0; cc < kPerThread; ++cc) {
      const int c = first + cc;
      float pooled;
      int winner;
      pool_channel(patch, [&](int k) { return conv1.w[c * kTaps + k]; }, conv1.b[c], pooled,
                   winner);
      store(c, window, pooled, winner);
    }
  }
}

/// conv1_relu_pool_block with a warp per group of kPerThread channels, for a block of kWarps
/// whole warps: the group's weights sit in every lane's registers, loaded once, and a lane
/// takes one window at a time, so the patch is a window's only shared-memory load (the
/// other mapping also loads each weight for each window: twice the loads in all).
template <int kWarps, int kPerThread, typename Store>
__device__ void conv1_relu_pool_warps(const float* x, const Conv1Shared& conv1, Store store) {
  using namespace sizes;
  constexpr int kWindows = kPool1Size * kPool1Size;  // 169
  constexpr int kGroups = kConv1Channels / kPerThread;
  static_assert(kConv1Channels % kPerThread == 0 && kWarps % kGroups == 0,
                "every group of channels gets the same number of warps");
  constexpr int kWarpsPerGroup = kWarps / kGroups;
  const int warp = static_cast<int>(threadIdx.x) / 32, lane = static_cast<int>(threadIdx.x) % 32;
  const int first = warp % kGroups * kPerThread, share = warp / kGroups;
  float w[kPerThread][kTaps], b[kPerThread];
#pragma unroll
  for (int cc = 0; cc < kPerThread; ++cc) {
#pragma unroll
    for (int k = 0; k < kTaps; ++k) w[cc][k] = conv1.w[(first + cc) * kTaps + k];
    b[cc] = conv1.b[first + cc];
  }
  // The group's warps take 32 consecutive windows each in turn (their stores coalesce).
  for (int window = share * 32 + lane; window < kWindows; window += kWarpsPerGroup * 32) {
    float patch[4][4];
    load_patch(x, window, patch);
#pragma unroll
    for (int cc = 0; cc < kPerThread; ++cc) {
      float pooled;
      int winner;
      pool_channel(patch, [&](int k) { return w[cc][k]; }, b[cc], pooled, winner);
      store(first + cc, window, pooled, winner);
    }
  }
}

}  // namespace stage05

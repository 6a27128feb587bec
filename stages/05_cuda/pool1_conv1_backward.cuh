/// \file
/// \brief The end of the conv backward pass for one image (device code), shared by rungs 3
/// and 4: pool1 and ReLU backward folded into conv1's weight and bias gradients.
#pragma once

#include <cstdint>

#include "05_cuda/param_layout.h"
#include "05_cuda/sizes.h"

namespace stage05 {

/// Floats of scratch shared memory that pool1_conv1_backward<kWarps> needs.
template <int kWarps>
constexpr int kPool1Conv1Scratch = kWarps * (sizes::kConv1Channels * sizes::kTaps +
                                             sizes::kConv1Channels);

/// One block, kWarps warps, one image. A pool1 window's gradient dp1 reaches its winning
/// position (argmax, 0..3 in reading order; the byte's higher bits are not read) only where
/// the window's maximum was positive, `relu_passes(window)` (window: channel * 169 +
/// position); there it adds gradient x pixel into conv1's weight gradient. Lane = channel;
/// the warps share out the 169 windows. Each warp leaves its sums in `scratch`
/// (kPool1Conv1Scratch<kWarps> floats of shared memory that nothing else uses by then), and
/// the block adds the warps' sums in warp order, so the result is the same on every run
/// (atomic adds would add them in whatever order the warps arrive). It writes dW1 [32,9]
/// and db1 [32] to out (this image's share of the gradients, param_layout.h order).
template <int kWarps, typename ReluPasses>
__device__ void pool1_conv1_backward(ReluPasses relu_passes, const float* dp1, const float* x,
                                     const uint8_t* argmax, float* scratch, float* out) {
  using namespace sizes;
  static_assert(kConv1Channels == 32, "one lane per conv1 channel");
  constexpr int kWindows = kPool1Size * kPool1Size;
  constexpr int kWeights = kConv1Channels * kTaps;  // 288: dW1, then the 32 of db1
  constexpr int kSums = kWeights + kConv1Channels;
  const int t = threadIdx.x, warp = t / 32, c = t % 32;
  float dw[kTaps] = {}, db = 0;
  for (int q = warp; q < kWindows; q += kWarps) {
    const int at = c * kWindows + q;
    const float g = dp1[at];
    if (!relu_passes(at) || g == 0.0f) continue;
    const int corner = argmax[at] & 3;
    const int y = 2 * (q / kPool1Size) + corner / 2, xx = 2 * (q % kPool1Size) + corner % 2;
#pragma unroll
    for (int tap = 0; tap < kTaps; ++tap)
      dw[tap] += g * x[(y + tap / kKernel) * kImageSize + xx + tap % kKernel];
    db += g;
  }
  float* mine = scratch + warp * kSums;  // lane c at c * 9: 32 lanes in 32 banks
#pragma unroll
  for (int tap = 0; tap < kTaps; ++tap) mine[c * kTaps + tap] = dw[tap];
  mine[kWeights + c] = db;
  __syncthreads();
  static_assert(layout::kConv1Bias == layout::kConv1Weight + kWeights, "db1 follows dW1");
  for (int i = t; i < kSums; i += kWarps * 32) {
    float sum = 0;
    for (int w = 0; w < kWarps; ++w) sum += scratch[w * kSums + i];
    out[layout::kConv1Weight + i] = sum;
  }
}

}  // namespace stage05

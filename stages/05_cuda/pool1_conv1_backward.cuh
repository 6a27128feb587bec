/// \file
/// \brief The end of the conv backward pass for one image (device code), shared by rungs 3
/// and 4: pool1 and ReLU backward folded into conv1's weight and bias gradients.
#pragma once

#include <cstdint>

#include "05_cuda/param_layout.h"
#include "05_cuda/sizes.h"

namespace stage05 {

/// One block, kWarps warps, one image. A pool1 window's gradient dp1 reaches its winning
/// position (argmax, 0..3 in reading order) only where the window's maximum p1 was
/// positive; there it adds gradient x pixel into conv1's weight gradient. Lane = channel;
/// the warps share out the 169 windows and add their sums into dw1 [32,9] and db1 [32]
/// (shared memory, zeroed by the caller before a barrier), then the block writes them to
/// out (this image's share of the gradients, param_layout.h order).
template <int kWarps>
__device__ void pool1_conv1_backward(const float* p1, const float* dp1, const float* x,
                                     const uint8_t* argmax, float* dw1, float* db1, float* out) {
  using namespace sizes;
  static_assert(kConv1Channels == 32, "one lane per conv1 channel");
  constexpr int kWindows = kPool1Size * kPool1Size;
  const int t = threadIdx.x, warp = t / 32, c = t % 32;
  float dw[kTaps] = {}, db = 0;
  for (int q = warp; q < kWindows; q += kWarps) {
    const int at = c * kWindows + q;
    const float g = dp1[at];
    if (!(p1[at] > 0.0f) || g == 0.0f) continue;
    const int corner = argmax[at];
    const int y = 2 * (q / kPool1Size) + corner / 2, xx = 2 * (q % kPool1Size) + corner % 2;
#pragma unroll
    for (int tap = 0; tap < kTaps; ++tap)
      dw[tap] += g * x[(y + tap / kKernel) * kImageSize + xx + tap % kKernel];
    db += g;
  }
#pragma unroll
  for (int tap = 0; tap < kTaps; ++tap) atomicAdd(&dw1[c * kTaps + tap], dw[tap]);
  atomicAdd(&db1[c], db);
  __syncthreads();
  for (int i = t; i < kConv1Channels * kTaps; i += kWarps * 32)
    out[layout::kConv1Weight + i] = dw1[i];
  if (t < kConv1Channels) out[layout::kConv1Bias + t] = db1[t];
}

}  // namespace stage05

/// \file
/// \brief Copying a block's inputs from global to shared memory with every load in flight
/// at once (device code), shared by rungs 3 and 4.
#pragma once

#include "05_cuda/mma_tf32.cuh"

namespace stage05 {

/// Copies kBytes (a multiple of 16) from global to shared memory in 16-byte pieces, floats
/// rounded to TF32 if kRound; every thread of the block (kThreads of them) must call it.
/// The loop is unrolled so that every load of a thread is in flight at once: a plain loop
/// waits a whole memory latency per iteration, and those waits, not the products, were
/// most of the first tensor-core version's time.
template <int kBytes, int kThreads, bool kRound = false>
__device__ void stage(void* to, const void* from) {
  static_assert(kBytes % 16 == 0, "whole 16-byte pieces");
  constexpr int kCount = kBytes / 16;
  const float4* src = static_cast<const float4*>(from);
  float4* dst = static_cast<float4*>(to);
#pragma unroll
  for (int r = 0; r < (kCount + kThreads - 1) / kThreads; ++r) {
    const int i = static_cast<int>(threadIdx.x) + r * kThreads;
    if (i >= kCount) break;
    float4 v = src[i];
    if constexpr (kRound) {
      v = make_float4(tc::round_to_tf32(v.x), tc::round_to_tf32(v.y), tc::round_to_tf32(v.z),
                      tc::round_to_tf32(v.w));
    }
    dst[i] = v;
  }
}

}  // namespace stage05

/// \file
/// \brief Adding up sums split over several groups of a block's threads, in a fixed order
/// (device code), shared by rungs 3 and 4's conv2 kernels.
///
/// With one block per multiprocessor, a kernel gets more warps to hide its latencies by
/// splitting each output's sum (its K) into kParts parts: part p is threads p * kLanes ..
/// p * kLanes + kLanes - 1, and lane l of every part works on the same outputs. After its
/// loop, each later part stores its kSums sums in shared memory and part 0 adds them to its
/// own, part 1 first, then part 2, ...: the same order, so the same bits, on every run.
#pragma once

namespace stage05 {

/// Shared floats the later parts' sums take.
template <int kParts, int kSums, int kLanes>
inline constexpr int kLaterPartSums = (kParts - 1) * kSums* kLanes;

/// Leaves in part 0's sums the totals over all parts. Every thread of the block must call
/// it (it holds a __syncthreads); threads of part kParts or beyond take no part. `sum(i)`
/// is the calling thread's i-th sum (a float&), `partial` kLaterPartSums floats of shared
/// memory, laid out [part - 1][sum][lane] so that a warp's stores are consecutive.
template <int kParts, int kSums, int kLanes, typename Sum>
__device__ void add_later_parts(float* partial, int part, int lane, Sum sum) {
  if (part > 0 && part < kParts) {
#pragma unroll
    for (int i = 0; i < kSums; ++i) partial[((part - 1) * kSums + i) * kLanes + lane] = sum(i);
  }
  __syncthreads();
  if (part == 0) {
    for (int later = 1; later < kParts; ++later) {
#pragma unroll
      for (int i = 0; i < kSums; ++i) sum(i) += partial[((later - 1) * kSums + i) * kLanes + lane];
    }
  }
}

}  // namespace stage05

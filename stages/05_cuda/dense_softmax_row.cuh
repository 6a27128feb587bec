/// \file
/// \brief The dense layer, softmax, cross-entropy and the gradient back to pool2 for one
/// image, by one block: the tail of rungs 3 and 4's conv2 kernels, which have the image's
/// pool2 in shared memory already.
#pragma once

#include <cfloat>

#include "05_cuda/fused_kernels.h"
#include "05_cuda/sizes.h"

namespace stage05 {

/// Adds v across the 32 threads of a warp; lane 0 ends with the total.
__device__ inline float warp_sum(float v) {
  for (int offset = 16; offset > 0; offset /= 2) v += __shfl_down_sync(0xffffffffu, v, offset);
  return v;
}

/// Image `row` of the batch, whose pool2 features are at x (global or shared memory), by
/// the kThreads threads of one block, all of which must call it.
template <int kThreads>
__device__ void dense_softmax_row(const float* x, const fused::DenseHead& head, int row) {
  using namespace sizes;
  static_assert(kThreads % 32 == 0, "the block adds up whole warps' sums");
  constexpr int kPerThread = (kFlat + kThreads - 1) / kThreads;  // 7 features for 256 threads
  const float* keep = head.mask ? head.mask + row * kFlat : nullptr;
  // Each thread takes every kThreads-th feature and its 10 products; then the block adds up.
  // The thread's weights stay in registers for the backward pass below, which needs the
  // same numbers: read once from memory (L2, for every image of the batch) instead of twice.
  float weight[kPerThread][kClasses];
  float part[kClasses] = {};
#pragma unroll
  for (int k = 0; k < kPerThread; ++k) {
    const int i = threadIdx.x + k * kThreads;
    if (i >= kFlat) break;
    const float v = keep ? x[i] * keep[i] : x[i];
#pragma unroll
    for (int j = 0; j < kClasses; ++j) {
      weight[k][j] = head.w[j * kFlat + i];
      part[j] += v * weight[k][j];
    }
  }
  __shared__ float warp_parts[kThreads / 32][kClasses];
  __shared__ float z[kClasses], dz[kClasses];
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
#pragma unroll
  for (int j = 0; j < kClasses; ++j) {
    const float s = warp_sum(part[j]);
    if (lane == 0) warp_parts[warp][j] = s;
  }
  __syncthreads();
  if (threadIdx.x < kClasses) {
    const int j = threadIdx.x;
    float s = head.b[j];
    for (int k = 0; k < kThreads / 32; ++k) s += warp_parts[k][j];
    z[j] = s;
    head.logits[row * kClasses + j] = s;
  }
  if (head.labels == nullptr) return;  // inference: the same for the whole grid
  __syncthreads();
  if (threadIdx.x == 0) {
    float top = -FLT_MAX;
    for (int j = 0; j < kClasses; ++j) top = fmaxf(top, z[j]);
    float sum = 0;
    for (int j = 0; j < kClasses; ++j) sum += expf(z[j] - top);
    const int label = head.labels[row];
    head.row_loss[row] = logf(sum) + top - z[label];  // logsumexp(z) - z[label]
    for (int j = 0; j < kClasses; ++j) {
      dz[j] = (expf(z[j] - top) / sum - (j == label ? 1.0f : 0.0f)) / head.n;
      head.dlogits[row * kClasses + j] = dz[j];
    }
  }
  __syncthreads();
  // Back through dense (dz W), dropout (the same mask) and ReLU (only where pool2 > 0).
#pragma unroll
  for (int k = 0; k < kPerThread; ++k) {
    const int i = threadIdx.x + k * kThreads;
    if (i >= kFlat) break;
    float d = 0;
#pragma unroll
    for (int j = 0; j < kClasses; ++j) d += dz[j] * weight[k][j];
    head.dpool2[row * kFlat + i] = x[i] > 0.0f ? (keep ? d * keep[i] : d) : 0.0f;
  }
}

}  // namespace stage05

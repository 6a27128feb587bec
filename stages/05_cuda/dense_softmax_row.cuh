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

/// What each thread of dense_softmax_row reads from global memory: its features' weights
/// (kept in registers for the backward pass as well, which needs the same numbers: read
/// once from L2, for every image of the batch, instead of twice) and their dropout mask.
template <int kThreads>
struct DenseRowInputs {
  static constexpr int kPerThread = (sizes::kFlat + kThreads - 1) / kThreads;  ///< features
  float weight[kPerThread][sizes::kClasses];  ///< W[j][i] of the thread's features i
  float keep[kPerThread];                     ///< the mask at i (1 without dropout)
};

/// Starts the loads dense_softmax_row needs, for image `row`: a kernel that calls this
/// before other work, long enough before, has the numbers when the dense layer starts
/// instead of waiting a memory latency for them there.
template <int kThreads>
__device__ DenseRowInputs<kThreads> load_dense_row_inputs(const fused::DenseHead& head, int row) {
  using namespace sizes;
  DenseRowInputs<kThreads> in;
  const float* keep = head.mask ? head.mask + row * kFlat : nullptr;
#pragma unroll
  for (int k = 0; k < in.kPerThread; ++k) {
    const int i = threadIdx.x + k * kThreads;
    if (i >= kFlat) break;
    in.keep[k] = keep ? keep[i] : 1.0f;
#pragma unroll
    for (int j = 0; j < kClasses; ++j) in.weight[k][j] = head.w[j * kFlat + i];
  }
  return in;
}

/// Image `row` of the batch, whose pool2 features are at x (global or shared memory), by
/// the kThreads threads of one block, all of which must call it, each with what it loaded
/// with load_dense_row_inputs.
template <int kThreads>
__device__ void dense_softmax_row(const float* x, const fused::DenseHead& head, int row,
                                  const DenseRowInputs<kThreads>& in) {
  using namespace sizes;
  static_assert(kThreads % 32 == 0, "the block adds up whole warps' sums");
  // Each thread takes every kThreads-th feature and its 10 products; then the block adds up.
  float part[kClasses] = {};
#pragma unroll
  for (int k = 0; k < in.kPerThread; ++k) {
    const int i = threadIdx.x + k * kThreads;
    if (i >= kFlat) break;
    const float v = head.mask ? x[i] * in.keep[k] : x[i];
#pragma unroll
    for (int j = 0; j < kClasses; ++j) part[j] += v * in.weight[k][j];
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
  for (int k = 0; k < in.kPerThread; ++k) {
    const int i = threadIdx.x + k * kThreads;
    if (i >= kFlat) break;
    float d = 0;
#pragma unroll
    for (int j = 0; j < kClasses; ++j) d += dz[j] * in.weight[k][j];
    head.dpool2[row * kFlat + i] = x[i] > 0.0f ? (head.mask ? d * in.keep[k] : d) : 0.0f;
  }
}

/// dense_softmax_row, loading its inputs first.
template <int kThreads>
__device__ void dense_softmax_row(const float* x, const fused::DenseHead& head, int row) {
  dense_softmax_row<kThreads>(x, head, row, load_dense_row_inputs<kThreads>(head, row));
}

}  // namespace stage05

/// \file
/// \brief One row of a training batch drawn on the GPU (device code), shared by the kernels
/// of rungs 3 and 4 that start a training step: which image of the set the row is (the
/// epoch's shuffle), its label, its row of the dropout mask, and the image itself.
#pragma once

#include <cstdint>

#include "05_cuda/device_random.h"
#include "05_cuda/fused_kernels.h"
#include "05_cuda/sizes.h"

namespace stage05 {

/// Row `row` of the batch: finds which image of the set it is, stores its label and, if
/// `dropout`, its row of the mask, and returns the image's pixels in the set. Every thread of
/// the block (kThreads of them) must call it: it holds a __syncthreads.
template <int kThreads>
__device__ const float* draw_row(const fused::BatchSource& source, const StepClock* clock,
                                 bool dropout, int row, int* labels, float* mask) {
  using namespace sizes;
  // The row's mask bits are its place in the whole batch's mask: 25 whole 64-bit words
  // (device_random.h), one hash each, shared by the block rather than hashed per element.
  static_assert(kFlat % 64 == 0, "a row of the mask is whole 64-bit words");
  constexpr int kWords = kFlat / 64;
  static_assert(kThreads >= kWords, "a thread per word of the row's mask");
  __shared__ int src;
  __shared__ uint64_t bits[kWords];
  const int64_t step = clock->step + source.step_offset;
  if (threadIdx.x == 0) {  // the shuffle: which image of the set is this row of the batch
    const ShufflePermutation order = ShufflePermutation::make(
        source.set_size, derive_key(source.seed, 2, step / source.steps_per_epoch));
    src = static_cast<int>(order(source.begin + row));
    labels[row] = source.set_labels[src];
  }
  if (dropout && threadIdx.x < kWords) {
    const int64_t first_word = int64_t{row + source.row_offset} * kWords;
    bits[threadIdx.x] = dropout_bits(dropout_key(source.seed, step), first_word + threadIdx.x);
  }
  __syncthreads();
  if (dropout) {
    for (int i = threadIdx.x; i < kFlat; i += kThreads)
      mask[int64_t{row} * kFlat + i] = (bits[i / 64] >> (i % 64)) & 1 ? 2.0f : 0.0f;
  }
  return source.set_images + int64_t{src} * kImage;
}

/// Copies one image from `from` into shared memory `x` and, unless `copy` is null, into
/// `copy` (the batch's row, which the backward pass reads), 16 bytes per load. Every thread
/// of the block (kThreads) calls it; x is visible to the whole block after the next
/// __syncthreads.
template <int kThreads>
__device__ void copy_image(const float* from, float* x, float* copy) {
  static_assert(sizes::kImage % 4 == 0, "images are copied as float4");
  const float4* src = reinterpret_cast<const float4*>(from);
  for (int i = threadIdx.x; i < sizes::kImage / 4; i += kThreads) {
    const float4 v = src[i];
    reinterpret_cast<float4*>(x)[i] = v;
    if (copy) reinterpret_cast<float4*>(copy)[i] = v;
  }
}

}  // namespace stage05

/// \file
/// \brief Rung 4: conv2's three matrix products (forward, weight gradient, input gradient)
/// on the tensor cores, in TF32 (the forward on mma.sync, mma_tf32.cuh; both gradients on
/// Hopper's wgmma, wgmma_tf32.cuh), fused as rung 3 fuses them.
///
/// A training step of rung 4 is three kernels, the last rung 3's (the gradient sums and
/// Adam):
///   - forward: the whole forward pass of one image per block. It draws its row of the batch
///     and runs conv1 + ReLU + pooling with rung 3's code, into shared memory, then conv2 as
///     an implicit GEMM [100 positions x 288] x [288 x 64], its A operand gathered from
///     pool1 in shared memory, with bias, ReLU and 2x2 max pooling done on the accumulators
///     in registers, then the dense layer and the loss on the pooled outputs (rung 3's
///     dense_softmax_row.cuh);
///   - conv_backward: the gradient of conv2's output scattered into shared memory (as the
///     tensor cores' B, and as a zero-padded plane per filter), then conv2's weight
///     gradient, transposed, [288 x 104] x [104 x 64], and its input gradient
///     [169 x 576] x [576 x 32] as two more implicit GEMMs on wgmma, then pool1, ReLU and
///     conv1's gradients on the CUDA cores, as in rung 3. It reads the weights as the
///     forward kernel laid them out for it.
/// Inputs are rounded to TF32 when they are staged in shared memory; the products are
/// summed in float32. Pointers are device pointers; launches are queued on `stream`.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "05_cuda/fused_kernels.h"

/// Rung 4's kernels: conv2 on the tensor cores (the file comment above says what each does).
namespace stage05::tc {

/// Floats of conv2's weights as the forward kernels lay them out for conv_backward.
constexpr int kArrangedWeights = 64 * 288;

/// Raises the shared-memory limit of both kernels (each needs more than 48 KB). Call once
/// before the first launch (and before capturing a graph). Throws, saying why, where the
/// GPU cannot run them: without wgmma (gpu_runs_wgmma, wgmma_tf32.cuh) or with too little
/// shared memory.
void set_kernel_attributes();

/// conv1 in rung 4's forward kernels: its parameters, and where its pooled output and the
/// winning positions go ([n,32,13,13] each; the backward pass reads them).
struct Conv1Layer {
  const float* w;   ///< [32,1,3,3]
  const float* b;   ///< [32]
  float* pool1;     ///< [n,32,13,13] written: maxpool(relu(conv1(images) + b))
  uint8_t* argmax;  ///< [n,32,13,13] written: each window's winner (0..3, reading order)
};

/// conv2 in rung 4's forward kernels: its parameters, where its pooled output [n,1600] and
/// the winning positions go, and `arranged` (kArrangedWeights floats), where the kernel
/// lays out conv2's weights, rounded to TF32, as conv_backward's tensor cores read them
/// (wgmma_tf32.cuh's CoreMatrices, k = tap * 64 + filter, n = channel): each block writes a
/// share from its copy in shared memory.
struct Conv2Layer {
  const float* w;   ///< [64,32,3,3]
  const float* b;   ///< [64]
  float* pooled;    ///< [n,1600] written: flatten(maxpool(relu(conv2(pool1) + b)))
  uint8_t* argmax;  ///< [n,1600] written: each window's winner
  float* arranged;  ///< [kArrangedWeights] written: w laid out for conv_backward
};

/// conv2 + ReLU + 2x2 max pooling on the tensor cores from pool1 [n,32,13,13] in memory,
/// without the dense layer: conv2 alone, for the tests.
void conv2_relu_pool(const float* pool1, const Conv2Layer& conv2, int n, cudaStream_t stream);

/// The whole forward pass of `images` [head.n,1,28,28] in one kernel, one block per image:
/// conv1 + ReLU + pooling (as rung 3's conv1 kernel, into shared memory and, for the
/// backward pass, into conv1.pool1), conv2 on the tensor cores, then the dense layer on its
/// output as fused::conv2_relu_pool_dense does (`head`: loss and gradients with labels).
void forward(const float* images, const Conv1Layer& conv1, const Conv2Layer& conv2,
             const fused::DenseHead& head, cudaStream_t stream);

/// forward() on a batch the kernel draws from the set itself, as
/// fused::gather_conv1_relu_pool does: the images go to `images` (for the backward pass),
/// their labels to `labels` and the drawn dropout mask to `mask`, which the dense layer
/// applies (whatever head.mask says).
void draw_and_forward(const fused::BatchSource& source, const StepClock* clock, float* images,
                      int* labels, float* mask, const Conv1Layer& conv1, const Conv2Layer& conv2,
                      fused::DenseHead head, cudaStream_t stream);

/// fused::conv_backward with conv2's weight and input gradients on the tensor cores:
/// writes each image's share of every conv gradient to partials[img]. It reads conv2's
/// weights as a forward kernel left them in `arranged`.
void conv_backward(const float* images, const float* pool1, const uint8_t* pool1_argmax,
                   const uint8_t* pool2_argmax, const float* dpool2, const float* arranged,
                   float* partials, int n, cudaStream_t stream);

}  // namespace stage05::tc

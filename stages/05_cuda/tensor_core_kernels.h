/// \file
/// \brief Rung 4: conv2's three matrix products (forward, weight gradient, input gradient)
/// on the tensor cores, in TF32 (the forward on mma.sync, mma_tf32.cuh; both gradients on
/// Hopper's wgmma, wgmma_tf32.cuh), fused as rung 3 fuses them.
///
/// Rung 4 is rung 3 with two kernels replaced; everything else (batch preparation, conv1,
/// the dense layer, the gradient sums and Adam) is rung 3's:
///   - conv2_relu_pool: conv2 as an implicit GEMM [100 positions x 288] x [288 x 64] per
///     image, its A operand gathered from the image's pool1 in shared memory, with bias,
///     ReLU and 2x2 max pooling done on the accumulators in registers; in training and
///     inference (conv2_relu_pool_dense) the dense layer and the loss follow in the same
///     kernel, on the pooled outputs in shared memory, as in rung 3;
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

/// conv2 + ReLU + 2x2 max pooling on the tensor cores, without the dense layer (for the
/// tests): pooled [n,1600] and the winning positions. It also writes `arranged`
/// (kArrangedWeights floats): conv2's weights w rounded to TF32 and laid out as
/// conv_backward's tensor cores read them (wgmma_tf32.cuh's CoreMatrices, k = tap * 64 +
/// filter, n = channel), each block a share from its copy in shared memory.
void conv2_relu_pool(const float* pool1, const float* w, const float* b, float* pooled,
                     uint8_t* argmax, float* arranged, int n, cudaStream_t stream);

/// fused::conv2_relu_pool_dense with conv2 on the tensor cores: conv2_relu_pool, then the
/// dense layer on its output (`head`), in one kernel: one block per image, which has the
/// whole of the image's pool2 at the end.
void conv2_relu_pool_dense(const float* pool1, const float* w, const float* b, float* pooled,
                           uint8_t* argmax, float* arranged, const fused::DenseHead& head,
                           cudaStream_t stream);

/// fused::conv_backward with conv2's weight and input gradients on the tensor cores:
/// writes each image's share of every conv gradient to partials[img]. It reads conv2's
/// weights as a forward kernel left them in `arranged`.
void conv_backward(const float* images, const float* pool1, const uint8_t* pool1_argmax,
                   const uint8_t* pool2_argmax, const float* dpool2, const float* arranged,
                   float* partials, int n, cudaStream_t stream);

}  // namespace stage05::tc

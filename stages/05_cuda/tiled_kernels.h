/// \file
/// \brief Rung 2: the convolutions and dense layers as shared-memory tiled matrix products.
///
/// The layer shapes are this network's (conv1 1->32 on 28x28, conv2 32->64 on 13x13, dense
/// 1600->10), fixed at compile time so that the index arithmetic of the implicit im2col
/// divides by constants. Kernels that sum over the batch (weight gradients) split that sum
/// over many blocks and add their results atomically; they zero their output first.
/// Pointers are device pointers; launches are queued on `stream` and checked.
#pragma once

#include <cuda_runtime.h>

namespace stage05::tiled {

/// conv1 + bias: images [n,1,28,28] -> out [n,32,26,26].
void conv1_forward(const float* in, const float* w, const float* b, float* out, int n,
                   cudaStream_t stream);
/// conv2 + bias: in [n,32,13,13] -> out [n,64,11,11].
void conv2_forward(const float* in, const float* w, const float* b, float* out, int n,
                   cudaStream_t stream);
/// d(conv1 weight) [32,1,3,3] from images and dout [n,32,26,26].
void conv1_backward_weight(const float* in, const float* dout, float* dw, int n,
                           cudaStream_t stream);
/// d(conv2 weight) [64,32,3,3] from in [n,32,13,13] and dout [n,64,11,11].
void conv2_backward_weight(const float* in, const float* dout, float* dw, int n,
                           cudaStream_t stream);
/// d(conv2 input) [n,32,13,13] from dout [n,64,11,11] and the weights.
void conv2_backward_input(const float* dout, const float* w, float* din, int n,
                          cudaStream_t stream);
/// dense + bias: in [n,1600] -> out [n,10].
void dense_forward(const float* in, const float* w, const float* b, float* out, int n,
                   cudaStream_t stream);
/// d(dense weight) [10,1600] from dout [n,10] and in [n,1600].
void dense_backward_weight(const float* dout, const float* in, float* dw, int n,
                           cudaStream_t stream);
/// d(dense input) [n,1600] from dout [n,10] and the weights.
void dense_backward_input(const float* dout, const float* w, float* din, int n,
                          cudaStream_t stream);
/// out[c] = sum over images and pixels of x[n,c,:] for x [n,channels,pixels]: the bias
/// gradients, one block per channel adding up coalesced reads in a shared-memory tree.
void channel_sum(const float* x, float* out, int n, int channels, int pixels, cudaStream_t stream);

}  // namespace stage05::tiled

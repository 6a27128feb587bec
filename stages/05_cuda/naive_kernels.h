/// \file
/// \brief Rung 1: every layer, forward and backward, as a kernel with one thread per output.
///
/// Each kernel is the stage 01 loop nest with the outer loops replaced by the thread index:
/// thread i computes output element i, reading whatever it needs straight from global
/// memory. Nothing is shared between threads, so the code reads like the formula, and the
/// same input value is fetched again by every thread that needs it (the caches catch some
/// of it). Images are square: `size` is both height and width; kernels are 3x3, valid.
/// All pointers are device pointers; every launch is queued on `stream` and checked.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "04_backprop/adam.h"
#include "05_cuda/workspace.h"

namespace stage05::naive {

/// out[n,o,y,x] = b[o] + sum over c,ky,kx of in[n,c,y+ky,x+kx] * w[o,c,ky,kx].
void conv2d_forward(const float* in, const float* w, const float* b, float* out, int n,
                    int channels, int size, int filters, cudaStream_t stream);
/// x = max(x, 0), in place.
void relu_forward(float* x, int count, cudaStream_t stream);
/// 2x2 max pooling, stride 2, of `planes` planes of size x size (odd last row dropped).
void maxpool_forward(const float* in, float* out, int planes, int size, cudaStream_t stream);
/// out = a * b element by element (dropout forward and backward).
void multiply(const float* a, const float* b, float* out, int count, cudaStream_t stream);
/// out[n,j] = b[j] + sum over i of in[n,i] * w[j,i].
void dense_forward(const float* in, const float* w, const float* b, float* out, int n, int inputs,
                   int outputs, cudaStream_t stream);
/// One thread per row: loss += (logsumexp(z) - z[label]) / n and
/// dlogits = (softmax(z) - onehot(label)) / n. `loss` must be zeroed first.
void softmax_cross_entropy(const float* logits, const int* labels, float* dlogits, float* loss,
                           int n, cudaStream_t stream);
/// dw[j,i] = sum over n of dout[n,j] * in[n,i].
void dense_backward_weight(const float* dout, const float* in, float* dw, int n, int inputs,
                           int outputs, cudaStream_t stream);
/// db[j] = sum over n of dout[n,j].
void dense_backward_bias(const float* dout, float* db, int n, int outputs, cudaStream_t stream);
/// din[n,i] = sum over j of dout[n,j] * w[j,i].
void dense_backward_input(const float* dout, const float* w, float* din, int n, int inputs,
                          int outputs, cudaStream_t stream);
/// One thread per pooling input: it receives its window's gradient if it is the window's
/// first maximum (reading order, as stage 04), else 0.
void maxpool_backward(const float* in, const float* dout, float* din, int planes, int size,
                      cudaStream_t stream);
/// grad = activation > 0 ? grad : 0, in place (the slope at exactly 0 is taken as 0).
void relu_backward(const float* activation, float* grad, int count, cudaStream_t stream);
/// dw[o,c,ky,kx] = sum over n,y,x of dout[n,o,y,x] * in[n,c,y+ky,x+kx].
void conv2d_backward_weight(const float* in, const float* dout, float* dw, int n, int channels,
                            int size, int filters, cudaStream_t stream);
/// db[o] = sum over n and pixels of dout[n,o,:,:].
void conv2d_backward_bias(const float* dout, float* db, int n, int filters, int out_pixels,
                          cudaStream_t stream);
/// din[n,c,y,x] = sum over o,ky,kx of dout[n,o,y-ky,x-kx] * w[o,c,ky,kx] (inside the output).
void conv2d_backward_input(const float* dout, const float* w, float* din, int n, int channels,
                           int size, int filters, cudaStream_t stream);
/// Adam on `count` parameters, with t = clock->step + 1.
void adam(float* params, const float* grads, float* m, float* v, int count, const StepClock* clock,
          const stage04::AdamConfig& config, cudaStream_t stream);
/// mask[i] = 2 if dropout keeps element i at the clock's step, else 0 (device_random.h).
void dropout_mask(float* mask, int count, uint64_t seed, const StepClock* clock,
                  cudaStream_t stream);
/// Ends one or more training steps: clock->step += steps, and clock->loss_sum += *loss
/// unless loss is null (rung 3 adds its losses as it goes).
void advance_clock(StepClock* clock, const float* loss, int steps, cudaStream_t stream);

}  // namespace stage05::naive

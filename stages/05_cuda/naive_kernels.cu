// Rung 1 kernels: one thread per output element, everything read from global memory.
#include "05_cuda/naive_kernels.h"

#include <cfloat>

#include "05_cuda/adam_update.cuh"
#include "05_cuda/cuda_check.h"
#include "05_cuda/device_random.h"
#include "common/network.h"

namespace stage05::naive {

namespace {

using mnist::net::kClasses;
constexpr int K = mnist::net::kKernel;  // 3x3 kernels
constexpr int kThreads = 256;           // threads per block for every kernel here

// Enough blocks of kThreads to give every one of `count` outputs its own thread.
int blocks_for(int count) {
  return (count + kThreads - 1) / kThreads;
}

// The index of this thread across the whole grid: the output it computes.
__device__ int global_index() {
  return blockIdx.x * blockDim.x + threadIdx.x;
}

__global__ void conv2d_forward_kernel(const float* in, const float* w, const float* b, float* out,
                                      int n, int C, int H, int O) {
  const int OH = H - K + 1;
  const int i = global_index();
  if (i >= n * O * OH * OH) return;
  const int x = i % OH, y = i / OH % OH, o = i / (OH * OH) % O, img = i / (OH * OH * O);
  float sum = b[o];
  for (int c = 0; c < C; ++c)
    for (int ky = 0; ky < K; ++ky)
      for (int kx = 0; kx < K; ++kx)
        sum += in[((img * C + c) * H + y + ky) * H + x + kx] * w[((o * C + c) * K + ky) * K + kx];
  out[i] = sum;
}

__global__ void relu_forward_kernel(float* x, int count) {
  const int i = global_index();
  if (i < count) x[i] = fmaxf(x[i], 0.0f);
}

__global__ void maxpool_forward_kernel(const float* in, float* out, int planes, int H) {
  const int OH = H / 2;
  const int i = global_index();
  if (i >= planes * OH * OH) return;
  const int x = i % OH, y = i / OH % OH, plane = i / (OH * OH);
  const float* p = in + (plane * H + 2 * y) * H + 2 * x;
  out[i] = fmaxf(fmaxf(p[0], p[1]), fmaxf(p[H], p[H + 1]));
}

__global__ void multiply_kernel(const float* a, const float* b, float* out, int count) {
  const int i = global_index();
  if (i < count) out[i] = a[i] * b[i];
}

__global__ void dense_forward_kernel(const float* in, const float* w, const float* b, float* out,
                                     int n, int I, int J) {
  const int i = global_index();
  if (i >= n * J) return;
  const int j = i % J, row = i / J;
  float sum = b[j];
  for (int k = 0; k < I; ++k) sum += in[row * I + k] * w[j * I + k];
  out[i] = sum;
}

__global__ void softmax_cross_entropy_kernel(const float* logits, const int* labels, float* dlogits,
                                             float* loss, int n) {
  const int row = global_index();
  if (row >= n) return;
  const float* z = logits + row * kClasses;
  float top = -FLT_MAX;
  for (int j = 0; j < kClasses; ++j) top = fmaxf(top, z[j]);
  float sum = 0;
  for (int j = 0; j < kClasses; ++j) sum += expf(z[j] - top);
  const int label = labels[row];
  // loss = logsumexp(z) - z[label], with the maximum taken out so exp() cannot overflow.
  atomicAdd(loss, (logf(sum) + top - z[label]) / n);
  for (int j = 0; j < kClasses; ++j) {
    const float softmax = expf(z[j] - top) / sum;
    dlogits[row * kClasses + j] = (softmax - (j == label ? 1.0f : 0.0f)) / n;
  }
}

__global__ void dense_backward_weight_kernel(const float* dout, const float* in, float* dw, int n,
                                             int I, int J) {
  const int i = global_index();
  if (i >= J * I) return;
  const int k = i % I, j = i / I;
  float sum = 0;
  for (int row = 0; row < n; ++row) sum += dout[row * J + j] * in[row * I + k];
  dw[i] = sum;
}

__global__ void dense_backward_bias_kernel(const float* dout, float* db, int n, int J) {
  const int j = global_index();
  if (j >= J) return;
  float sum = 0;
  for (int row = 0; row < n; ++row) sum += dout[row * J + j];
  db[j] = sum;
}

__global__ void dense_backward_input_kernel(const float* dout, const float* w, float* din, int n,
                                            int I, int J) {
  const int i = global_index();
  if (i >= n * I) return;
  const int k = i % I, row = i / I;
  float sum = 0;
  for (int j = 0; j < J; ++j) sum += dout[row * J + j] * w[j * I + k];
  din[i] = sum;
}

__global__ void maxpool_backward_kernel(const float* in, const float* dout, float* din, int planes,
                                        int H) {
  const int OH = H / 2;
  const int i = global_index();
  if (i >= planes * H * H) return;
  const int x = i % H, y = i / H % H, plane = i / (H * H);
  const int py = y / 2, px = x / 2;
  float g = 0;
  if (py < OH && px < OH) {  // rows and columns the pooling dropped get no gradient
    // Find the window's first maximum in reading order, as the forward pass saw it.
    const float* p = in + (plane * H + 2 * py) * H + 2 * px;
    const int offsets[4] = {0, 1, H, H + 1};
    int best = 0;
    for (int k = 1; k < 4; ++k)
      if (p[offsets[k]] > p[offsets[best]]) best = k;
    const int mine = (y - 2 * py) * 2 + (x - 2 * px);
    if (mine == best) g = dout[(plane * OH + py) * OH + px];
  }
  din[i] = g;
}

__global__ void relu_backward_kernel(const float* activation, float* grad, int count) {
  const int i = global_index();
  if (i < count && !(activation[i] > 0.0f)) grad[i] = 0.0f;
}

__global__ void conv2d_backward_weight_kernel(const float* in, const float* dout, float* dw, int n,
                                              int C, int H, int O) {
  const int OH = H - K + 1;
  const int i = global_index();
  if (i >= O * C * K * K) return;
  const int kx = i % K, ky = i / K % K, c = i / (K * K) % C, o = i / (K * K * C);
  float sum = 0;
  for (int img = 0; img < n; ++img)
    for (int y = 0; y < OH; ++y)
      for (int x = 0; x < OH; ++x)
        sum +=
            dout[((img * O + o) * OH + y) * OH + x] * in[((img * C + c) * H + y + ky) * H + x + kx];
  dw[i] = sum;
}

__global__ void conv2d_backward_bias_kernel(const float* dout, float* db, int n, int O,
                                            int pixels) {
  const int o = global_index();
  if (o >= O) return;
  float sum = 0;
  for (int img = 0; img < n; ++img)
    for (int p = 0; p < pixels; ++p) sum += dout[(img * O + o) * pixels + p];
  db[o] = sum;
}

__global__ void conv2d_backward_input_kernel(const float* dout, const float* w, float* din, int n,
                                             int C, int H, int O) {
  const int OH = H - K + 1;
  const int i = global_index();
  if (i >= n * C * H * H) return;
  const int x = i % H, y = i / H % H, c = i / (H * H) % C, img = i / (H * H * C);
  float sum = 0;
  for (int o = 0; o < O; ++o)
    for (int ky = 0; ky < K; ++ky)
      for (int kx = 0; kx < K; ++kx) {
        const int oy = y - ky, ox = x - kx;  // the output this input fed through (ky, kx)
        if (oy >= 0 && oy < OH && ox >= 0 && ox < OH)
          sum += dout[((img * O + o) * OH + oy) * OH + ox] * w[((o * C + c) * K + ky) * K + kx];
      }
  din[i] = sum;
}

__global__ void adam_kernel(float* params, const float* grads, float* m, float* v, int count,
                            const StepClock* clock, stage04::AdamConfig config) {
  const int i = global_index();
  if (i >= count) return;
  const float alpha = adam_alpha(config, clock->step + 1);
  adam_update(params[i], m[i], v[i], grads[i], alpha, config);
}

__global__ void dropout_mask_kernel(float* mask, int count, uint64_t seed, const StepClock* clock) {
  const int i = global_index();
  if (i < count) mask[i] = dropout_keeps(seed, clock->step, i) ? 2.0f : 0.0f;
}

__global__ void advance_clock_kernel(StepClock* clock, const float* loss, int steps) {
  if (loss) clock->loss_sum += *loss;
  clock->step += steps;
}

}  // namespace

void conv2d_forward(const float* in, const float* w, const float* b, float* out, int n,
                    int channels, int size, int filters, cudaStream_t stream) {
  const int outputs = n * filters * (size - K + 1) * (size - K + 1);
  conv2d_forward_kernel<<<blocks_for(outputs), kThreads, 0, stream>>>(in, w, b, out, n, channels,
                                                                      size, filters);
  CHECK_LAUNCH("naive conv2d_forward_kernel", stream);
}

void relu_forward(float* x, int count, cudaStream_t stream) {
  relu_forward_kernel<<<blocks_for(count), kThreads, 0, stream>>>(x, count);
  CHECK_LAUNCH("naive relu_forward_kernel", stream);
}

void maxpool_forward(const float* in, float* out, int planes, int size, cudaStream_t stream) {
  const int outputs = planes * (size / 2) * (size / 2);
  maxpool_forward_kernel<<<blocks_for(outputs), kThreads, 0, stream>>>(in, out, planes, size);
  CHECK_LAUNCH("naive maxpool_forward_kernel", stream);
}

void multiply(const float* a, const float* b, float* out, int count, cudaStream_t stream) {
  multiply_kernel<<<blocks_for(count), kThreads, 0, stream>>>(a, b, out, count);
  CHECK_LAUNCH("naive multiply_kernel", stream);
}

void dense_forward(const float* in, const float* w, const float* b, float* out, int n, int inputs,
                   int outputs, cudaStream_t stream) {
  dense_forward_kernel<<<blocks_for(n * outputs), kThreads, 0, stream>>>(in, w, b, out, n, inputs,
                                                                         outputs);
  CHECK_LAUNCH("naive dense_forward_kernel", stream);
}

void softmax_cross_entropy(const float* logits, const int* labels, float* dlogits, float* loss,
                           int n, cudaStream_t stream) {
  softmax_cross_entropy_kernel<<<blocks_for(n), kThreads, 0, stream>>>(logits, labels, dlogits,
                                                                       loss, n);
  CHECK_LAUNCH("naive softmax_cross_entropy_kernel", stream);
}

void dense_backward_weight(const float* dout, const float* in, float* dw, int n, int inputs,
                           int outputs, cudaStream_t stream) {
  dense_backward_weight_kernel<<<blocks_for(inputs * outputs), kThreads, 0, stream>>>(
      dout, in, dw, n, inputs, outputs);
  CHECK_LAUNCH("naive dense_backward_weight_kernel", stream);
}

void dense_backward_bias(const float* dout, float* db, int n, int outputs, cudaStream_t stream) {
  dense_backward_bias_kernel<<<blocks_for(outputs), kThreads, 0, stream>>>(dout, db, n, outputs);
  CHECK_LAUNCH("naive dense_backward_bias_kernel", stream);
}

void dense_backward_input(const float* dout, const float* w, float* din, int n, int inputs,
                          int outputs, cudaStream_t stream) {
  dense_backward_input_kernel<<<blocks_for(n * inputs), kThreads, 0, stream>>>(dout, w, din, n,
                                                                               inputs, outputs);
  CHECK_LAUNCH("naive dense_backward_input_kernel", stream);
}

void maxpool_backward(const float* in, const float* dout, float* din, int planes, int size,
                      cudaStream_t stream) {
  maxpool_backward_kernel<<<blocks_for(planes * size * size), kThreads, 0, stream>>>(in, dout, din,
                                                                                     planes, size);
  CHECK_LAUNCH("naive maxpool_backward_kernel", stream);
}

void relu_backward(const float* activation, float* grad, int count, cudaStream_t stream) {
  relu_backward_kernel<<<blocks_for(count), kThreads, 0, stream>>>(activation, grad, count);
  CHECK_LAUNCH("naive relu_backward_kernel", stream);
}

void conv2d_backward_weight(const float* in, const float* dout, float* dw, int n, int channels,
                            int size, int filters, cudaStream_t stream) {
  conv2d_backward_weight_kernel<<<blocks_for(filters * channels * K * K), kThreads, 0, stream>>>(
      in, dout, dw, n, channels, size, filters);
  CHECK_LAUNCH("naive conv2d_backward_weight_kernel", stream);
}

void conv2d_backward_bias(const float* dout, float* db, int n, int filters, int out_pixels,
                          cudaStream_t stream) {
  conv2d_backward_bias_kernel<<<blocks_for(filters), kThreads, 0, stream>>>(dout, db, n, filters,
                                                                            out_pixels);
  CHECK_LAUNCH("naive conv2d_backward_bias_kernel", stream);
}

void conv2d_backward_input(const float* dout, const float* w, float* din, int n, int channels,
                           int size, int filters, cudaStream_t stream) {
  conv2d_backward_input_kernel<<<blocks_for(n * channels * size * size), kThreads, 0, stream>>>(
      dout, w, din, n, channels, size, filters);
  CHECK_LAUNCH("naive conv2d_backward_input_kernel", stream);
}

void adam(float* params, const float* grads, float* m, float* v, int count, const StepClock* clock,
          const stage04::AdamConfig& config, cudaStream_t stream) {
  adam_kernel<<<blocks_for(count), kThreads, 0, stream>>>(params, grads, m, v, count, clock,
                                                          config);
  CHECK_LAUNCH("naive adam_kernel", stream);
}

void dropout_mask(float* mask, int count, uint64_t seed, const StepClock* clock,
                  cudaStream_t stream) {
  dropout_mask_kernel<<<blocks_for(count), kThreads, 0, stream>>>(mask, count, seed, clock);
  CHECK_LAUNCH("dropout_mask_kernel", stream);
}

void advance_clock(StepClock* clock, const float* loss, int steps, cudaStream_t stream) {
  advance_clock_kernel<<<1, 1, 0, stream>>>(clock, loss, steps);
  CHECK_LAUNCH("advance_clock_kernel", stream);
}

}  // namespace stage05::naive

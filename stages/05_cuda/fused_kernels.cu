// Rung 3 kernels: fused layers, one image per block with its data in shared memory, and one
// pass for the gradient sums and Adam.
#include "05_cuda/fused_kernels.h"

#include <stdexcept>
#include <string>

#include "05_cuda/adam_update.cuh"
#include "05_cuda/conv1_relu_pool_block.cuh"
#include "05_cuda/cuda_check.h"
#include "05_cuda/dense_softmax_row.cuh"
#include "05_cuda/device_random.h"
#include "05_cuda/draw_row.cuh"
#include "05_cuda/overlapped_launch.cuh"
#include "05_cuda/param_layout.h"
#include "05_cuda/pool1_conv1_backward.cuh"
#include "05_cuda/sizes.h"
#include "05_cuda/split_sum.cuh"
#include "05_cuda/stage_to_shared.cuh"

namespace stage05::fused {

namespace {

using namespace sizes;
constexpr int K3 = kKernel;
constexpr int kPool1Windows = kPool1Size * kPool1Size;  // 169 windows per conv1 channel
constexpr int kPool2Windows = kPool2Size * kPool2Size;  // 25 windows per conv2 channel
constexpr int kConv2Fan = kConv1Channels * kTaps;       // 288 weights per conv2 filter

__device__ int global_index() {
  return blockIdx.x * blockDim.x + threadIdx.x;
}

// ---- the batch: one block per row ---------------------------------------------------------

constexpr int kPrepareThreads = 256;
static_assert(kImage % 4 == 0, "images are copied as float4");

__global__ void __launch_bounds__(kPrepareThreads)
    prepare_batch_kernel(BatchSource source, const StepClock* clock, bool dropout, float* images,
                         int* labels, float* mask) {
  wait_for_previous_kernel();  // before any memory is touched (overlapped_launch.cuh)
  const int row = blockIdx.x;
  const float* image = draw_row<kPrepareThreads>(source, clock, dropout, row, labels, mask);
  // The copy, 16 bytes per thread per load (an image is 3,136 bytes: 196 float4s).
  const float4* from = reinterpret_cast<const float4*>(image);
  float4* to = reinterpret_cast<float4*>(images + int64_t{row} * kImage);
  for (int i = threadIdx.x; i < kImage / 4; i += kPrepareThreads) to[i] = from[i];
}

// ---- conv1 + ReLU + pool: one image per block ---------------------------------------------

constexpr int kConv1PerThread = 8;  // channels per thread: the 4x4 patch is loaded once for 8
constexpr int kConv1Threads = kPool1Windows * (kConv1Channels / kConv1PerThread);  // 676

// conv1_relu_pool_block's results into pool1 and its argmax in global memory, image `img`.
struct Pool1Store {
  float* pooled;
  uint8_t* argmax;
  int img;
  __device__ void operator()(int c, int window, float value, int winner) const {
    const int at = img * kPool1Out + c * kPool1Windows + window;
    pooled[at] = value;
    argmax[at] = static_cast<uint8_t>(winner);
  }
};

__global__ void __launch_bounds__(kConv1Threads)
    conv1_relu_pool_kernel(const float* images, const float* w, const float* b, float* pooled,
                           uint8_t* argmax) {
  wait_for_previous_kernel();  // before any memory is touched (overlapped_launch.cuh)
  __shared__ __align__(16) float x[kImage];
  const int img = blockIdx.x;
  __shared__ Conv1Shared conv1;
  copy_image<kConv1Threads>(images + int64_t{img} * kImage, x, nullptr);
  stage_conv1<kConv1Threads>(conv1, w, b);
  __syncthreads();
  conv1_relu_pool_block<kConv1Threads, kConv1PerThread>(x, conv1, Pool1Store{pooled, argmax, img});
}

// conv1_relu_pool_kernel that first draws its own row of the batch (prepare_batch_kernel's
// work): the image goes from the set into shared memory and, for the backward pass, into
// `images`. One launch fewer per step, and the image is read from global memory once.
__global__ void __launch_bounds__(kConv1Threads)
    gather_conv1_relu_pool_kernel(BatchSource source, const StepClock* clock, float* images,
                                  int* labels, float* mask, const float* w, const float* b,
                                  float* pooled, uint8_t* argmax) {
  wait_for_previous_kernel();  // before any memory is touched (overlapped_launch.cuh)
  __shared__ __align__(16) float x[kImage];
  const int img = blockIdx.x;
  __shared__ Conv1Shared conv1;
  const float* image = draw_row<kConv1Threads>(source, clock, true, img, labels, mask);
  copy_image<kConv1Threads>(image, x, images + int64_t{img} * kImage);
  stage_conv1<kConv1Threads>(conv1, w, b);
  __syncthreads();
  conv1_relu_pool_block<kConv1Threads, kConv1PerThread>(x, conv1, Pool1Store{pooled, argmax, img});
}

// ---- conv2 + ReLU + pool + the dense layer: one image per block -------------------------
//
// Each output is one pooling window (its 4 conv outputs) x 8 filters: 32 sums in a thread's
// registers. Per input channel the thread loads the window's 4x4 patch once and each tap's
// 8 weights as two float4: 288 multiply-adds for 34 shared-memory loads.
//
// The 200 outputs of an image are shared by 800 threads: each output's 32 input channels
// are split among four threads, 8 each, and the first adds the other three's sums to its own
// through shared memory (in that order, so the bits are the same on every run). With one
// block per multiprocessor, the threads per output are what gives each multiprocessor
// enough warps to hide the latency of the shared loads. Of the shapes measured on the H200,
// this one ran fastest: 10% faster than 8 filters x 2 threads per output, 3% faster than
// 4 filters x 2 threads (also 800 threads), 12% faster than 4 filters x 1 thread. The block
// holds the image's whole pool2 at the end, so the dense layer follows in the same kernel
// (dense_softmax_row.cuh) instead of a kernel of its own.

constexpr int kConv2PerThread = 8;     // filters per thread (a multiple of 4: float4 loads)
constexpr int kConv2ChannelSplit = 4;  // threads per output, each over 32/4 input channels
constexpr int kConv2Outputs = kPool2Windows * kConv2Channels / kConv2PerThread;  // 200
constexpr int kConv2SplitChannels = kConv1Channels / kConv2ChannelSplit;         // 8
constexpr int kConv2Sums = 4 * kConv2PerThread;  // 4 corners x 8 filters per output
// 800, rounded up to whole warps (the dense layer's sums add whole warps).
constexpr int kConv2Threads = (kConv2Outputs * kConv2ChannelSplit + 31) / 32 * 32;
static_assert(kConv1Channels % kConv2ChannelSplit == 0, "equal shares of the input channels");
// Transposed weights [c*9+tap][filter], rows padded to 68 floats: 16-byte aligned for the
// float4 loads, and the transposing stores spread over more banks.
constexpr int kWeightStride = kConv2Channels + 4;
// pool1, the weights, the bias, pool2 (for the dense layer), and the sums of the later shares
// of the channels, [share-1][sum][output] so that a warp's stores are consecutive.
constexpr int kConv2PartialSums = kLaterPartSums<kConv2ChannelSplit, kConv2Sums, kConv2Outputs>;
constexpr size_t kConv2Smem = sizeof(float) * (kPool1Out + kConv2Fan * kWeightStride +
                                               kConv2Channels + kFlat + kConv2PartialSums);

__global__ void __launch_bounds__(kConv2Threads)
    conv2_relu_pool_kernel(const float* pool1, const float* w, const float* b, float* pooled,
                           uint8_t* argmax, DenseHead head) {
  wait_for_previous_kernel();  // before any memory is touched (overlapped_launch.cuh)
  extern __shared__ __align__(16) float smem[];
  float* in = smem;                              // [32,13,13] this image's pool1 output
  float* wt = in + kPool1Out;                    // [288][68] the filters, filter fastest
  float* bias = wt + kConv2Fan * kWeightStride;  // [64]
  float* features = bias + kConv2Channels;       // [1600] pool2, for the dense layer
  float* partial = features + kFlat;             // the later shares' sums
  const int img = blockIdx.x, t = threadIdx.x;
  stage<sizeof(float) * kPool1Out, kConv2Threads>(in, pool1 + int64_t{img} * kPool1Out);
  // Unrolled, so that a thread's loads are in flight together rather than one memory
  // latency per iteration.
#pragma unroll 8
  for (int e = t; e < kConv2Channels * kConv2Fan; e += kConv2Threads) {
    const int f = e / kConv2Fan, k = e % kConv2Fan;  // coalesced reads of w[f][k]
    wt[k * kWeightStride + f] = w[f * kConv2Fan + k];
  }
  if (t < kConv2Channels) bias[t] = b[t];
  __syncthreads();

  const int share = t / kConv2Outputs, output = t % kConv2Outputs;
  const int window = output % kPool2Windows, f0 = output / kPool2Windows * kConv2PerThread;
  const int py = window / kPool2Size, px = window % kPool2Size;
  float acc[4][kConv2PerThread] = {};
  if (share < kConv2ChannelSplit) {  // (threads past the last share, if any, only wait)
    const int c0 = share * kConv2SplitChannels;
    for (int c = c0; c < c0 + kConv2SplitChannels; ++c) {
      const float* p = in + c * kPool1Windows + 2 * py * kPool1Size + 2 * px;
      float patch[4][4];
#pragma unroll
      for (int r = 0; r < 4; ++r)
#pragma unroll
        for (int s = 0; s < 4; ++s) patch[r][s] = p[r * kPool1Size + s];
#pragma unroll
      for (int tap = 0; tap < kTaps; ++tap) {
        const float* wp = &wt[(c * kTaps + tap) * kWeightStride + f0];
        float4 wv[kConv2PerThread / 4];
#pragma unroll
        for (int q = 0; q < kConv2PerThread / 4; ++q)
          wv[q] = *reinterpret_cast<const float4*>(wp + 4 * q);
        const int ky = tap / K3, kx = tap % K3;
#pragma unroll
        for (int corner = 0; corner < 4; ++corner) {
          const float v = patch[corner / 2 + ky][corner % 2 + kx];
#pragma unroll
          for (int q = 0; q < kConv2PerThread / 4; ++q) {
            acc[corner][4 * q + 0] += v * wv[q].x;
            acc[corner][4 * q + 1] += v * wv[q].y;
            acc[corner][4 * q + 2] += v * wv[q].z;
            acc[corner][4 * q + 3] += v * wv[q].w;
          }
        }
      }
    }
  }
  add_later_parts<kConv2ChannelSplit, kConv2Sums, kConv2Outputs>(
      partial, share, output,
      [&](int i) -> float& { return acc[i / kConv2PerThread][i % kConv2PerThread]; });

  if (share == 0) {
    // Bias, then the max over the four corners (the first wins a tie, as in stage 04), ReLU.
#pragma unroll
    for (int f = 0; f < kConv2PerThread; ++f) {
      float best = acc[0][f] + bias[f0 + f];
      int winner = 0;
#pragma unroll
      for (int corner = 1; corner < 4; ++corner) {
        const float v = acc[corner][f] + bias[f0 + f];
        if (v > best) {
          best = v;
          winner = corner;
        }
      }
      const int at = (f0 + f) * kPool2Windows + window;  // flatten: (C,H,W)
      pooled[img * kFlat + at] = fmaxf(best, 0.0f);
      argmax[img * kFlat + at] = static_cast<uint8_t>(winner);
      features[at] = fmaxf(best, 0.0f);
    }
  }
  __syncthreads();
  dense_softmax_row<kConv2Threads>(features, head, img);
}

// ---- conv backward: one image per block ---------------------------------------------------
//
// Each pooling window passes its gradient to its winning position only, so a filter's
// gradient comes from 25 conv2 outputs, not 121, and windows that dropout or ReLU zeroed
// are skipped (g is the same across the warp, so the warp skips together). Lane = input
// channel c throughout. Two passes over the image's 64 x 25 windows:
//   - dW2 (warp = filter o): the lane's 3x3 patch of pool1 under the winner gives
//     dW2[o,c,:,:], in registers;
//   - d(pool1) (warp = window q): the lane adds g x W2[o,c,:,:] for every filter into the
//     4x4 block of pool1 that window q's patches can touch, also in registers.
// The second pass used to be part of the first, each warp scattering g x W2 into a shared
// d(pool1) with atomic adds, since other filters' warps hit the same places. Shared-memory
// float atomics compile to compare-and-swap loops (a load, an add, a swap that may fail and
// go round again: ATOMS.CAST.SPIN in the machine code), one for every product, and they
// made that kernel rung 3's largest cost. Window q's block overlaps only its
// neighbours', so the 25 warps add their blocks into d(pool1) in four rounds in which no
// two blocks touch (windows of the same row and column parity), in the same order on every
// run.

constexpr int kBackwardWarps = 32;
constexpr int kBackwardThreads = kBackwardWarps * 32;  // 1,024: lane = conv1 channel
static_assert(kConv1Channels == 32, "one lane per conv1 channel");
static_assert(kPool2Windows <= kBackwardWarps, "a warp per window position");
static_assert(kPool1Conv1Scratch<kBackwardWarps> <= kConv2Channels * kConv2Fan,
              "pool1_conv1_backward's scratch fits where the weights were");
constexpr size_t kBackwardSmem =
    sizeof(float) * (2 * kPool1Out + kConv2Channels * kConv2Fan + kFlat + kImage) +
    sizeof(uint8_t) * (kFlat + kPool1Out);

// acc[cy + ty][cx + tx] += g * w[ty][tx]: one window's product, corner (cy, cx) of the
// window holding its winner. The corner is a template argument so that every register
// index is a constant (an array indexed at run time would live in local memory).
template <int kCornerY, int kCornerX>
__device__ void add_winner_patch(float (&acc)[4][4], float g, const float* w) {
#pragma unroll
  for (int ty = 0; ty < K3; ++ty)
#pragma unroll
    for (int tx = 0; tx < K3; ++tx) acc[kCornerY + ty][kCornerX + tx] += g * w[ty * K3 + tx];
}

__global__ void __launch_bounds__(kBackwardThreads)
    conv_backward_kernel(const float* images, const float* pool1, const uint8_t* pool1_argmax,
                         const uint8_t* pool2_argmax, const float* dpool2,
                         const float* conv2_weight, float* partials) {
  wait_for_previous_kernel();  // before any memory is touched (overlapped_launch.cuh)
  extern __shared__ __align__(16) float smem[];
  float* p1 = smem;                             // [32,13,13] this image's pool1 output
  float* dp1 = p1 + kPool1Out;                  // [32,13,13] d(loss)/d(pool1)
  float* w2 = dp1 + kPool1Out;                  // [64,32,9] conv2's weights
  float* g2 = w2 + kConv2Channels * kConv2Fan;  // [64,25] d(loss)/d(each pool2 window's max)
  float* x = g2 + kFlat;                        // [28,28] the image
  uint8_t* a2 = reinterpret_cast<uint8_t*>(x + kImage);  // [64,25] window winners
  uint8_t* a1 = a2 + kFlat;  // [32,13,13] pool1's winners, read by the conv1 part

  const int img = blockIdx.x, t = threadIdx.x, warp = t / 32, c = t % 32;
  constexpr int T = kBackwardThreads;
  stage<sizeof(float) * kPool1Out, T>(p1, pool1 + int64_t{img} * kPool1Out);
  stage<sizeof(float) * kConv2Channels * kConv2Fan, T>(w2, conv2_weight);
  stage<sizeof(float) * kFlat, T>(g2, dpool2 + int64_t{img} * kFlat);
  stage<sizeof(float) * kImage, T>(x, images + int64_t{img} * kImage);
  stage<kFlat, T>(a2, pool2_argmax + int64_t{img} * kFlat);
  stage<kPool1Out, T>(a1, pool1_argmax + int64_t{img} * kPool1Out);
  for (int i = t; i < kPool1Out / 4; i += T)
    reinterpret_cast<float4*>(dp1)[i] = make_float4(0, 0, 0, 0);
  __syncthreads();

  float* out = partials + int64_t{img} * layout::kConvTotal;
  // dW2 and db2: warp = filter.
  for (int o = warp; o < kConv2Channels; o += kBackwardWarps) {
    float dw[kTaps] = {}, db = 0;
    for (int q = 0; q < kPool2Windows; ++q) {
      const float g = g2[o * kPool2Windows + q];
      if (g == 0.0f) continue;
      const int corner = a2[o * kPool2Windows + q];
      const int y = 2 * (q / kPool2Size) + corner / 2, xx = 2 * (q % kPool2Size) + corner % 2;
      const float* patch = p1 + c * kPool1Windows + y * kPool1Size + xx;
#pragma unroll
      for (int tap = 0; tap < kTaps; ++tap) dw[tap] += g * patch[tap / K3 * kPool1Size + tap % K3];
      db += g;
    }
#pragma unroll
    for (int tap = 0; tap < kTaps; ++tap)
      out[layout::kConv2Weight + (o * kConv1Channels + c) * kTaps + tap] = dw[tap];
    if (c == 0) out[layout::kConv2Bias + o] = db;
  }

  // d(pool1): warp = window q, over all filters. Its winners sit in rows and columns
  // 2qy..2qy+1 and 2qx..2qx+1 of conv2's output, so their patches cover rows and columns
  // 2qy..2qy+3 and 2qx..2qx+3 of pool1: acc.
  const int qy = warp / kPool2Size, qx = warp % kPool2Size;
  float acc[4][4] = {};
  if (warp < kPool2Windows) {
    for (int o = 0; o < kConv2Channels; ++o) {
      const float g = g2[o * kPool2Windows + warp];
      if (g == 0.0f) continue;
      const float* w = w2 + (o * kConv1Channels + c) * kTaps;  // lane stride 9: 32 banks
      switch (a2[o * kPool2Windows + warp]) {                  // the same for the whole warp
        case 0:
          add_winner_patch<0, 0>(acc, g, w);
          break;
        case 1:
          add_winner_patch<0, 1>(acc, g, w);
          break;
        case 2:
          add_winner_patch<1, 0>(acc, g, w);
          break;
        default:
          add_winner_patch<1, 1>(acc, g, w);
          break;
      }
    }
  }
  for (int round = 0; round < 4; ++round) {  // the parities (qy, qx): (0,0) (0,1) (1,0) (1,1)
    if (warp < kPool2Windows && (qy % 2) * 2 + qx % 2 == round) {
      float* block = dp1 + c * kPool1Windows + 2 * qy * kPool1Size + 2 * qx;
#pragma unroll
      for (int i = 0; i < 4; ++i)
#pragma unroll
        for (int j = 0; j < 4; ++j) block[i * kPool1Size + j] += acc[i][j];
    }
    __syncthreads();
  }

  pool1_conv1_backward<kBackwardWarps>([p1](int at) { return p1[at] > 0.0f; }, dp1, x, a1, w2,
                                       out);
}

// ---- finish gradients (+ Adam) ------------------------------------------------------------
//
// Three kinds of block, by blockIdx.x, all 16 columns x 16 slices of the batch: the 16
// threads of a column add up rows slice, slice + 16, ... and then the block adds the 16
// slice sums in order (so every gradient is the same sum, in the same order, whichever
// block computes it). The work is short sums over the batch, so the shape is a trade
// between blocks enough to fill the multiprocessors and work enough per block to pay for
// its start (its Adam state, its barrier): measured on the H200, this kernel took 5.5 us
// with 16 x 16 (395 blocks) or 32 x 16, and 6.7-6.8 us with 8 x 32 (789 blocks) or 16 x 32,
// where each thread waits on fewer loads but blocks are twice as many or twice as large.
//   - conv blocks: a column is 4 neighbouring conv parameters, read as one float4 from each
//     image's partials (a quarter of the load instructions of one float per thread);
//   - dense blocks: a column is one feature i, and the thread keeps all ten classes' sums
//     dW[j][i] += dlogits[row][j] * feature[row][i], so each feature is read once, not ten
//     times (the ten products of a row share it);
//   - the last block: the ten dense biases and the batch's loss.

constexpr int kFinishColumns = 16, kFinishSlices = 16;
constexpr int kFinishThreads = kFinishColumns * kFinishSlices;
constexpr int kConvPerBlock = 4 * kFinishColumns;  // 64 conv parameters per block
static_assert(layout::kConvTotal % kConvPerBlock == 0, "conv blocks tile the conv parameters");
static_assert(kFlat % kFinishColumns == 0, "dense blocks tile the features");
static_assert(kFinishThreads >= 64, "the last block's second warp adds up the loss");
constexpr int kConvBlocks = layout::kConvTotal / kConvPerBlock;  // 294
constexpr int kDenseBlocks = kFlat / kFinishColumns;             // 100
constexpr int kFinishBlocks = kConvBlocks + kDenseBlocks + 1;

static_assert(kClasses * kFinishColumns <= kFinishThreads, "a dense block's dW: a thread each");

// The parameter that thread t of `block` finishes (adds up and hands on), or -1 for none:
// each block finishes its parameters one per thread.
__device__ int finished_parameter(int block, int t) {
  if (block < kConvBlocks) return t < kConvPerBlock ? block * kConvPerBlock + t : -1;
  if (block < kConvBlocks + kDenseBlocks) {  // dW[j][feature], t = j * 16 + feature % 16
    const int first = (block - kConvBlocks) * kFinishColumns;
    return t < kClasses * kFinishColumns
               ? layout::kFcWeight + t / kFinishColumns * kFlat + first + t % kFinishColumns
               : -1;
  }
  return t < kClasses ? layout::kFcBias + t : -1;
}

// Hands one finished gradient to its parameter: stores it and, with Adam, updates it. What
// the update reads besides the gradient (the parameter, its moments, alpha) is read first,
// by load(), at the start of the kernel: those loads' latency then passes while the partial
// sums are read, instead of after them.
template <bool kAdam>
struct GradientSink {
  float* grads;
  float* params;
  float* m;
  float* v;
  stage04::AdamConfig config;
  struct State {
    float param = 0, m = 0, v = 0, alpha = 0;
  };
  __device__ State load(int p, int64_t t) const {  // t: Adam's step count
    return {params[p], m[p], v[p], adam_alpha(config, t)};
  }
  __device__ void operator()(int p, float g, State s) const {
    grads[p] = g;
    if constexpr (kAdam) {
      adam_update(s.param, s.m, s.v, g, s.alpha, config);
      params[p] = s.param;
      m[p] = s.m;
      v[p] = s.v;
    }
  }
};

// Block b of the launch does block first_block + b of the list above (a launch may do only
// the conv blocks, or only the dense ones: see ParamRange).
template <bool kAdam>
__global__ void __launch_bounds__(kFinishThreads)
    finish_gradients_kernel(GradientSources in, int first_block, bool with_loss, float* grads,
                            float* loss, float* params, float* m, float* v, StepClock* clock,
                            int step_offset, stage04::AdamConfig config) {
  wait_for_previous_kernel();  // before any memory is touched (overlapped_launch.cuh)
  const int block = first_block + static_cast<int>(blockIdx.x);
  const int column = threadIdx.x, slice = threadIdx.y, t = slice * kFinishColumns + column;
  const GradientSink<kAdam> sink{grads, params, m, v, config};
  const int mine = finished_parameter(block, t);
  typename GradientSink<kAdam>::State state;
  if constexpr (kAdam) {
    if (mine >= 0) state = sink.load(mine, clock->step + step_offset + 1);
  }
  __shared__ float sums[kFinishSlices][kClasses * kFinishColumns];

  if (block < kConvBlocks) {  // 64 conv parameters: sums of the per-image partials
    const int first = block * kConvPerBlock + 4 * column;
    float4 s = make_float4(0, 0, 0, 0);
    // Unrolled by 8, a batch of 128 rows over 16 slices: all of a thread's loads go out
    // before its first add waits on one (by 4, two rounds of waiting: 5.6 us on the H200
    // for the kernel with Adam, against 5.1-5.4).
#pragma unroll 8
    for (int row = slice; row < in.n; row += kFinishSlices) {
      const float4 p =
          *reinterpret_cast<const float4*>(in.partials + int64_t{row} * layout::kConvTotal + first);
      s.x += p.x;
      s.y += p.y;
      s.z += p.z;
      s.w += p.w;
    }
    reinterpret_cast<float4*>(sums[slice])[column] = s;
    __syncthreads();
    if (mine >= 0) {  // parameter block * 64 + t
      float g = 0;
#pragma unroll
      for (int k = 0; k < kFinishSlices; ++k) g += sums[k][t];
      sink(mine, g, state);
    }
    return;
  }

  if (block < kConvBlocks + kDenseBlocks) {  // 16 features x 10 classes of dW
    const int i = (block - kConvBlocks) * kFinishColumns + column;
    float s[kClasses] = {};
    // Unrolled by 8 as well: left to the compiler, this loop went two rows at a time, so a
    // thread waited on memory four times over. Unrolled, the kernel took 0.97 of its time
    // on the H200, and these blocks still finish last: without their sums (a timing-only
    // build) it took 0.72.
#pragma unroll 8
    for (int row = slice; row < in.n; row += kFinishSlices) {
      const float f = in.mask ? in.pool2[row * kFlat + i] * in.mask[row * kFlat + i]
                              : in.pool2[row * kFlat + i];
#pragma unroll
      for (int j = 0; j < kClasses; ++j) s[j] += in.dlogits[row * kClasses + j] * f;
    }
#pragma unroll
    for (int j = 0; j < kClasses; ++j) sums[slice][j * kFinishColumns + column] = s[j];
    __syncthreads();
    if (mine >= 0) {  // dW[t / 16][first feature + t % 16]
      float g = 0;
#pragma unroll
      for (int k = 0; k < kFinishSlices; ++k) g += sums[k][t];
      sink(mine, g, state);
    }
    return;
  }

  // The last block: the dense biases (db[j] = the sum of dlogits[row][j]) and the loss.
  for (int j = column; j < kClasses; j += kFinishColumns) {  // (a class per column)
    float s = 0;
#pragma unroll 8
    for (int row = slice; row < in.n; row += kFinishSlices) s += in.dlogits[row * kClasses + j];
    sums[slice][j] = s;
  }
  if (with_loss && t / 32 == 1) {  // one warp, the second, adds up the batch's loss meanwhile
    const int lane = t % 32;
    float sum = 0;
#pragma unroll 4
    for (int row = lane; row < in.n; row += 32) sum += in.row_loss[row];
    sum = warp_sum(sum);
    if (lane == 0) {
      *loss = sum / in.n;
      if constexpr (kAdam) clock->loss_sum += sum / in.n;
    }
  }
  __syncthreads();
  if (mine >= 0) {  // db[t]
    float g = 0;
#pragma unroll
    for (int k = 0; k < kFinishSlices; ++k) g += sums[k][t];
    sink(mine, g, state);
  }
}

constexpr int kAdamThreads = 256;

__global__ void adam_kernel(float* params, const float* grads, float* m, float* v,
                            const StepClock* clock, stage04::AdamConfig config) {
  wait_for_previous_kernel();  // before any memory is touched (overlapped_launch.cuh)
  const int i = global_index();
  if (i < layout::kTotal)
    adam_update(params[i], m[i], v[i], grads[i], adam_alpha(config, clock->step + 1), config);
}

int blocks(int count, int threads) {
  return (count + threads - 1) / threads;
}

// The blocks that do the parameters in `range`; throws unless the range is one of those
// that whole blocks make up: all parameters, the conv layers' or the dense layer's.
struct FinishBlocks {
  int first, count;
  static FinishBlocks of(ParamRange range) {
    const auto block_at = [](int p) {
      if (p == 0) return 0;
      if (p == layout::kConvTotal) return kConvBlocks;
      if (p == layout::kTotal) return kFinishBlocks;
      throw std::invalid_argument("finish_gradients: a range must begin and end at 0, " +
                                  std::to_string(layout::kConvTotal) + " or " +
                                  std::to_string(layout::kTotal) + ", not at " + std::to_string(p));
    };
    const int first = block_at(range.begin), end = block_at(range.end);
    if (end <= first) throw std::invalid_argument("finish_gradients: an empty range");
    return {first, end - first};
  }
};

}  // namespace

void set_kernel_attributes() {
  // A block may use more than 48 KB of shared memory only once its kernel asks for it.
  allow_shared_memory(reinterpret_cast<const void*>(conv2_relu_pool_kernel),
                      "rung 3's conv2_relu_pool_kernel", kConv2Smem);
  allow_shared_memory(reinterpret_cast<const void*>(conv_backward_kernel),
                      "rung 3's conv_backward_kernel", kBackwardSmem);
}

void prepare_batch(const BatchSource& source, int n, const StepClock* clock, bool dropout,
                   float* images, int* labels, float* mask, cudaStream_t stream) {
  launch_overlapped("prepare_batch_kernel", prepare_batch_kernel, n, kPrepareThreads, 0, stream,
                    source, clock, dropout, images, labels, mask);
}

void conv1_relu_pool(const float* images, const float* w, const float* b, float* pooled,
                     uint8_t* argmax, int n, cudaStream_t stream) {
  launch_overlapped("conv1_relu_pool_kernel", conv1_relu_pool_kernel, n, kConv1Threads, 0, stream,
                    images, w, b, pooled, argmax);
}

void gather_conv1_relu_pool(const BatchSource& source, int n, const StepClock* clock, float* images,
                            int* labels, float* mask, const float* w, const float* b, float* pooled,
                            uint8_t* argmax, cudaStream_t stream) {
  launch_overlapped("gather_conv1_relu_pool_kernel", gather_conv1_relu_pool_kernel, n,
                    kConv1Threads, 0, stream, source, clock, images, labels, mask, w, b, pooled,
                    argmax);
}

void conv2_relu_pool_dense(const float* pool1, const float* w, const float* b, float* pooled,
                           uint8_t* argmax, const DenseHead& head, cudaStream_t stream) {
  launch_overlapped("conv2_relu_pool_kernel with dense", conv2_relu_pool_kernel, head.n,
                    kConv2Threads, kConv2Smem, stream, pool1, w, b, pooled, argmax, head);
}

void conv_backward(const float* images, const float* pool1, const uint8_t* pool1_argmax,
                   const uint8_t* pool2_argmax, const float* dpool2, const float* conv2_weight,
                   float* partials, int n, cudaStream_t stream) {
  launch_overlapped("conv_backward_kernel", conv_backward_kernel, n, kBackwardThreads,
                    kBackwardSmem, stream, images, pool1, pool1_argmax, pool2_argmax, dpool2,
                    conv2_weight, partials);
}

void finish_gradients(const GradientSources& in, float* grads, float* loss, cudaStream_t stream) {
  finish_gradients(in, {0, layout::kTotal}, true, grads, loss, stream);
}

void finish_gradients(const GradientSources& in, ParamRange range, bool with_loss, float* grads,
                      float* loss, cudaStream_t stream) {
  const FinishBlocks blocks = FinishBlocks::of(range);
  if (with_loss && range.end != layout::kTotal) {
    throw std::invalid_argument("finish_gradients: the loss comes with the dense layer's range");
  }
  launch_overlapped("finish_gradients_kernel", finish_gradients_kernel<false>, blocks.count,
                    dim3(kFinishColumns, kFinishSlices), 0, stream, in, blocks.first, with_loss,
                    grads, loss, nullptr, nullptr, nullptr, nullptr, 0, stage04::AdamConfig{});
}

void finish_gradients_and_adam(const GradientSources& in, float* grads, float* loss, float* params,
                               float* m, float* v, StepClock* clock, int step_offset,
                               const stage04::AdamConfig& config, cudaStream_t stream) {
  launch_overlapped("finish_gradients_kernel with Adam", finish_gradients_kernel<true>,
                    kFinishBlocks, dim3(kFinishColumns, kFinishSlices), 0, stream, in, 0, true,
                    grads, loss, params, m, v, clock, step_offset, config);
}

void adam(float* params, const float* grads, float* m, float* v, const StepClock* clock,
          const stage04::AdamConfig& config, cudaStream_t stream) {
  launch_overlapped("fused adam_kernel", adam_kernel, blocks(layout::kTotal, kAdamThreads),
                    kAdamThreads, 0, stream, params, grads, m, v, clock, config);
}

}  // namespace stage05::fused

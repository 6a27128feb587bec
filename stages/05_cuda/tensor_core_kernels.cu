// Rung 4 kernels: conv2's forward and backward products on the tensor cores in TF32 (the
// forward on mma.sync, the two backward products on Hopper's wgmma), one image per block
// with everything it reads in shared memory.
#include "05_cuda/tensor_core_kernels.h"

#include "05_cuda/conv1_relu_pool_block.cuh"
#include "05_cuda/cuda_check.h"
#include "05_cuda/dense_softmax_row.cuh"
#include "05_cuda/draw_row.cuh"
#include "05_cuda/mma_tf32.cuh"
#include "05_cuda/overlapped_launch.cuh"
#include "05_cuda/param_layout.h"
#include "05_cuda/pool1_conv1_backward.cuh"
#include "05_cuda/row_order.cuh"
#include "05_cuda/sizes.h"
#include "05_cuda/split_sum.cuh"
#include "05_cuda/stage_to_shared.cuh"
#include "05_cuda/wgmma_tf32.cuh"

#include <stdexcept>
#include <string>

namespace stage05::tc {

namespace {

using namespace sizes;
constexpr int kPool1Windows = kPool1Size * kPool1Size;  // 169 positions per pool1 channel
constexpr int kPool2Windows = kPool2Size * kPool2Size;  // 25 windows per conv2 channel
constexpr int kConv2Fan = kConv1Channels * kTaps;       // 288 weights per conv2 filter

// conv2's weights as dX's B (wgmma_tf32.cuh): k = tap * 64 + filter, n = channel.
using InputGradientWeights = CoreMatrices<kConv1Channels>;

// The forward kernel's share of the weights for the backward's dX: block b of the grid
// writes the b-th slice of `arranged` (InputGradientWeights, kConv2Channels * kConv2Fan
// floats), reading them from its own TF32 copy in shared memory, w [filter][kStride]. Laying
// them out in every backward block instead cost that kernel 4 us on the H200: the layout
// puts a filter's consecutive weights in 4 banks, so those stores conflicted 8 ways; here
// each block writes 144 of them, in order.
template <int kThreads, int kStride>
__device__ void arrange_share(float* arranged, const float* w) {
  constexpr int kCount = kConv2Channels * kConv2Fan;
  const int share = (kCount + static_cast<int>(gridDim.x) - 1) / static_cast<int>(gridDim.x);
  const int end = min(kCount, (static_cast<int>(blockIdx.x) + 1) * share);
  for (int i = static_cast<int>(blockIdx.x) * share + static_cast<int>(threadIdx.x); i < end;
       i += kThreads) {
    int k, n;
    InputGradientWeights::element(i, k, n);
    const int tap = k / kConv2Channels, f = k % kConv2Channels, c = n;
    arranged[i] = w[f * kStride + c * kTaps + tap];
  }
}

// Runs kSteps steps of a warpgroup's product: load(s, a) loads step s's A fragment into a,
// mma(s, a) issues step s's wgmma. The wgmmas of kBatch steps go out together, and the
// next batch's loads run while they do: a wgmma takes many cycles from issue to result, and
// waiting for each before loading the next would leave the tensor cores idle.
template <int kSteps, int kBatch, typename Load, typename Mma>
__device__ void wgmma_steps(Load load, Mma mma) {
  static_assert(kSteps % kBatch == 0, "whole batches");
  constexpr int kBatches = kSteps / kBatch;
  uint32_t a[2][kBatch][4];  // two batches' A fragments: one being multiplied, one loading
#pragma unroll
  for (int i = 0; i < kBatch; ++i) load(i, a[0][i]);
#pragma unroll
  for (int batch = 0; batch < kBatches; ++batch) {
#ifdef STAGE05_WGMMA
    wgmma_fence();  // this batch's fragments were just loaded
#endif
#pragma unroll
    for (int i = 0; i < kBatch; ++i) mma(batch * kBatch + i, a[batch % 2][i]);
#ifdef STAGE05_WGMMA
    wgmma_commit();
    wgmma_wait<1>();  // the batch before has finished with its fragments' registers
#endif
    if (batch + 1 < kBatches) {
#pragma unroll
      for (int i = 0; i < kBatch; ++i) load((batch + 1) * kBatch + i, a[(batch + 1) % 2][i]);
    }
  }
#ifdef STAGE05_WGMMA
  wgmma_wait<0>();
#endif
}

// kRows conv2 filters (288 weights each, from `from`) into shared rows of kStride floats,
// rounded to TF32. 16-byte loads, and the loop unrolled so that each thread has several
// loads in flight: a loop of one dependent 4-byte load at a time waits on memory for
// every element (that alone made the first version's staging slower than its products).
template <int kRows, int kStride, int kThreads>
__device__ void stage_weights(float* to, const float* from) {
  constexpr int kVectors = kConv2Fan / 4;  // 72 per filter
  static_assert(kStride % 4 == 0, "rows stay 16-byte aligned");
  const float4* src = reinterpret_cast<const float4*>(from);
#pragma unroll 6
  for (int i = threadIdx.x; i < kRows * kVectors; i += kThreads) {
    const float4 v = src[i];
    *reinterpret_cast<float4*>(to + i / kVectors * kStride + i % kVectors * 4) =
        make_float4(round_to_tf32(v.x), round_to_tf32(v.y), round_to_tf32(v.z), round_to_tf32(v.w));
  }
}

// ---- conv2 + ReLU + pool, forward ---------------------------------------------------------
//
// On mma.sync (mma_tf32.cuh). A wgmma version of this kernel (a warpgroup's 64 rows being 16
// windows x 4 corners, a warp per corner) took 15.1 us on the H200 against this one's 11.8
// in the same run: its four corners met in shared memory for the pooling (32 KB stored and
// loaded, two more barriers), where here a lane holds all four corners of its windows and
// pooling is a max over four registers.
//
// Per image, C[row][filter] = sum_k A[row][k] B[k][filter] with k = tap * 32 + channel (so
// that one 8-wide step of k is 8 channels of one tap) and A[row][k] = pool1[channel][y+ky]
// [x+kx]. A row is one corner (0..3) of one pooling window: the four corners of a window
// are the same row of four separate 16-row tiles, so the lane that holds one corner's sum
// holds the other three as well, and the pooling is a max over four of its registers.
// 25 windows fill two 16-row tiles (7 padding rows, computed and dropped), in the order of
// kForwardRows below.

//
// One block per image, all 64 filters: each warp takes 16 windows x 16 filters over a part
// of K, and the block's one image is all the work its multiprocessor has. (Two blocks of 32
// filters per image ran the same number of warps; one block has the image's whole pool2 at
// the end, so the dense layer can follow in the same kernel.) With K whole, the 8 warps each
// wait on their own chain of shared loads and products; split in two, 16 warps hide each
// other's waits, and part 0 adds part 1's sums after the loop, in a fixed order. On the
// H200 that took the kernel to 0.93 of its time with K whole; three parts ran no faster,
// four as slowly as one.
constexpr int kForwardKSplit = 2;  // warps per (window tile, filter group), each over 1/2 of K
constexpr int kForwardWarps = 2 * kConv2Channels / 16 * kForwardKSplit;  // 2 x 4 x 2 = 16
constexpr int kForwardThreads = kForwardWarps * 32;
constexpr int kForwardPartLanes = 8 * 32;  // the lanes of one part of K
constexpr int kForwardSums = 4 * 2 * 4;    // [corner][filter tile of 8][fragment] per lane
// Weights [filter][288], rows padded to 292 floats: lane (g, t) reads filter g, channel t
// of one tap at g * 292 + t * 9, and 292 = 4 (mod 32) puts the 32 lanes in 32 banks.
constexpr int kForwardWeightStride = kConv2Fan + 4;
// pool1, the weights, the bias, the pooled outputs for the dense layer, and the sums of the
// later parts of K, [part-1][sum][lane of the part] so that a warp's stores are consecutive.
constexpr size_t kForwardSmem =
    sizeof(float) * (kPool1Out + kConv2Channels * kForwardWeightStride + kConv2Channels + kFlat +
                     kLaterPartSums<kForwardKSplit, kForwardSums, kForwardPartLanes>);
static_assert(kConv1Channels % 8 == 0, "a k step is 8 channels of one tap");
// The windows over the 32 rows, in an order whose A loads are free of bank conflicts
// (row_order.cuh): lane q of window (wy, wx)'s row reads pool1 at channel q of the
// window's top-left corner, 2 wy rows and 2 wx columns in.
__constant__ RowOrder<32> kForwardRows = order_rows<32, kPool2Windows>([](int w, int q) {
  return 2 * (w / kPool2Size) * kPool1Size + 2 * (w % kPool2Size) + q * kPool1Windows;
});

// Where the forward kernel's input, pool1, comes from: memory (written by rung 3's conv1
// kernel: conv2 alone, for the tests), or conv1 run by the kernel itself on the batch's
// images, or on images it draws from the training set (the batch's first kernel).
enum class Pool1From { memory, images, set };

// What the forward kernel reads before conv2, by Pool1From.
struct FirstLayers {
  const float* pool1;         // memory: pool1
  const float* images;        // images: the batch
  fused::BatchSource source;  // set: what the kernel draws, with the three below
  const StepClock* clock;
  float* rows;       // the drawn images, kept for the backward pass
  int* labels;       // their labels
  float* mask;       // the batch's dropout mask (the dense layer reads it)
  Conv1Layer conv1;  // images, set: conv1, and where pool1 goes for the backward pass
};

// conv1's pooled outputs, into pool1 in global memory as they are, and rounded to TF32 into
// the forward kernel's own copy in shared memory.
struct Pool1Out {
  float* pool1;
  uint8_t* argmax;
  float* in;
  int img;
  __device__ void operator()(int c, int window, float value, int winner) const {
    const int at = c * kPool1Windows + window;
    pool1[int64_t{img} * kPool1Out + at] = value;
    argmax[int64_t{img} * kPool1Out + at] = static_cast<uint8_t>(winner);
    in[at] = round_to_tf32(value);
  }
};
// conv1's channels per thread at a time: 169 windows x 8 groups of 4 are 1,352 items, 2.6
// per thread of 512.
constexpr int kForwardConv1PerThread = 4;

// With kDense, the dense layer, softmax and loss follow (dense_softmax_row.cuh) on the
// pooled outputs, kept in shared memory as well. (Copying the dense weights into shared
// memory in the background during conv2, with cp.async, made the kernel 8% slower on the
// H200: conv2's products are bound by shared-memory bandwidth, and the copy's stores took
// their share of it. Loading them into registers after the products instead lets their
// latency pass while the sums are added and pooled: with that and arrange_share below, the
// kernel took 0.96 of its time.)
//
// The block also hands the backward kernel its weights: block b writes the b-th share of
// `arranged`, the weights laid out for the input gradient's wgmma (InputGradientWeights),
// from its copy in shared memory.
template <Pool1From kFrom>
__global__ void __launch_bounds__(kForwardThreads)
    forward_kernel(FirstLayers first, Conv2Layer conv2, fused::DenseHead head) {
  // From memory, the kernel is conv2 alone (the tests'); otherwise the whole forward pass.
  constexpr bool kDense = kFrom != Pool1From::memory;
  wait_for_previous_kernel();  // before any memory is touched (overlapped_launch.cuh)
  extern __shared__ __align__(16) float smem[];
  float* in = smem;                                          // [32,13,13] pool1, TF32
  float* wt = in + kPool1Out;                                // [64 filters][292], TF32
  float* bias = wt + kConv2Channels * kForwardWeightStride;  // [64]
  float* features = bias + kConv2Channels;                   // [1600] pool2, for the dense layer
  float* partial = features + kFlat;                         // the later parts' sums
  const int img = blockIdx.x, t = threadIdx.x;
  if constexpr (kFrom == Pool1From::memory) {
    stage<sizeof(float) * kPool1Out, kForwardThreads, true>(in,
                                                            first.pool1 + int64_t{img} * kPool1Out);
    stage_weights<kConv2Channels, kForwardWeightStride, kForwardThreads>(wt, conv2.w);
    if (t < kConv2Channels) bias[t] = conv2.b[t];
  } else {
    // conv1 first, into `in` (rounded: conv2's A) and, exactly, into pool1 in global memory
    // for the backward pass: one launch fewer per step, and pool1 is not read back here.
    __shared__ __align__(16) float x[kImage];
    __shared__ Conv1Shared conv1;
    const float* image = first.images + int64_t{img} * kImage;
    if constexpr (kFrom == Pool1From::set) {
      image =
          draw_row<kForwardThreads>(first.source, first.clock, true, img, first.labels, first.mask);
    }
    // Then every input's loads go out before any store waits for one: a thread that
    // stored each value as it came would wait a memory latency per input, one after
    // another. The image and conv1's parameters wait in registers while conv2's weights
    // are staged (a float4 of pixels and a weight of conv1 per thread at most).
    static_assert(kImage / 4 <= kForwardThreads && kConv1Channels * kTaps <= kForwardThreads);
    float4 pixels{};
    float w1 = 0, b1 = 0;
    if (t < kImage / 4) pixels = reinterpret_cast<const float4*>(image)[t];
    if (t < kConv1Channels * kTaps) w1 = first.conv1.w[t];
    if (t < kConv1Channels) b1 = first.conv1.b[t];
    stage_weights<kConv2Channels, kForwardWeightStride, kForwardThreads>(wt, conv2.w);
    if (t < kConv2Channels) bias[t] = conv2.b[t];
    if (t < kImage / 4) {
      reinterpret_cast<float4*>(x)[t] = pixels;
      if constexpr (kFrom == Pool1From::set)  // the batch's row, for the backward pass
        reinterpret_cast<float4*>(first.rows + int64_t{img} * kImage)[t] = pixels;
    }
    if (t < kConv1Channels * kTaps) conv1.w[t] = w1;
    if (t < kConv1Channels) conv1.b[t] = b1;
    __syncthreads();
    conv1_relu_pool_block<kForwardThreads, kForwardConv1PerThread>(
        x, conv1, Pool1Out{first.conv1.pool1, first.conv1.argmax, in, img});
  }
  __syncthreads();
  arrange_share<kForwardThreads, kForwardWeightStride>(conv2.arranged, wt);

  const int warp = t / 32, lane = t % 32, g = lane / 4, q = lane % 4;
  const int tile = warp % 2;             // rows tile*16 .. tile*16+15 of kForwardRows
  const int f_warp = warp / 2 % 4 * 16;  // the warp's first filter
  const int part = warp / 8;             // which part of K
  // The lane's rows g and g+8: which window each computes, and where in pool1 each of the
  // window's four corners starts its 3x3 patch.
  int window[2], row_at[2][4];
  bool kept[2];
#pragma unroll
  for (int h = 0; h < 2; ++h) {
    window[h] = row_output(kForwardRows, tile * 16 + g + 8 * h, kept[h]);
    const int wy = window[h] / kPool2Size, wx = window[h] % kPool2Size;
#pragma unroll
    for (int corner = 0; corner < 4; ++corner)
      row_at[h][corner] = (2 * wy + corner / 2) * kPool1Size + 2 * wx + corner % 2;
  }

  float acc[4][2][4] = {};               // [corner][filter tile of 8][fragment]
  constexpr int kSteps = kConv2Fan / 8;  // 36
  constexpr int kStepsPerTap = kConv1Channels / 8;
  constexpr int kStepsPerPart = kSteps / kForwardKSplit;
  static_assert(kSteps % kForwardKSplit == 0, "K splits into whole steps");
  // Unrolled by 9 (the backward's loops by 6 and in full), so that the compiler can issue
  // one step's loads while an earlier step's products run: on the H200 that took 3% off
  // the backward kernel's time and 1% off this one's.
#pragma unroll 9
  for (int s = 0; s < kStepsPerPart; ++s) {
    const int step = part * kStepsPerPart + s;
    const int tap = step / kStepsPerTap, c = step % kStepsPerTap * 8 + q;
    const int k_lo = c * kPool1Windows + tap / kKernel * kPool1Size + tap % kKernel;
    const int k_hi = k_lo + 4 * kPool1Windows;  // channel c + 4
    uint32_t bf[2][2];
#pragma unroll
    for (int nt = 0; nt < 2; ++nt) {
      const float* wp = wt + (f_warp + nt * 8 + g) * kForwardWeightStride + c * kTaps + tap;
      bf[nt][0] = bits_at(wp);
      bf[nt][1] = bits_at(wp + 4 * kTaps);
    }
#pragma unroll
    for (int corner = 0; corner < 4; ++corner) {
      const uint32_t af[4] = {
          bits_at(in + row_at[0][corner] + k_lo), bits_at(in + row_at[1][corner] + k_lo),
          bits_at(in + row_at[0][corner] + k_hi), bits_at(in + row_at[1][corner] + k_hi)};
#pragma unroll
      for (int nt = 0; nt < 2; ++nt) mma_tf32(acc[corner][nt], af, bf[nt]);
    }
  }

  // The dense layer's weights and mask, loading while the sums are added and pooled.
  DenseRowInputs<kForwardThreads> dense_inputs;
  if constexpr (kDense) dense_inputs = load_dense_row_inputs<kForwardThreads>(head, img);

  // The later parts of K hand their sums to part 0, which adds them in order of part.
  add_later_parts<kForwardKSplit, kForwardSums, kForwardPartLanes>(
      partial, part, t % kForwardPartLanes,
      [&](int i) -> float& { return acc[i / 8][i / 4 % 2][i % 4]; });
  if (part == 0) {
    // Bias, then the max over the four corners (the first wins a tie, as in stage 04), ReLU.
#pragma unroll
    for (int nt = 0; nt < 2; ++nt)
#pragma unroll
      for (int h = 0; h < 2; ++h)
#pragma unroll
        for (int j = 0; j < 2; ++j) {
          if (!kept[h]) continue;  // a padding row
          const int f = f_warp + nt * 8 + 2 * q + j;
          float best = acc[0][nt][2 * h + j] + bias[f];
          int winner = 0;
#pragma unroll
          for (int corner = 1; corner < 4; ++corner) {
            const float v = acc[corner][nt][2 * h + j] + bias[f];
            if (v > best) {
              best = v;
              winner = corner;
            }
          }
          const int at = f * kPool2Windows + window[h];  // flatten: (C,H,W)
          conv2.pooled[img * kFlat + at] = fmaxf(best, 0.0f);
          conv2.argmax[img * kFlat + at] = static_cast<uint8_t>(winner);
          if constexpr (kDense) features[at] = fmaxf(best, 0.0f);
        }
  }
  if constexpr (kDense) {
    __syncthreads();
    dense_softmax_row<kForwardThreads>(features, head, img, dense_inputs);
  }
}

// ---- conv backward ------------------------------------------------------------------------
//
// d(loss)/d(conv2 output), D, is zero except at each pooling window's winner. Both conv2
// products run on wgmma (wgmma_tf32.cuh), dense, the zeros included (tensor-core time is
// cheap; branches are not):
//   dW2^T [288 (channel, tap) x 64 filters] = im2col(pool1)^T [288 x 104] x D^T [104 x 64],
//         over the 100 conv2 positions that pooling reads (and 4 zeros, to whole k steps);
//   dX [169 positions x 32 channels] = im2col(D) [169 x 576] x W2 [576 x 32],
//         with k = tap * 64 + filter and im2col(D)[pos][k] = D[filter][y-ky][x-kx].
// A, gathered from an image in shared memory, goes through registers (each lane loads its
// fragment); B is read by the tensor cores from shared memory, so it is stored in their
// layout: D^T as dW2's B, straight from the scatter, and the weights as dX's B, laid out
// by the forward kernel (arrange_share). D is also written as a plane per filter with a
// 2-wide zero border (rows and columns -2..12), so that dX's taps need no bounds check.

// 16 warps: the block's 219 KB of shared memory leave room for one block per
// multiprocessor, so its warps are all the parallel work there is to hide each other's
// latencies.
constexpr int kBackwardWarps = 16;
constexpr int kBackwardThreads = kBackwardWarps * 32;
constexpr int kBorder = 2;
constexpr int kPlaneSide = kPool1Size + kBorder;  // 15: conv2 rows -2..12
// Per-filter stride of the padded planes: 232 = 8 (mod 32), so that the 8 positions x 4
// filters of one dX fragment load fall in 32 different banks (with the row order below).
constexpr int kPlaneStride = 232;
static_assert(kPlaneStride >= kPlaneSide * kPlaneSide, "a plane fits its stride");
// dX: the 169 pool1 positions over three warpgroups' 64 rows, in an order whose A loads
// are free of bank conflicts (row_order.cuh): lane q of position p's row reads filter q's
// plane at p.
constexpr int kInputGradientGroups = 3;
__constant__ RowOrder<kInputGradientGroups * 64> kInputGradientRows =
    order_rows<kInputGradientGroups * 64, kPool1Windows>([](int p, int q) {
      return (p / kPool1Size + kBorder) * kPlaneSide + p % kPool1Size + kBorder + q * kPlaneStride;
    });
// k steps per batch of wgmmas (wgmma_steps): with 4 or 12 the kernel ran 0.1 and 1.1 us
// slower on the H200.
constexpr int kInputGradientBatch = 8;
// dW2: the 288 (channel, tap) rows over five 64-row tiles (the last half full), K the 100
// positions pooling reads, row by row, and 4 zeros.
constexpr int kPositions = 2 * kPool2Size * 2 * kPool2Size;  // 100
constexpr int kWeightGradientK = (kPositions + 7) / 8 * 8;   // 104
constexpr int kWeightGradientTiles = (kConv2Fan + 63) / 64;  // 5
using WeightGradientD = CoreMatrices<kConv2Channels>;         // D^T: k = position, n = filter
// pool1 for dW2's A loads, a channel every 180 floats: lane (g, q) reads channel-and-tap row
// g at position q, and of the strides from 169 up, 179 and 180 spread those 32 reads over
// the most banks (1.19 wavefronts per load on average, by counting; 1.53 at 169).
constexpr int kWeightGradientChannelStride = 180;
constexpr int kWeightGradientIn = kConv1Channels * kWeightGradientChannelStride;
constexpr int kWeightGradientB = kWeightGradientK * kConv2Channels;  // D^T's floats
// Bit 2 of a pool1 winner's byte (0..3 below it): the window's maximum was positive, so
// the ReLU before pooling passes its gradient. The backward keeps that decision, taken on
// the exact pool1 value, instead of the value itself: its floats then hold dp1.
constexpr uint8_t kReluPasses = 4;
constexpr size_t kBackwardSmem =
    sizeof(float) * (kWeightGradientIn + kPool1Out + kWeightGradientB +
                     kConv2Channels * kPlaneStride + kConv2Channels * kConv2Fan + kImage + kFlat) +
    sizeof(uint8_t) * (kPool1Out + kFlat);
// pool1_conv1_backward's scratch is the planes, which nothing reads by then.
static_assert(kPool1Conv1Scratch<kBackwardWarps> <= kConv2Channels * kPlaneStride);

// Offset in a pool1 channel of the top-left input of conv2 output position p (0 if p >= 100:
// its B value is zero, so any valid address will do).
__device__ int patch_offset(int p) {
  return p < kPositions ? p / 10 * kPool1Size + p % 10 : 0;
}

// dW2^T's rows 64 * tile .. 64 * tile + 63, by one warpgroup (warp: its warp in the group),
// into the image's partials.
__device__ void weight_gradient_tile(int tile, int warp, int lane, const float* in,
                                     const float* d, float* out) {
  const int g = lane / 4, q = lane % 4;
  int row[2], row_at[2];  // the lane's rows g and g + 8, and where their patches start
#pragma unroll
  for (int h = 0; h < 2; ++h) {
    row[h] = 64 * tile + 16 * warp + g + 8 * h;
    const int c = row[h] / kTaps, tap = row[h] % kTaps;  // rows past 287: loads of row 0's
    row_at[h] = row[h] < kConv2Fan
                    ? c * kWeightGradientChannelStride + tap / kKernel * kPool1Size + tap % kKernel
                    : 0;
  }
  float acc[32] = {};  // [filter tile of 8][fragment], the D layout of wgmma_tf32.cuh
  const uint64_t positions = wgmma_descriptor<kConv2Channels>(d);
  constexpr int kSteps = kWeightGradientK / 8;  // 13
  wgmma_steps<kSteps, kSteps>(
      [&](int step, uint32_t(&af)[4]) {
        const int lo = patch_offset(step * 8 + q), hi = patch_offset(step * 8 + q + 4);
        af[0] = bits_at(in + row_at[0] + lo);
        af[1] = bits_at(in + row_at[1] + lo);
        af[2] = bits_at(in + row_at[0] + hi);
        af[3] = bits_at(in + row_at[1] + hi);
      },
      [&](int step, const uint32_t(&af)[4]) {
        wgmma_tf32_n64(acc, af, positions + step * wgmma_step<kConv2Channels>());
      });
  wgmma_settle(acc);
  // dW2[filter][channel * 9 + tap]: 8 lanes write 8 consecutive rows of one filter.
#pragma unroll
  for (int h = 0; h < 2; ++h) {
    if (row[h] >= kConv2Fan) continue;  // a padding row
#pragma unroll
    for (int j = 0; j < kConv2Channels / 8; ++j)
#pragma unroll
      for (int e = 0; e < 2; ++e)
        out[layout::kConv2Weight + (8 * j + 2 * q + e) * kConv2Fan + row[h]] =
            acc[4 * j + 2 * h + e];
  }
}

// dX's rows 16 warp .. 16 warp + 15 of kInputGradientRows (a warpgroup's warp takes 16 of
// its 64) over all of K, into dp1.
__device__ void input_gradient_rows(int warp, int lane, const float* plane, const float* wt,
                                    float* dp1) {
  const int g = lane / 4, q = lane % 4;
  // The lane's rows g and g+8: which position each computes, whether it is kept, and
  // where it is in the planes.
  int pos_of[2], row_at[2];
  bool kept[2];
#pragma unroll
  for (int h = 0; h < 2; ++h) {
    pos_of[h] = row_output(kInputGradientRows, 16 * warp + g + 8 * h, kept[h]);
    row_at[h] = (pos_of[h] / kPool1Size + kBorder) * kPlaneSide + pos_of[h] % kPool1Size + kBorder;
  }
  constexpr int kFilterSteps = kConv2Channels / 8;
  float acc[16] = {};  // [channel tile of 8][fragment], the D layout of wgmma_tf32.cuh
  const uint64_t weights = wgmma_descriptor<kConv1Channels>(wt);
  wgmma_steps<kTaps * kFilterSteps, kInputGradientBatch>(
      [&](int step, uint32_t(&af)[4]) {
        const int tap = step / kFilterSteps, f = step % kFilterSteps * 8 + q;
        const int ky = tap / kKernel, kx = tap % kKernel;
        const int k_lo = f * kPlaneStride - ky * kPlaneSide - kx;
        const int k_hi = k_lo + 4 * kPlaneStride;  // filter f + 4
        af[0] = bits_at(plane + row_at[0] + k_lo);
        af[1] = bits_at(plane + row_at[1] + k_lo);
        af[2] = bits_at(plane + row_at[0] + k_hi);
        af[3] = bits_at(plane + row_at[1] + k_hi);
      },
      [&](int step, const uint32_t(&af)[4]) {
        wgmma_tf32_n32(acc, af, weights + step * wgmma_step<kConv1Channels>());
      });
  wgmma_settle(acc);
#pragma unroll
  for (int h = 0; h < 2; ++h) {
    if (!kept[h]) continue;  // a padding row
#pragma unroll
    for (int nt = 0; nt < kConv1Channels / 8; ++nt)
#pragma unroll
      for (int j = 0; j < 2; ++j)
        dp1[(nt * 8 + 2 * q + j) * kPool1Windows + pos_of[h]] = acc[4 * nt + 2 * h + j];
  }
}

__global__ void __launch_bounds__(kBackwardThreads)
    conv_backward_kernel(const float* images, const float* pool1, const uint8_t* pool1_argmax,
                         const uint8_t* pool2_argmax, const float* dpool2, const float* arranged,
                         float* partials) {
  wait_for_previous_kernel();  // before any memory is touched (overlapped_launch.cuh)
  extern __shared__ __align__(16) float smem[];
  float* in = smem;                          // [32][180] pool1, TF32 (dW2's A)
  float* p1 = in + kWeightGradientIn;        // [32,13,13] pool1 exactly, until rounded
  float* dp1 = p1;                           // [32,13,13] d(loss)/d(pool1), after that
  float* d = p1 + kPool1Out;                 // D^T, dW2's B (WeightGradientD), TF32
  float* plane = d + kWeightGradientB;       // [64][232] D, padded planes, TF32 (dX's A)
  float* wt = plane + kConv2Channels * kPlaneStride;  // dX's B (kInputGradientWeights), TF32
  float* x = wt + kConv2Channels * kConv2Fan;         // [28,28] the image
  float* g2 = x + kImage;                             // [64,25] d(loss)/d(pool2)
  uint8_t* a1 = reinterpret_cast<uint8_t*>(g2 + kFlat);  // [32,13,13] pool1 winners
  uint8_t* a2 = a1 + kPool1Out;                          // [64,25] pool2 winners

  const int img = blockIdx.x, t = threadIdx.x;
  float* out = partials + int64_t{img} * layout::kConvTotal;
  constexpr int T = kBackwardThreads;
  // Staging costs the kernel about 1.9 us (measured by staging everything twice), 1.3 of it
  // the weights. Handing the six copies to Hopper's copy engine instead (cp.async.bulk, one
  // thread issuing all six, the block waiting once on an mbarrier) was slower on the H200:
  // 15.7 us for the kernel against 15.2.
  stage<sizeof(float) * kPool1Out, T>(p1, pool1 + int64_t{img} * kPool1Out);
  stage<sizeof(float) * kImage, T>(x, images + int64_t{img} * kImage);
  stage<sizeof(float) * kFlat, T>(g2, dpool2 + int64_t{img} * kFlat);
  stage<kPool1Out, T>(a1, pool1_argmax + int64_t{img} * kPool1Out);
  stage<kFlat, T>(a2, pool2_argmax + int64_t{img} * kFlat);
  stage<sizeof(float) * kConv2Channels * kConv2Fan, T>(wt, arranged);
  for (int i = t; i < kConv2Channels * kPlaneStride / 4; i += T)
    reinterpret_cast<float4*>(plane)[i] = make_float4(0, 0, 0, 0);
  for (int i = t; i < kWeightGradientB / 4; i += T)
    reinterpret_cast<float4*>(d)[i] = make_float4(0, 0, 0, 0);
  __syncthreads();
  // pool1 again, rounded, into channels of 180 floats, and the ReLU's decision into its
  // winner's byte; each window's gradient to its winner (windows do not overlap: plain
  // stores), in the planes and in D^T.
  for (int i = t; i < kPool1Out; i += T) {
    in[i / kPool1Windows * kWeightGradientChannelStride + i % kPool1Windows] = round_to_tf32(p1[i]);
    if (p1[i] > 0.0f) a1[i] |= kReluPasses;
  }
  for (int i = t; i < kFlat; i += T) {
    const int f = i / kPool2Windows, w = i % kPool2Windows, corner = a2[i];
    const int y = 2 * (w / kPool2Size) + corner / 2, xx = 2 * (w % kPool2Size) + corner % 2;
    const float v = round_to_tf32(g2[i]);
    plane[f * kPlaneStride + (y + kBorder) * kPlaneSide + xx + kBorder] = v;
    d[WeightGradientD::at(y * 10 + xx, f)] = v;
  }
  if (t < kConv2Channels) {  // the bias gradient: a plain float32 sum, no product to round
    float db = 0;
    for (int w = 0; w < kPool2Windows; ++w) db += g2[t * kPool2Windows + w];
    out[layout::kConv2Bias + t] = db;
  }
#ifdef STAGE05_WGMMA
  fence_shared_for_wgmma();  // the tensor cores read wt and d next
#endif
  __syncthreads();

  const int warp = t / 32, lane = t % 32, group = warp / 4;
  // dX's three groups of rows and dW2's five tiles, with no barrier between them: warpgroup
  // G < 3 takes dX's rows 64G .. 64G+63, then dW2's tile G; the fourth, which has no rows of
  // dX, takes the half-full fifth tile, then the fourth. (With dX after dW2 and a barrier
  // between, as when dp1 took D^T's floats, the fifth tile kept three warpgroups waiting and
  // the fourth sat out dX: the kernel took 15.1 us on the H200 against 14.4 this way; dW2
  // first, then dX, without the barrier, 14.9.)
  if (group < kInputGradientGroups)
    input_gradient_rows(warp, lane, plane, wt, dp1);
  else
    weight_gradient_tile(kWeightGradientTiles - 1, warp % 4, lane, in, d, out);
  weight_gradient_tile(group, warp % 4, lane, in, d, out);
  __syncthreads();

  // pool1, ReLU and conv1 backward on the CUDA cores, as rung 3 (exact pool1 values decide
  // the ReLU, not their TF32 roundings: kReluPasses).
  pool1_conv1_backward<kBackwardWarps>([a1](int at) { return (a1[at] & kReluPasses) != 0; },
                                       dp1, x, a1, plane, out);
}

// Writes 1 where the code this GPU runs was compiled with the wgmma instructions.
__global__ void report_wgmma_kernel(int* has) {
#ifdef STAGE05_WGMMA
  *has = 1;
#else
  *has = 0;
#endif
}

}  // namespace

bool gpu_runs_wgmma() {
  int* has = nullptr;
  CUDA_CHECK(cudaMalloc(&has, sizeof(int)));
  report_wgmma_kernel<<<1, 1>>>(has);
  int host = 0;
  const cudaError_t launched = cudaGetLastError();
  if (launched == cudaSuccess)
    CUDA_CHECK(cudaMemcpy(&host, has, sizeof(int), cudaMemcpyDeviceToHost));
  CUDA_CHECK(cudaFree(has));
  CUDA_CHECK(launched);
  return host == 1;
}

void set_kernel_attributes() {
  if (!gpu_runs_wgmma()) {
    int device = 0;
    cudaDeviceProp p{};
    CUDA_CHECK(cudaGetDevice(&device));
    CUDA_CHECK(cudaGetDeviceProperties(&p, device));
    throw std::runtime_error("rung 4 runs on wgmma, which only code built for sm_90a has on an "
                             "sm_90 GPU (H100, H200); this GPU (" + std::string(p.name) + ", sm_" +
                             std::to_string(p.major) + std::to_string(p.minor) +
                             ") runs code built without it");
  }
  for (auto kernel : {forward_kernel<Pool1From::memory>, forward_kernel<Pool1From::images>,
                      forward_kernel<Pool1From::set>}) {
    allow_shared_memory(reinterpret_cast<const void*>(kernel), "rung 4's forward_kernel",
                        kForwardSmem);
  }
  allow_shared_memory(reinterpret_cast<const void*>(conv_backward_kernel),
                      "rung 4's conv_backward_kernel", kBackwardSmem);
}

void conv2_relu_pool(const float* pool1, const Conv2Layer& conv2, int n, cudaStream_t stream) {
  static_assert(kArrangedWeights == kConv2Channels * kConv2Fan, "one layout of the weights");
  FirstLayers first{};
  first.pool1 = pool1;
  launch_overlapped("tc forward_kernel from pool1", forward_kernel<Pool1From::memory>, n,
                    kForwardThreads, kForwardSmem, stream, first, conv2, fused::DenseHead{});
}

void forward(const float* images, const Conv1Layer& conv1, const Conv2Layer& conv2,
             const fused::DenseHead& head, cudaStream_t stream) {
  FirstLayers first{};
  first.images = images;
  first.conv1 = conv1;
  launch_overlapped("tc forward_kernel from images", forward_kernel<Pool1From::images>, head.n,
                    kForwardThreads, kForwardSmem, stream, first, conv2, head);
}

void draw_and_forward(const fused::BatchSource& source, const StepClock* clock, float* images,
                      int* labels, float* mask, const Conv1Layer& conv1, const Conv2Layer& conv2,
                      fused::DenseHead head, cudaStream_t stream) {
  FirstLayers first{};
  first.source = source;
  first.clock = clock;
  first.rows = images;
  first.labels = labels;
  first.mask = mask;
  first.conv1 = conv1;
  head.mask = mask;  // the dense layer applies the mask the kernel draws
  launch_overlapped("tc forward_kernel drawing its batch", forward_kernel<Pool1From::set>, head.n,
                    kForwardThreads, kForwardSmem, stream, first, conv2, head);
}

void conv_backward(const float* images, const float* pool1, const uint8_t* pool1_argmax,
                   const uint8_t* pool2_argmax, const float* dpool2, const float* arranged,
                   float* partials, int n, cudaStream_t stream) {
  launch_overlapped("tc conv_backward_kernel", conv_backward_kernel, n, kBackwardThreads,
                    kBackwardSmem, stream, images, pool1, pool1_argmax, pool2_argmax, dpool2,
                    arranged, partials);
}

}  // namespace stage05::tc

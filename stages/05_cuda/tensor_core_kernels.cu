// Rung 4 kernels: conv2's forward and backward products on the tensor cores (TF32 mma.sync),
// one image per block with everything it reads in shared memory.
#include "05_cuda/tensor_core_kernels.h"

#include "05_cuda/cuda_check.h"
#include "05_cuda/dense_softmax_row.cuh"
#include "05_cuda/mma_tf32.cuh"
#include "05_cuda/overlapped_launch.cuh"
#include "05_cuda/param_layout.h"
#include "05_cuda/pool1_conv1_backward.cuh"
#include "05_cuda/row_order.cuh"
#include "05_cuda/sizes.h"
#include "05_cuda/split_sum.cuh"
#include "05_cuda/stage_to_shared.cuh"

namespace stage05::tc {

namespace {

using namespace sizes;
constexpr int kPool1Windows = kPool1Size * kPool1Size;  // 169 positions per pool1 channel
constexpr int kPool2Windows = kPool2Size * kPool2Size;  // 25 windows per conv2 channel
constexpr int kConv2Fan = kConv1Channels * kTaps;       // 288 weights per conv2 filter

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

// With kDense, the dense layer, softmax and loss follow (dense_softmax_row.cuh) on the
// pooled outputs, kept in shared memory as well. (Copying the dense weights into shared
// memory in the background during conv2, with cp.async, made the kernel 8% slower on the
// H200: conv2's products are bound by shared-memory bandwidth, and the copy's stores took
// their share of it.)
template <bool kDense>
__global__ void __launch_bounds__(kForwardThreads)
    conv2_relu_pool_kernel(const float* pool1, const float* w, const float* b, float* pooled,
                           uint8_t* argmax, fused::DenseHead head) {
  wait_for_previous_kernel();  // before any memory is touched (overlapped_launch.cuh)
  extern __shared__ __align__(16) float smem[];
  float* in = smem;                                          // [32,13,13] pool1, TF32
  float* wt = in + kPool1Out;                                // [64 filters][292], TF32
  float* bias = wt + kConv2Channels * kForwardWeightStride;  // [64]
  float* features = bias + kConv2Channels;                   // [1600] pool2, for the dense layer
  float* partial = features + kFlat;                         // the later parts' sums
  const int img = blockIdx.x, t = threadIdx.x;
  stage<sizeof(float) * kPool1Out, kForwardThreads, true>(in, pool1 + int64_t{img} * kPool1Out);
  stage_weights<kConv2Channels, kForwardWeightStride, kForwardThreads>(wt, w);
  if (t < kConv2Channels) bias[t] = b[t];
  __syncthreads();

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
          pooled[img * kFlat + at] = fmaxf(best, 0.0f);
          argmax[img * kFlat + at] = static_cast<uint8_t>(winner);
          if constexpr (kDense) features[at] = fmaxf(best, 0.0f);
        }
  }
  if constexpr (kDense) {
    __syncthreads();
    dense_softmax_row<kForwardThreads>(features, head, img);
  }
}

// ---- conv backward ------------------------------------------------------------------------
//
// d(loss)/d(conv2 output) is zero except at each pooling window's winner, so it is written
// as a dense plane per filter, zero elsewhere, with a 2-wide zero border (rows and columns
// -2..12) so that the input gradient's taps never need a bounds check. Then:
//   dW2 [64 filters x 288] = D [64 x 100 positions] x im2col(pool1) [100 x 288]
//   dX  [169 positions x 32 channels] = im2col(D) [169 x 576] x W2 [576 x 32],
//         with k = tap * 64 + filter and im2col(D)[pos][k] = D[filter][y-ky][x-kx]
// Both run dense: the zeros cost tensor-core time, which is cheap, instead of branches.

// 16 warps: the block's 218 KB of shared memory leave room for one block per multiprocessor,
// so its warps are all the parallel work there is to hide each other's shared-memory and
// tensor-core latencies; with 8 the kernel took 11% longer.
constexpr int kBackwardWarps = 16;
constexpr int kBackwardThreads = kBackwardWarps * 32;
constexpr int kBorder = 2;
constexpr int kPlaneSide = kPool1Size + kBorder;  // 15: conv2 rows -2..12
// Per-filter stride of the padded planes: 232 = 8 (mod 32), so that the 8 positions x 4
// filters of one dX fragment load fall in 32 different banks. dW2's fragment loads read 8
// filters x 4 positions instead, and with that stride filters g and g + 4 would share a
// bank (8 x 4 = 32): so the plane of every filter whose bit 2 is set starts 4 floats later
// (a "skew"), which spreads those 8 filters over 8 different groups of 4 banks. dX's loads
// only ever read 4 filters with the same bit 2 at once, so the skew moves all their lanes
// alike and keeps them apart.
constexpr int kPlaneStride = 232;
constexpr int kPlaneSkew = 4;
static_assert(kPlaneStride >= kPlaneSide * kPlaneSide + kPlaneSkew, "a plane fits its stride");
// Where filter f's plane starts.
__device__ int plane_start(int f) {
  return f * kPlaneStride + (f & 4 ? kPlaneSkew : 0);
}
// dX's rows: the 169 pool1 positions over 11 tiles of 16 rows, in an order whose A loads
// are free of bank conflicts but for one group of 8 (row_order.cuh): lane q of position
// p's row reads filter q's plane at p.
__constant__ RowOrder<176> kInputGradientRows = order_rows<176, kPool1Windows>([](int p, int q) {
  return (p / kPool1Size + kBorder) * kPlaneSide + p % kPool1Size + kBorder + q * kPlaneStride;
});
// conv2 weights [filter][288] padded to 296 = 8 (mod 32): dX's B loads conflict-free.
constexpr int kBackwardWeightStride = kConv2Fan + 8;
constexpr int kPositions =
    2 * kPool2Size * 2 * kPool2Size;  // 100: conv2 outputs that pooling reads
constexpr size_t kBackwardSmem =
    sizeof(float) * (3 * kPool1Out + kConv2Channels * kPlaneStride +
                     kConv2Channels * kBackwardWeightStride + kImage + kFlat) +
    sizeof(uint8_t) * (kPool1Out + kFlat);
// pool1_conv1_backward's scratch is the planes, which nothing reads by then.
static_assert(kPool1Conv1Scratch<kBackwardWarps> <= kConv2Channels * kPlaneStride);

// Offset of conv2 output position p (0..99, 10x10) in its padded plane; p >= 100 (padding
// of the last k step) gives 0, a border cell, which is zero.
__device__ int plane_offset(int p) {
  return p < kPositions ? (p / 10 + kBorder) * kPlaneSide + p % 10 + kBorder : 0;
}
// Offset in a pool1 channel of the top-left input of conv2 output position p (0 if p >= 100:
// its A value is zero, so any valid address will do).
__device__ int patch_offset(int p) {
  return p < kPositions ? p / 10 * kPool1Size + p % 10 : 0;
}

__global__ void __launch_bounds__(kBackwardThreads)
    conv_backward_kernel(const float* images, const float* pool1, const uint8_t* pool1_argmax,
                         const uint8_t* pool2_argmax, const float* dpool2,
                         const float* conv2_weight, float* partials) {
  wait_for_previous_kernel();  // before any memory is touched (overlapped_launch.cuh)
  extern __shared__ __align__(16) float smem[];
  float* in = smem;                // [32,13,13] pool1, TF32 (the products')
  float* p1 = in + kPool1Out;      // [32,13,13] pool1 exactly (the ReLU's)
  float* dp1 = p1 + kPool1Out;     // [32,13,13] d(loss)/d(pool1)
  float* plane = dp1 + kPool1Out;  // [64][232] d(loss)/d(conv2 out), padded, TF32
  float* wt = plane + kConv2Channels * kPlaneStride;       // [64][296] conv2 weights, TF32
  float* x = wt + kConv2Channels * kBackwardWeightStride;  // [28,28] the image
  float* g2 = x + kImage;                                  // [64,25] d(loss)/d(pool2)
  uint8_t* a1 = reinterpret_cast<uint8_t*>(g2 + kFlat);    // [32,13,13] pool1 winners
  uint8_t* a2 = a1 + kPool1Out;                            // [64,25] pool2 winners

  const int img = blockIdx.x, t = threadIdx.x;
  float* out = partials + int64_t{img} * layout::kConvTotal;
  constexpr int T = kBackwardThreads;
  stage<sizeof(float) * kPool1Out, T, true>(in, pool1 + int64_t{img} * kPool1Out);
  stage<sizeof(float) * kPool1Out, T>(p1, pool1 + int64_t{img} * kPool1Out);
  stage<sizeof(float) * kImage, T>(x, images + int64_t{img} * kImage);
  stage<sizeof(float) * kFlat, T>(g2, dpool2 + int64_t{img} * kFlat);
  stage<kPool1Out, T>(a1, pool1_argmax + int64_t{img} * kPool1Out);
  stage<kFlat, T>(a2, pool2_argmax + int64_t{img} * kFlat);
  stage_weights<kConv2Channels, kBackwardWeightStride, T>(wt, conv2_weight);
  for (int i = t; i < kConv2Channels * kPlaneStride / 4; i += T)
    reinterpret_cast<float4*>(plane)[i] = make_float4(0, 0, 0, 0);
  __syncthreads();
  // Each window's gradient goes to its winner (windows do not overlap: plain stores).
  for (int i = t; i < kFlat; i += T) {
    const int f = i / kPool2Windows, w = i % kPool2Windows, corner = a2[i];
    const int y = 2 * (w / kPool2Size) + corner / 2, xx = 2 * (w % kPool2Size) + corner % 2;
    plane[plane_start(f) + (y + kBorder) * kPlaneSide + xx + kBorder] = round_to_tf32(g2[i]);
  }
  if (t < kConv2Channels) {  // the bias gradient: a plain float32 sum, no product to round
    float db = 0;
    for (int w = 0; w < kPool2Windows; ++w) db += g2[t * kPool2Windows + w];
    out[layout::kConv2Bias + t] = db;
  }
  __syncthreads();

  const int warp = t / 32, lane = t % 32, g = lane / 4, q = lane % 4;
  {  // dW2: M = 64 filters (4 tiles), N = 288 (36 tiles), K = 100 positions (13 steps).
    // Each warp: all 4 filter tiles x the column tiles warp, warp + 8, ... (5 or 4 of them).
    constexpr int kColumnTiles = kConv2Fan / 8,
                  kMine = (kColumnTiles + kBackwardWarps - 1) / kBackwardWarps;
    int column_at[kMine];  // where column (channel, tap) starts in pool1, for column g of each tile
#pragma unroll
    for (int i = 0; i < kMine; ++i) {
      const int col = (warp + i * kBackwardWarps) * 8 + g, c = col / kTaps, tap = col % kTaps;
      // A tile past the last column is skipped; 0 keeps its (unused) loads inside `in`.
      column_at[i] =
          col < kConv2Fan ? c * kPool1Windows + tap / kKernel * kPool1Size + tap % kKernel : 0;
    }
    float acc[4][kMine][4] = {};
    constexpr int kSteps = (kPositions + 7) / 8;
#pragma unroll
    for (int step = 0; step < kSteps; ++step) {
      const int p_lo = step * 8 + q, p_hi = p_lo + 4;
      const int a_lo = plane_offset(p_lo), a_hi = plane_offset(p_hi);
      const int b_lo = patch_offset(p_lo), b_hi = patch_offset(p_hi);
      uint32_t bf[kMine][2];
#pragma unroll
      for (int i = 0; i < kMine; ++i) {
        bf[i][0] = bits_at(in + b_lo + column_at[i]);
        bf[i][1] = bits_at(in + b_hi + column_at[i]);
      }
#pragma unroll
      for (int mt = 0; mt < 4; ++mt) {
        const float* rows = plane + plane_start(mt * 16 + g);  // g + 8: same skew, 8 strides on
        const uint32_t af[4] = {bits_at(rows + a_lo), bits_at(rows + 8 * kPlaneStride + a_lo),
                                bits_at(rows + a_hi), bits_at(rows + 8 * kPlaneStride + a_hi)};
#pragma unroll
        for (int i = 0; i < kMine; ++i)
          if (warp + i * kBackwardWarps < kColumnTiles) mma_tf32(acc[mt][i], af, bf[i]);
      }
    }
#pragma unroll
    for (int mt = 0; mt < 4; ++mt)
#pragma unroll
      for (int i = 0; i < kMine; ++i) {
        const int col = (warp + i * kBackwardWarps) * 8 + 2 * q;
        if (col >= kConv2Fan) continue;
        float* row = out + layout::kConv2Weight + (mt * 16 + g) * kConv2Fan + col;
        *reinterpret_cast<float2*>(row) = make_float2(acc[mt][i][0], acc[mt][i][1]);
        *reinterpret_cast<float2*>(row + 8 * kConv2Fan) = make_float2(acc[mt][i][2], acc[mt][i][3]);
      }
  }
  {  // dX: M = 169 positions (11 tiles), N = 32 channels (4 tiles), K = 576 (72 steps).
    // Shared-memory loads, not the tensor cores, bound this product, so the warps are laid
    // out for reuse: warp (group, part) takes 3 position tiles (the last group 2) x all 4
    // channel tiles, over a quarter of K. Each A fragment then serves 4 products and each B
    // fragment 3: 20 loads for 12 products, where whole-K warps of 2 x 2 tiles needed 12 for 4.
    // The four parts of K are added after the loop in a fixed order, so the sum does not
    // depend on which warp finishes first. A multiprocessor's four schedulers each take
    // every fourth warp, so warp w is group (w + w / 4) % 4: each scheduler gets one warp of
    // every group, the short last group's among them (warp % 4 as the group gave one
    // scheduler all of the short group's warps and the other three 3 tiles' worth each).
    constexpr int kRowTiles = (kPool1Windows + 15) / 16;  // 11
    constexpr int kParts = 4, kGroups = kBackwardWarps / kParts;
    constexpr int kMine = (kRowTiles + kGroups - 1) / kGroups;  // 3
    constexpr int kChannelTiles = kConv1Channels / 8;           // 4
    constexpr int kFilterSteps = kConv2Channels / 8;
    constexpr int kStepsPerPart = kTaps * kFilterSteps / kParts;  // 18
    static_assert(kTaps * kFilterSteps % kParts == 0, "K splits into whole steps");
    static_assert(kGroups == 4, "one warp of each group per scheduler");
    const int group = (warp + warp / kGroups) % kGroups, part = warp / kGroups;
    // The lane's rows g and g+8 of each tile: which position each computes (of
    // kInputGradientRows), whether it is kept, and where it is in the planes.
    int pos_of[kMine][2], row_at[kMine][2];
    bool kept[kMine][2];
#pragma unroll
    for (int i = 0; i < kMine; ++i)
#pragma unroll
      for (int h = 0; h < 2; ++h) {
        const bool tile_exists = group * kMine + i < kRowTiles;  // the last group has 2 tiles
        const int row = tile_exists ? (group * kMine + i) * 16 + g + 8 * h : 0;
        const int pos = row_output(kInputGradientRows, row, kept[i][h]);
        kept[i][h] = kept[i][h] && tile_exists;
        pos_of[i][h] = pos;
        row_at[i][h] = (pos / kPool1Size + kBorder) * kPlaneSide + pos % kPool1Size + kBorder;
      }
    float acc[kMine][kChannelTiles][4] = {};
#pragma unroll 6
    for (int s = 0; s < kStepsPerPart; ++s) {
      const int step = part * kStepsPerPart + s;
      const int tap = step / kFilterSteps, f = step % kFilterSteps * 8 + q;
      const int ky = tap / kKernel, kx = tap % kKernel;
      // Filter f (f % 8 < 4) and filter f + 4, whose plane is skewed.
      const int k_lo = plane_start(f) - ky * kPlaneSide - kx;
      const int k_hi = k_lo + plane_start(f + 4) - plane_start(f);
      uint32_t bf[kChannelTiles][2];
#pragma unroll
      for (int nt = 0; nt < kChannelTiles; ++nt) {
        const float* wp = wt + f * kBackwardWeightStride + (nt * 8 + g) * kTaps + tap;
        bf[nt][0] = bits_at(wp);
        bf[nt][1] = bits_at(wp + 4 * kBackwardWeightStride);
      }
#pragma unroll
      for (int i = 0; i < kMine; ++i) {
        if (group * kMine + i >= kRowTiles) continue;
        const uint32_t af[4] = {
            bits_at(plane + row_at[i][0] + k_lo), bits_at(plane + row_at[i][1] + k_lo),
            bits_at(plane + row_at[i][0] + k_hi), bits_at(plane + row_at[i][1] + k_hi)};
#pragma unroll
        for (int nt = 0; nt < kChannelTiles; ++nt) mma_tf32(acc[i][nt], af, bf[nt]);
      }
    }
    for (int turn = 0; turn < kParts; ++turn) {  // part 0 stores, parts 1, 2, 3 add, in turn
      if (part == turn) {
#pragma unroll
        for (int i = 0; i < kMine; ++i)
#pragma unroll
          for (int h = 0; h < 2; ++h) {
            if (!kept[i][h]) continue;  // a padding row
#pragma unroll
            for (int nt = 0; nt < kChannelTiles; ++nt)
#pragma unroll
              for (int j = 0; j < 2; ++j) {
                float& d = dp1[(nt * 8 + 2 * q + j) * kPool1Windows + pos_of[i][h]];
                d = (turn == 0 ? 0.0f : d) + acc[i][nt][2 * h + j];
              }
          }
      }
      __syncthreads();
    }
  }

  // pool1, ReLU and conv1 backward on the CUDA cores, as rung 3 (exact pool1 values decide
  // the ReLU, not their TF32 roundings).
  pool1_conv1_backward<kBackwardWarps>(p1, dp1, x, a1, plane, out);
}

}  // namespace

void set_kernel_attributes() {
  for (auto kernel : {conv2_relu_pool_kernel<false>, conv2_relu_pool_kernel<true>}) {
    allow_shared_memory(reinterpret_cast<const void*>(kernel), "rung 4's conv2_relu_pool_kernel",
                        kForwardSmem);
  }
  allow_shared_memory(reinterpret_cast<const void*>(conv_backward_kernel),
                      "rung 4's conv_backward_kernel", kBackwardSmem);
}

void conv2_relu_pool(const float* pool1, const float* w, const float* b, float* pooled,
                     uint8_t* argmax, int n, cudaStream_t stream) {
  launch_overlapped("tc conv2_relu_pool_kernel", conv2_relu_pool_kernel<false>, n, kForwardThreads,
                    kForwardSmem, stream, pool1, w, b, pooled, argmax, fused::DenseHead{});
}

void conv2_relu_pool_dense(const float* pool1, const float* w, const float* b, float* pooled,
                           uint8_t* argmax, const fused::DenseHead& head, cudaStream_t stream) {
  launch_overlapped("tc conv2_relu_pool_kernel with dense", conv2_relu_pool_kernel<true>, head.n,
                    kForwardThreads, kForwardSmem, stream, pool1, w, b, pooled, argmax, head);
}

void conv_backward(const float* images, const float* pool1, const uint8_t* pool1_argmax,
                   const uint8_t* pool2_argmax, const float* dpool2, const float* conv2_weight,
                   float* partials, int n, cudaStream_t stream) {
  launch_overlapped("tc conv_backward_kernel", conv_backward_kernel, n, kBackwardThreads,
                    kBackwardSmem, stream, images, pool1, pool1_argmax, pool2_argmax, dpool2,
                    conv2_weight, partials);
}

}  // namespace stage05::tc

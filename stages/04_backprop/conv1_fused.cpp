#include "04_backprop/conv1_fused.h"

#include <algorithm>
#include <stdexcept>

#include "04_backprop/pool_winner.h"
#include "common/network.h"

namespace stage04 {

namespace {

using namespace mnist::net;
constexpr int kTaps = kKernel * kKernel;                             // 9 weights per channel
constexpr int kPooled = kPool1Size * kPool1Size;                     // 169 windows per channel
constexpr int kPatch = kKernel + 1;                                  // a window's input is 4 x 4
constexpr int64_t kImagePixels = kImageSize * kImageSize;            // 784
constexpr int64_t kImageValues = int64_t{kConv1Channels} * kPooled;  // pooled values per image

/// The weights tap-major, taps[t][c] = weight[c][t], and every per-window array
/// channel-last: the loops below run over the 32 channels, one channel per vector lane, so
/// they read and write 32 consecutive floats, and each window's pixels are the same for
/// every lane (one broadcast each).
struct Taps {
  alignas(64) float w[kTaps][kConv1Channels];
};

/// The 4 x 4 input pixels under the pooling window at (py, px).
void load_patch(const float* image, int py, int px, float* patch) {
  for (int y = 0; y < kPatch; ++y)
    for (int x = 0; x < kPatch; ++x)
      patch[y * kPatch + x] = image[(2 * py + y) * kImageSize + 2 * px + x];
}

/// One image's pooled values from window-major [169][32] to NCHW [32][169], conv2's
/// layout: a transpose of 21 KB that stays in L1. Float by float the compiler finds no
/// vectors for it (and rolled, the loop's own counting took as long as the copying); in 8 x
/// 8 blocks, each read as 8 rows of 8 channels and written as 8 runs of 8 windows, it turns
/// each block into a few vector shuffles: measured 1.2 us per image against 1.9 for the
/// float-by-float loop unrolled by 13.
void transpose_to_nchw(const float (*window_major)[kConv1Channels], float* out) {
  constexpr int kBlock = 8;
  const int whole = kPooled / kBlock * kBlock;  // 168: one window is left over
  for (int o0 = 0; o0 < whole; o0 += kBlock)
    for (int c0 = 0; c0 < kConv1Channels; c0 += kBlock) {
      float block[kBlock][kBlock];  // [channel][window]
      for (int o = 0; o < kBlock; ++o)
        for (int c = 0; c < kBlock; ++c) block[c][o] = window_major[o0 + o][c0 + c];
      for (int c = 0; c < kBlock; ++c)
        for (int o = 0; o < kBlock; ++o) out[(c0 + c) * kPooled + o0 + o] = block[c][o];
    }
  for (int o = whole; o < kPooled; ++o)
    for (int c = 0; c < kConv1Channels; ++c) out[c * kPooled + o] = window_major[o][c];
}

}  // namespace

void conv1_relu_pool_forward(const mnist::Tensor& images, const mnist::Tensor& weight,
                             const mnist::Tensor& bias, mnist::Tensor& pooled,
                             std::vector<int32_t>& winner, mnist::Tensor* pooled_channels_last) {
  const int N = images.dim(0);
  mnist::expect_shape(weight, {kConv1Channels, 1, kKernel, kKernel}, "conv1 weight");
  mnist::expect_shape(bias, {kConv1Channels}, "conv1 bias");
  mnist::ensure_shape(pooled, {N, kConv1Channels, kPool1Size, kPool1Size});
  winner.resize(static_cast<size_t>(pooled.size()));
  if (pooled_channels_last) {
    mnist::ensure_shape(*pooled_channels_last, {N, kPool1Size, kPool1Size, kConv1Channels});
  }
  Taps taps;
  for (int c = 0; c < kConv1Channels; ++c)
    for (int t = 0; t < kTaps; ++t) taps.w[t][c] = weight[c * kTaps + t];
  alignas(64) float window_major[kPooled][kConv1Channels];  // one image's output, channel-last
  const float* b = bias.data();  // raw: the checked operator[] could throw, which stops simd

  for (int n = 0; n < N; ++n) {
    const float* image = images.data() + n * kImagePixels;
    int32_t* won = winner.data() + n * kImageValues;
    for (int o = 0; o < kPooled; ++o) {
      float patch[kPatch * kPatch];
      load_patch(image, o / kPool1Size, o % kPool1Size, patch);
#pragma omp simd
      for (int c = 0; c < kConv1Channels; ++c) {
        // The window's four conv outputs (top-left, top-right, bottom-left, bottom-right),
        // held in four vector registers for 32 channels at once.
        float a0 = b[c], a1 = b[c], a2 = b[c], a3 = b[c];
        // Unrolled, so that the loop over channels holds no inner loop and vectorises.
#pragma GCC unroll 9
        for (int t = 0; t < kTaps; ++t) {
          const float w = taps.w[t][c];
          const float* p = patch + (t / kKernel) * kPatch + t % kKernel;
          a0 += p[0] * w;
          a1 += p[1] * w;
          a2 += p[kPatch] * w;
          a3 += p[kPatch + 1] * w;
        }
        const float max = std::max(std::max(a0, a1), std::max(a2, a3));
        window_major[o][c] = std::max(max, 0.0f);  // relu(max) = the max of the relus
        won[o * kConv1Channels + c] = pool_winner(a0, a1, a2, max);
      }
    }
    if (pooled_channels_last) {
      std::copy_n(&window_major[0][0], kImageValues,
                  pooled_channels_last->data() + n * kImageValues);
    }
    transpose_to_nchw(window_major, pooled.data() + n * kImageValues);
  }
}

void conv1_relu_pool_backward(const mnist::Tensor& images, const std::vector<int32_t>& winner,
                              const mnist::Tensor& dpooled, mnist::Tensor& dweight,
                              mnist::Tensor& dbias, bool channels_last) {
  const int N = images.dim(0);
  if (channels_last) {
    mnist::expect_shape(dpooled, {N, kPool1Size, kPool1Size, kConv1Channels}, "conv1 dpooled");
  } else {
    mnist::expect_shape(dpooled, {N, kConv1Channels, kPool1Size, kPool1Size}, "conv1 dpooled");
  }
  if (static_cast<int64_t>(winner.size()) != N * kImageValues) {
    throw std::invalid_argument("conv1_relu_pool_backward: winner does not fit the images");
  }
  Taps dtaps{};  // the weight gradient, tap-major like Taps, summed over the batch
  alignas(64) float db[kConv1Channels] = {};
  alignas(64) float transposed[kPooled * kConv1Channels];  // one image's dpooled, from NCHW
  for (int n = 0; n < N; ++n) {
    const float* image = images.data() + n * kImagePixels;
    const float* d = dpooled.data() + n * kImageValues;
    // window_major[o * 32 + c]: window o's gradient in channel c.
    const float* window_major = d;
    if (!channels_last) {
      for (int c = 0; c < kConv1Channels; ++c)
        for (int o = 0; o < kPooled; ++o) transposed[o * kConv1Channels + c] = d[c * kPooled + o];
      window_major = transposed;
    }
    const int32_t* won = winner.data() + n * kImageValues;
    for (int o = 0; o < kPooled; ++o) {
      float patch[kPatch * kPatch];
      load_patch(image, o / kPool1Size, o % kPool1Size, patch);
#pragma omp simd
      for (int c = 0; c < kConv1Channels; ++c) {
        // The window's gradient goes to its winning position; the other three get 0.
        const int code = won[o * kConv1Channels + c];
        const float g = code == kNoGradient ? 0.0f : window_major[o * kConv1Channels + c];
        db[c] += g;
        const float g0 = code == 0 ? g : 0.0f, g1 = code == 1 ? g : 0.0f;
        const float g2 = code == 2 ? g : 0.0f, g3 = code == 3 ? g : 0.0f;
#pragma GCC unroll 9
        for (int t = 0; t < kTaps; ++t) {
          const float* p = patch + (t / kKernel) * kPatch + t % kKernel;
          dtaps.w[t][c] += p[0] * g0 + p[1] * g1 + p[kPatch] * g2 + p[kPatch + 1] * g3;
        }
      }
    }
  }
  mnist::ensure_shape(dweight, {kConv1Channels, 1, kKernel, kKernel});
  mnist::ensure_shape(dbias, {kConv1Channels});
  for (int c = 0; c < kConv1Channels; ++c) {
    for (int t = 0; t < kTaps; ++t) dweight[c * kTaps + t] = dtaps.w[t][c];
    dbias[c] = db[c];
  }
}

}  // namespace stage04

#include "04_backprop/conv1_fused.h"

#include <algorithm>

#include "common/network.h"

namespace stage04 {

namespace {

using namespace mnist::net;
constexpr int kTaps = kKernel * kKernel;                   // 9 weights per channel
constexpr int kWindow = 4;                                 // positions in a pooling window
constexpr int kPooled = kPool1Size * kPool1Size;           // 169 windows per channel
constexpr int64_t kImagePixels = kImageSize * kImageSize;  // 784

/// The weights tap-major, taps[t][c] = weight[c][t]: the inner loops run over the 32
/// channels, so they read (and, backward, write) 32 consecutive floats, whole vectors.
struct Taps {
  alignas(64) float w[kTaps][kConv1Channels];
};

/// The input pixel under tap t of window position p, for the window whose top-left
/// input pixel is `corner`.
inline float pixel(const float* corner, int p, int t) {
  return corner[(p / 2 + t / kKernel) * kImageSize + p % 2 + t % kKernel];
}

}  // namespace

void conv1_relu_pool_forward(const mnist::Tensor& images, const mnist::Tensor& weight,
                             const mnist::Tensor& bias, mnist::Tensor& pooled,
                             std::vector<uint8_t>& winner) {
  const int N = images.dim(0);
  mnist::expect_shape(weight, {kConv1Channels, 1, kKernel, kKernel}, "conv1 weight");
  mnist::expect_shape(bias, {kConv1Channels}, "conv1 bias");
  if (pooled.shape() != mnist::Shape{N, kConv1Channels, kPool1Size, kPool1Size}) {
    pooled = mnist::Tensor({N, kConv1Channels, kPool1Size, kPool1Size});
  }
  winner.resize(static_cast<size_t>(pooled.size()));
  Taps taps;
  for (int c = 0; c < kConv1Channels; ++c)
    for (int t = 0; t < kTaps; ++t) taps.w[t][c] = weight[c * kTaps + t];

  for (int n = 0; n < N; ++n) {
    const float* image = images.data() + n * kImagePixels;
    float* out = pooled.data() + int64_t{n} * kConv1Channels * kPooled;
    uint8_t* won = winner.data() + int64_t{n} * kConv1Channels * kPooled;
    for (int py = 0; py < kPool1Size; ++py)
      for (int px = 0; px < kPool1Size; ++px) {
        const float* corner = image + 2 * py * kImageSize + 2 * px;
        // The window's four conv outputs for all 32 channels: 4 x 32 sums, in registers.
        alignas(64) float acc[kWindow][kConv1Channels];
        for (auto& position : acc) std::copy_n(bias.data(), kConv1Channels, position);
        for (int t = 0; t < kTaps; ++t)
          for (int p = 0; p < kWindow; ++p) {
            const float v = pixel(corner, p, t);
#pragma omp simd
            for (int c = 0; c < kConv1Channels; ++c) acc[p][c] += v * taps.w[t][c];
          }
        const int o = py * kPool1Size + px;
#pragma omp simd
        for (int c = 0; c < kConv1Channels; ++c) {
          const float max =
              std::max(std::max(acc[0][c], acc[1][c]), std::max(acc[2][c], acc[3][c]));
          // The first position in reading order that holds the maximum, as rung 1 picks it.
          const int first = acc[0][c] == max ? 0 : acc[1][c] == max ? 1 : acc[2][c] == max ? 2 : 3;
          out[c * kPooled + o] = std::max(max, 0.0f);  // relu(max) = max of the relus
          won[c * kPooled + o] = static_cast<uint8_t>(first);
        }
      }
  }
}

void conv1_relu_pool_backward(const mnist::Tensor& images, const mnist::Tensor& pooled,
                              const std::vector<uint8_t>& winner, const mnist::Tensor& dpooled,
                              mnist::Tensor& dweight, mnist::Tensor& dbias) {
  const int N = images.dim(0);
  mnist::expect_shape(dpooled, pooled.shape(), "conv1 dpooled");
  Taps dtaps{};  // the weight gradient, tap-major like Taps, summed over the batch
  alignas(64) float db[kConv1Channels] = {};
  for (int n = 0; n < N; ++n) {
    const float* image = images.data() + n * kImagePixels;
    const int64_t first_value = int64_t{n} * kConv1Channels * kPooled;
    const float* value = pooled.data() + first_value;
    const float* d = dpooled.data() + first_value;
    const uint8_t* won = winner.data() + first_value;
    for (int o = 0; o < kPooled; ++o) {
      const float* corner = image + 2 * (o / kPool1Size) * kImageSize + 2 * (o % kPool1Size);
      // Each channel's window gradient, placed at its winning position (0 at the other
      // three): the same four-position layout as the forward's sums.
      alignas(64) float g[kWindow][kConv1Channels];
#pragma omp simd
      for (int c = 0; c < kConv1Channels; ++c) {
        const float grad = value[c * kPooled + o] > 0.0f ? d[c * kPooled + o] : 0.0f;
        db[c] += grad;
        for (int p = 0; p < kWindow; ++p) g[p][c] = won[c * kPooled + o] == p ? grad : 0.0f;
      }
      for (int t = 0; t < kTaps; ++t)
        for (int p = 0; p < kWindow; ++p) {
          const float v = pixel(corner, p, t);
#pragma omp simd
          for (int c = 0; c < kConv1Channels; ++c) dtaps.w[t][c] += v * g[p][c];
        }
    }
  }
  if (dweight.shape() != mnist::Shape{kConv1Channels, 1, kKernel, kKernel}) {
    dweight = mnist::Tensor({kConv1Channels, 1, kKernel, kKernel});
  }
  if (dbias.shape() != mnist::Shape{kConv1Channels}) dbias = mnist::Tensor({kConv1Channels});
  for (int c = 0; c < kConv1Channels; ++c) {
    for (int t = 0; t < kTaps; ++t) dweight[c * kTaps + t] = dtaps.w[t][c];
    dbias[c] = db[c];
  }
}

}  // namespace stage04

// Rungs 3-5's fused conv1 (conv1_fused.h) against the sums in double, computed from the
// definitions: conv1, bias, ReLU and 2x2 max pooling forward; the weight and bias gradients
// of the winners backward. The tolerances are the float rounding bounds of each sum.
#include "04_backprop/conv1_fused.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "common/network.h"
#include "common/rng.h"

namespace {

using mnist::Tensor;
using namespace mnist::net;
constexpr int kTaps = kKernel * kKernel;
constexpr double kUnitRoundoff = 0x1p-24;

/// One conv1 output before ReLU, in double, and the sum of its terms' sizes (|bias| and
/// every |weight x pixel|), the scale of its float rounding.
struct Exact {
  double value = 0, size = 0;
};

Exact conv1_at(const Tensor& images, const Tensor& weight, const Tensor& bias, int n, int c, int y,
               int x) {
  Exact e{bias[c], std::fabs(bias[c])};
  for (int t = 0; t < kTaps; ++t) {
    const double product =
        double{weight[c * kTaps + t]} *
        images[(n * kImageSize + y + t / kKernel) * kImageSize + x + t % kKernel];
    e.value += product;
    e.size += std::fabs(product);
  }
  return e;
}

struct Conv1Case {
  static constexpr int N = 3;
  Tensor images = mnist::random_tensor({N, 1, kImageSize, kImageSize}, 51);
  Tensor weight = mnist::random_tensor({kConv1Channels, 1, kKernel, kKernel}, 52);
  Tensor bias = mnist::random_tensor({kConv1Channels}, 53);
  Tensor pooled, pooled_cl;
  std::vector<int32_t> winner;

  Conv1Case() {
    for (float& v : images.values()) v = (v + 1) / 2;  // pixels in [0, 1), as MNIST's
    stage04::conv1_relu_pool_forward(images, weight, bias, pooled, winner, &pooled_cl);
  }
  /// Window (py, px) of image n, channel c: its index in winner and pooled_cl.
  static int64_t window(int n, int c, int py, int px) {
    return ((int64_t{n} * kPool1Size + py) * kPool1Size + px) * kConv1Channels + c;
  }
};

TEST(Conv1Fused, ForwardIsConvReluPoolWithTheFirstWinner) {
  const Conv1Case k;
  for (int n = 0; n < k.N; ++n)
    for (int c = 0; c < kConv1Channels; ++c)
      for (int py = 0; py < kPool1Size; ++py)
        for (int px = 0; px < kPool1Size; ++px) {
          Exact at[4];
          double max = -INFINITY, bound = 0;
          for (int q = 0; q < 4; ++q) {
            at[q] = conv1_at(k.images, k.weight, k.bias, n, c, 2 * py + q / 2, 2 * px + q % 2);
            max = std::max(max, at[q].value);
            // A float sum of 10 terms, each rounded once (fused or not), lies within
            // 10u of the sum of their sizes; the float max of four such values lies within
            // the largest of their bounds of the exact max, and so does its ReLU.
            bound = std::max(bound, 10 * kUnitRoundoff * at[q].size);
          }
          const int64_t w = Conv1Case::window(n, c, py, px);
          const float got = k.pooled_cl[w];
          ASSERT_NEAR(got, std::max(max, 0.0), bound)
              << "n " << n << " c " << c << " window " << py << "," << px;
          ASSERT_EQ(got, k.pooled[((n * kConv1Channels + c) * kPool1Size + py) * kPool1Size + px]);
          const int code = k.winner[static_cast<size_t>(w)];
          if (got == 0.0f) {
            ASSERT_EQ(4, code);  // no gradient through ReLU
            continue;
          }
          // The winner holds the max, up to rounding (two values within 2 x bound of each
          // other may swap), and no earlier position beats it by more than that.
          ASSERT_GE(code, 0);
          ASSERT_LT(code, 4);
          ASSERT_GE(at[code].value, max - 2 * bound);
          for (int q = 0; q < code; ++q) ASSERT_LE(at[q].value, at[code].value + 2 * bound);
        }
}

TEST(Conv1Fused, BackwardSendsEachWindowsGradientToItsWinner) {
  const Conv1Case k;
  const Tensor dpooled_cl = mnist::random_tensor({k.N, kPool1Size, kPool1Size, kConv1Channels}, 54);
  Tensor dweight, dbias;
  stage04::conv1_relu_pool_backward(k.images, k.winner, dpooled_cl, dweight, dbias,
                                    /*channels_last=*/true);
  // In double, from the definition: each window's gradient times the 3x3 pixels under its
  // winning position, summed over the windows and images, with the sizes of those terms.
  std::vector<double> dw(kConv1Channels * kTaps), dw_size(dw.size());
  std::vector<double> db(kConv1Channels), db_size(db.size());
  int flowed = 0;
  for (int n = 0; n < k.N; ++n)
    for (int py = 0; py < kPool1Size; ++py)
      for (int px = 0; px < kPool1Size; ++px)
        for (int c = 0; c < kConv1Channels; ++c) {
          const int64_t w = Conv1Case::window(n, c, py, px);
          const int code = k.winner[static_cast<size_t>(w)];
          if (code == 4) continue;
          ++flowed;
          const double g = dpooled_cl[w];
          db[c] += g;
          db_size[c] += std::fabs(g);
          const int y = 2 * py + code / 2, x = 2 * px + code % 2;
          for (int t = 0; t < kTaps; ++t) {
            const double product =
                g * k.images[(n * kImageSize + y + t / kKernel) * kImageSize + x + t % kKernel];
            dw[c * kTaps + t] += product;
            dw_size[c * kTaps + t] += std::fabs(product);
          }
        }
  ASSERT_GT(flowed, 0);
  // Every sum has at most N x 169 terms (one per window), each rounded at most once before
  // it is added: in float it lies within (terms + 1) u of the sum of their sizes.
  const double terms = k.N * kPool1Size * kPool1Size + 1;
  for (int i = 0; i < kConv1Channels * kTaps; ++i) {
    ASSERT_NEAR(dweight[i], dw[i], terms * kUnitRoundoff * dw_size[i]) << "dweight " << i;
  }
  for (int c = 0; c < kConv1Channels; ++c) {
    ASSERT_NEAR(dbias[c], db[c], terms * kUnitRoundoff * db_size[c]) << "dbias " << c;
  }
}

}  // namespace

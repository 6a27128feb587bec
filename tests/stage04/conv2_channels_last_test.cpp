// Rung 5's conv2 backward (conv2_channels_last.h) against rung 4's (conv2_implicit.h) on random
// tensors: the same gradients, up to the rounding of two summation orders, derived element by
// element; rung 4's forward (conv2_implicit.h) against the sums in double; and the conv1
// backward that reads its gradient channels-last, against the NCHW one.
#include "04_backprop/conv2_channels_last.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "04_backprop/conv1_fused.h"
#include "04_backprop/conv2_implicit.h"
#include "common/rng.h"

namespace {

using mnist::Tensor;

Tensor random_tensor(mnist::Shape shape, uint64_t seed) {
  Tensor t(std::move(shape));
  mnist::Rng rng(seed);
  for (float& v : t.values()) v = rng.uniform(-1, 1);
  return t;
}

/// [N,C,H,W] to [N,H,W,C], or back with `back`.
Tensor transposed_channels(const Tensor& t, bool back = false) {
  const int N = t.dim(0);
  const int C = back ? t.dim(3) : t.dim(1), H = back ? t.dim(1) : t.dim(2);
  const int W = back ? t.dim(2) : t.dim(3);
  Tensor out(back ? mnist::Shape{N, C, H, W} : mnist::Shape{N, H, W, C});
  for (int n = 0; n < N; ++n)
    for (int c = 0; c < C; ++c)
      for (int y = 0; y < H; ++y)
        for (int x = 0; x < W; ++x) {
          const int64_t nchw = ((int64_t{n} * C + c) * H + y) * W + x;
          const int64_t nhwc = ((int64_t{n} * H + y) * W + x) * C + c;
          if (back) {
            out[nchw] = t[nhwc];
          } else {
            out[nhwc] = t[nchw];
          }
        }
  return out;
}

/// How far two float computations of the same sums may lie apart, per element. A float sum
/// of n products, in any order (fused multiply-adds or not), is within n*u of the sum of the
/// products' sizes (u = 2^-24), so two orders are within 2*n*u of it. `terms` is the
/// largest n of any element, `sizes` each element's sum of |products|, in double.
void expect_same_sums(const Tensor& got, const Tensor& want, const std::vector<double>& sizes,
                      int terms, const char* what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  constexpr double kUnitRoundoff = 0x1p-24;
  int off = 0;
  for (int64_t i = 0; i < got.size(); ++i) {
    const double bound = 2.0 * terms * kUnitRoundoff * sizes[static_cast<size_t>(i)];
    if (std::abs(double{got[i]} - want[i]) > bound && ++off <= 5) {
      ADD_FAILURE() << what << "[" << i << "] = " << got[i] << ", want " << want[i] << " within "
                    << bound;
    }
  }
}

/// Rung 5's backward against rung 4's for input [N,C,H,W] and O filters of K x K.
void compare_with_rung_four(int N, int C, int H, int W, int O, int K, uint64_t seed) {
  SCOPED_TRACE(::testing::Message() << N << "x" << C << "x" << H << "x" << W << ", " << O
                                    << " filters of " << K << "x" << K);
  const int OH = H - K + 1, OW = W - K + 1, taps = K * K;
  const Tensor input = random_tensor({N, C, H, W}, seed);
  const Tensor weight = random_tensor({O, C, K, K}, seed + 1);
  const Tensor dout = random_tensor({O, N, OH, OW}, seed + 2);
  Tensor dweight4, dbias4, dinput4, dweight5, dbias5, dinput5_cl;
  stage04::conv2d_implicit_backward(input, weight, dout, dweight4, dbias4, dinput4);
  stage04::conv2d_channels_last_backward(transposed_channels(input), weight, dout, dweight5, dbias5,
                                         dinput5_cl);
  const Tensor dinput5 = transposed_channels(dinput5_cl, /*back=*/true);

  // The sizes of every element's products, from the definitions.
  const int pixels = N * OH * OW;
  std::vector<double> dweight_sizes(static_cast<size_t>(dweight4.size()));
  std::vector<double> dbias_sizes(static_cast<size_t>(O));
  std::vector<double> dinput_sizes(static_cast<size_t>(dinput4.size()));
  for (int o = 0; o < O; ++o)
    for (int n = 0; n < N; ++n)
      for (int y = 0; y < OH; ++y)
        for (int x = 0; x < OW; ++x) {
          const double d = std::abs(dout[((int64_t{o} * N + n) * OH + y) * OW + x]);
          dbias_sizes[static_cast<size_t>(o)] += d;
          for (int c = 0; c < C; ++c)
            for (int t = 0; t < taps; ++t) {
              const int64_t in = ((int64_t{n} * C + c) * H + y + t / K) * W + x + t % K;
              const int64_t w = (int64_t{o} * C + c) * taps + t;
              dweight_sizes[static_cast<size_t>(w)] += d * std::abs(input[in]);
              dinput_sizes[static_cast<size_t>(in)] += d * std::abs(weight[w]);
            }
        }
  expect_same_sums(dweight5, dweight4, dweight_sizes, pixels, "dweight");
  expect_same_sums(dbias5, dbias4, dbias_sizes, pixels, "dbias");
  expect_same_sums(dinput5, dinput4, dinput_sizes, taps * O, "dinput");
}

/// Rung 4's forward for input [N,C,H,W] and O filters of K x K against the same sums in
/// double.
void compare_forward_with_double(int N, int C, int H, int W, int O, int K, uint64_t seed) {
  SCOPED_TRACE(::testing::Message() << N << "x" << C << "x" << H << "x" << W << ", " << O
                                    << " filters of " << K << "x" << K);
  const int OH = H - K + 1, OW = W - K + 1, taps = K * K;
  const Tensor input = random_tensor({N, C, H, W}, seed);
  const Tensor weight = random_tensor({O, C, K, K}, seed + 1);
  const Tensor bias = random_tensor({O}, seed + 2);
  Tensor out;
  stage04::conv2d_implicit_forward(input, weight, bias, out);
  ASSERT_EQ(out.shape(), (mnist::Shape{O, N, OH, OW}));
  Tensor want(out.shape());
  std::vector<double> sizes(static_cast<size_t>(out.size()));
  for (int o = 0; o < O; ++o)
    for (int n = 0; n < N; ++n)
      for (int y = 0; y < OH; ++y)
        for (int x = 0; x < OW; ++x) {
          const int64_t at = ((int64_t{o} * N + n) * OH + y) * OW + x;
          double sum = bias[o], size = std::abs(bias[o]);
          for (int c = 0; c < C; ++c)
            for (int t = 0; t < taps; ++t) {
              const int64_t in = ((int64_t{n} * C + c) * H + y + t / K) * W + x + t % K;
              const double p = double{input[in]} * weight[(int64_t{o} * C + c) * taps + t];
              sum += p;
              size += std::abs(p);
            }
          want[at] = static_cast<float>(sum);
          sizes[static_cast<size_t>(at)] = size;
        }
  // One float sum of n = C*K*K + 1 terms (the bias last) is within n u of the sum of their
  // sizes, and rounding the double sum to float moves it by at most u of that: (n + 1) u in
  // all, expect_same_sums' 2 * terms * u with terms = (n + 1) / 2, rounded up.
  const int n = C * taps + 1;
  expect_same_sums(out, want, sizes, (n + 2) / 2, "out");
}

}  // namespace

TEST(Conv2Implicit, ForwardMatchesTheSumsOnConv2sShape) {
  // Three images: the last runs of the last image end at the very end of the input, where
  // the packing copies a run exactly instead of a whole vector.
  compare_forward_with_double(3, 32, 13, 13, 64, 3, 41);
}

TEST(Conv2Implicit, ForwardMatchesTheSumsOnOddShapes) {
  // Rows of 39 pixels (runs longer than one vector), rows of 2, filters that fill no tile.
  compare_forward_with_double(2, 3, 7, 40, 7, 2, 43);
  compare_forward_with_double(4, 5, 4, 3, 13, 2, 45);
  compare_forward_with_double(1, 1, 3, 3, 1, 3, 47);
}

TEST(Conv2ChannelsLast, MatchesRungFourOnConv2sShape) {
  // conv2 of three images: 363 output pixels, several blocks of the weight gradient's sum
  // and a short last one.
  compare_with_rung_four(3, 32, 13, 13, 64, 3, 31);
}

TEST(Conv2ChannelsLast, MatchesRungFourOnOddShapes) {
  // Channels and filters that fill no sliver of the micro-kernel evenly, rows that are not
  // square, another kernel size.
  compare_with_rung_four(5, 5, 12, 10, 13, 3, 33);
  compare_with_rung_four(2, 3, 7, 6, 7, 2, 35);
}

TEST(Conv2ChannelsLast, RejectsADoutOfTheWrongShape) {
  const Tensor input_cl({2, 13, 13, 32}), weight({64, 32, 3, 3}), dout({64, 2, 11, 10});
  Tensor dweight, dbias, dinput;
  EXPECT_THROW(
      stage04::conv2d_channels_last_backward(input_cl, weight, dout, dweight, dbias, dinput),
      std::invalid_argument);
}

TEST(Conv1FusedBackward, ReadsAChannelsLastGradientAsItsTranspose) {
  // The forward's two copies of pool1 are each other's transpose, and the backward gives the
  // same bits from either layout of the gradient (the same products, in the same order).
  const Tensor images = random_tensor({3, 1, 28, 28}, 37);
  const Tensor weight = random_tensor({32, 1, 3, 3}, 38), bias = random_tensor({32}, 39);
  Tensor pooled, pooled_cl;
  std::vector<int32_t> winner;
  stage04::conv1_relu_pool_forward(images, weight, bias, pooled, winner, &pooled_cl);
  const Tensor back = transposed_channels(pooled_cl, /*back=*/true);
  EXPECT_EQ(0, std::memcmp(back.data(), pooled.data(),
                           sizeof(float) * static_cast<size_t>(pooled.size())));

  const Tensor dpooled = random_tensor({3, 32, 13, 13}, 40);
  Tensor dweight, dbias, dweight_cl, dbias_cl;
  stage04::conv1_relu_pool_backward(images, winner, dpooled, dweight, dbias);
  stage04::conv1_relu_pool_backward(images, winner, transposed_channels(dpooled), dweight_cl,
                                    dbias_cl, /*channels_last=*/true);
  EXPECT_EQ(0, std::memcmp(dweight.data(), dweight_cl.data(), sizeof(float) * 288));
  EXPECT_EQ(0, std::memcmp(dbias.data(), dbias_cl.data(), sizeof(float) * 32));
  EXPECT_NE(0.0f, dweight[0]);  // something flowed
}

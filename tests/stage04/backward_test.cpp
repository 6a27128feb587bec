// Every layer's backward pass against central finite differences of a double-precision
// reference of its forward pass (tests/stage04/reference.h), on small random shapes, plus
// hand-worked cases for the corners (ties, negative windows, odd edges).
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "02_im2col/im2col.h"
#include "03_blocked_simd/layers.h"
#include "04_backprop/col2im.h"
#include "04_backprop/layers_backward.h"
#include "common/rng.h"
#include "tests/stage04/reference.h"

using mnist::Tensor;
using reference::Array;

namespace {

constexpr double kStep = 1e-6;  // finite-difference step, in double

Tensor random_tensor(mnist::Shape shape, uint64_t seed, float lo = -1, float hi = 1) {
  Tensor t(std::move(shape));
  mnist::Rng rng(seed);
  for (float& v : t.values()) v = rng.uniform(lo, hi);
  return t;
}

/// max |analytic - numeric| relative to max |numeric|: one number for a whole tensor.
double gradient_error(const Tensor& analytic, const Array& numeric) {
  EXPECT_EQ(analytic.size(), static_cast<int64_t>(numeric.size()));
  double diff = 0, scale = 1e-12;
  for (size_t i = 0; i < numeric.size(); ++i) {
    diff = std::max(diff, std::abs(analytic[int64_t(i)] - numeric[i]));
    scale = std::max(scale, std::abs(numeric[i]));
  }
  return diff / scale;
}

/// d f / d x[i] for every i, by central differences.
Array numeric_gradient(Array& x, const std::function<double()>& f) {
  Array g(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    g[i] = reference::central_difference(x, int64_t(i), kStep, f);
  }
  return g;
}

double dot(const Array& a, const Array& b) {
  return std::inner_product(a.begin(), a.end(), b.begin(), 0.0);
}

// The analytic gradients are computed in float: float rounding (about 6e-8 relative) over
// sums of a few hundred terms stays far below this. A wrong index or a missing term is off
// by 1e-1 or more.
constexpr double kTolerance = 1e-4;

}  // namespace

TEST(SoftmaxCrossEntropy, HandWorkedTwoClasses) {
  // softmax([0, ln 3]) = [1/4, 3/4]; label 1: loss = -ln(3/4) = 0.287682;
  // dlogits = softmax - onehot = [0.25, -0.25] (one row, so the mean divides by 1).
  Tensor logits({1, 2});
  logits[1] = std::log(3.0f);
  Tensor dlogits;
  const int label = 1;
  EXPECT_NEAR(stage04::softmax_cross_entropy(logits, {&label, 1}, dlogits), 0.287682, 1e-6);
  EXPECT_NEAR(dlogits[0], 0.25, 1e-7);
  EXPECT_NEAR(dlogits[1], -0.25, 1e-7);
}

TEST(SoftmaxCrossEntropy, LargeLogitsStayFinite) {
  // The same row shifted by 1000: exp(1000) overflows float, the max-subtracted form does not.
  Tensor logits({1, 2});
  logits[0] = 1000;
  logits[1] = 1000 + std::log(3.0f);
  Tensor dlogits;
  const int label = 1;
  EXPECT_NEAR(stage04::softmax_cross_entropy(logits, {&label, 1}, dlogits), 0.287682, 1e-4);
  EXPECT_NEAR(dlogits[0], 0.25, 1e-4);
}

TEST(SoftmaxCrossEntropy, MatchesFiniteDifferencesOfTheMeanLoss) {
  const int N = 4, K = 5;
  const Tensor logits = random_tensor({N, K}, 3, -3, 3);
  const std::vector<int> labels = {0, 3, 4, 1};
  Tensor dlogits;
  const float loss = stage04::softmax_cross_entropy(logits, labels, dlogits);
  Array z = reference::to_double(logits);
  auto f = [&] { return reference::mean_cross_entropy(z, N, K, labels); };
  EXPECT_NEAR(loss, f(), 1e-6);
  EXPECT_LT(gradient_error(dlogits, numeric_gradient(z, f)), kTolerance);
}

TEST(SoftmaxCrossEntropy, RejectsBadLabels) {
  Tensor dlogits;
  const std::vector<int> labels = {10};
  EXPECT_THROW(stage04::softmax_cross_entropy(Tensor({1, 10}), labels, dlogits),
               std::invalid_argument);
  EXPECT_THROW(stage04::softmax_cross_entropy(Tensor({2, 10}), labels, dlogits),
               std::invalid_argument);
}

TEST(DenseBackward, MatchesFiniteDifferences) {
  const int N = 3, I = 7, J = 4;
  const Tensor input = random_tensor({N, I}, 1), weight = random_tensor({J, I}, 2);
  const Tensor bias = random_tensor({J}, 3), dout = random_tensor({N, J}, 4);
  Tensor dweight, dbias, dinput;
  stage04::dense_backward(input, weight, dout, dweight, dbias, &dinput);

  // With L = sum of out * dout, dL/dout = dout: the backward pass's input.
  Array in = reference::to_double(input), w = reference::to_double(weight);
  Array b = reference::to_double(bias);
  const Array r = reference::to_double(dout);
  auto L = [&] { return dot(reference::dense(in, N, I, w, b, J), r); };
  EXPECT_LT(gradient_error(dinput, numeric_gradient(in, L)), kTolerance);
  EXPECT_LT(gradient_error(dweight, numeric_gradient(w, L)), kTolerance);
  EXPECT_LT(gradient_error(dbias, numeric_gradient(b, L)), kTolerance);
}

TEST(ReluMaxpoolBackward, MatchesFiniteDifferencesWithAnOddEdge) {
  const int C = 3, N = 2, H = 7, W = 6;  // H odd: row 6 is dropped by the pooling
  const Tensor conv_out = random_tensor({C, N, H, W}, 5);
  const Tensor dout = random_tensor({N, C, H / 2, W / 2}, 6);
  const Tensor dconv = stage04::relu_maxpool2x2_backward_channel_major(conv_out, dout);
  ASSERT_EQ(dconv.shape(), conv_out.shape());

  Array x = reference::to_double(conv_out);  // channel-major, as the function takes it
  const Array r = reference::to_double(dout);
  auto L = [&] {
    Array nchw(x.size());
    for (int c = 0; c < C; ++c)
      for (int n = 0; n < N; ++n)
        for (int i = 0; i < H * W; ++i)
          nchw[(size_t(n) * C + c) * H * W + size_t(i)] =
              x[(size_t(c) * N + n) * H * W + size_t(i)];
    return dot(reference::maxpool2x2(reference::relu(nchw), N, C, H, W), r);
  };
  EXPECT_LT(gradient_error(dconv, numeric_gradient(x, L)), kTolerance);
}

TEST(ReluMaxpoolBackward, TieGoesToTheFirstAndNegativeWindowsGetNothing) {
  // One channel, one image, 2x4: two windows.
  //   [ 3  3 | -1   -2  ]   window 1: max 3, tied at (0,0) and (0,1): the first wins
  //   [ 1  2 | -3 -0.5  ]   window 2: max -0.5 < 0, so ReLU blocks the gradient
  Tensor conv_out({1, 1, 2, 4});
  const float values[] = {3, 3, -1, -2, 1, 2, -3, -0.5f};
  std::copy(std::begin(values), std::end(values), conv_out.data());
  Tensor dout({1, 1, 1, 2});
  dout[0] = 5;
  dout[1] = 7;
  const Tensor d = stage04::relu_maxpool2x2_backward_channel_major(conv_out, dout);
  const float want[] = {5, 0, 0, 0, 0, 0, 0, 0};
  for (int i = 0; i < 8; ++i) EXPECT_EQ(d[i], want[i]) << "at " << i;
}

namespace {

/// conv2d_backward_channel_major on random tensors of these sizes against finite
/// differences of L = sum of conv(in, w, b) * dout, whose gradients are what it computes.
void check_conv_backward(int N, int C, int H, int W, int O, int K, uint64_t seed) {
  const int OH = H - K + 1, OW = W - K + 1;
  const Tensor input = random_tensor({N, C, H, W}, seed);
  const Tensor weight = random_tensor({O, C, K, K}, seed + 1);
  const Tensor bias = random_tensor({O}, seed + 2);
  const Tensor dout = random_tensor({O, N, OH, OW}, seed + 3);  // channel-major
  Tensor dweight, dbias, dinput;
  stage04::conv2d_backward_channel_major(input, weight, dout, dweight, dbias, &dinput);

  Array in = reference::to_double(input), w = reference::to_double(weight);
  Array b = reference::to_double(bias);
  const Array r = reference::to_double(dout);
  auto L = [&] {
    const Array out = reference::conv2d(in, N, C, H, W, w, b, O, K);  // NCHW
    double sum = 0;
    for (int n = 0; n < N; ++n)
      for (int o = 0; o < O; ++o)
        for (int i = 0; i < OH * OW; ++i)
          sum += out[(size_t(n) * O + o) * OH * OW + size_t(i)] *
                 r[(size_t(o) * N + n) * OH * OW + size_t(i)];
    return sum;
  };
  EXPECT_LT(gradient_error(dinput, numeric_gradient(in, L)), kTolerance);
  EXPECT_LT(gradient_error(dweight, numeric_gradient(w, L)), kTolerance);
  EXPECT_LT(gradient_error(dbias, numeric_gradient(b, L)), kTolerance);
}

}  // namespace

TEST(ConvBackward, MatchesFiniteDifferences) {
  check_conv_backward(2, 3, 6, 5, 4, 3, 7);
}

TEST(ConvBackward, MatchesFiniteDifferencesOverSeveralChunksOfImages) {
  // 37 images: the backward pass works 16 images at a time, so this takes two full chunks
  // and a short one, whose weight gradients must add up.
  check_conv_backward(37, 2, 5, 4, 3, 3, 13);
}

TEST(ConvBackward, TheForwardPassColumnsGiveTheSameBits) {
  // Training hands the backward pass the forward pass's unfolded input instead of unfolding
  // it again; over 37 images (three chunks) every gradient must be bit for bit the same.
  const Tensor input = random_tensor({37, 2, 5, 4}, 21), weight = random_tensor({3, 2, 3, 3}, 22);
  const Tensor dout = random_tensor({3, 37, 3, 2}, 23);
  Tensor dw, db, din, dw_cols, db_cols, din_cols;
  stage04::conv2d_backward_channel_major(input, weight, dout, dw, db, &din);
  const Tensor columns = stage03::im2col_batch(input, 3);
  stage04::conv2d_backward_channel_major(input, weight, dout, dw_cols, db_cols, &din_cols,
                                         &columns);
  for (const auto& [a, b] : {std::pair{&dw, &dw_cols}, {&db, &db_cols}, {&din, &din_cols}}) {
    ASSERT_EQ(a->shape(), b->shape());
    EXPECT_TRUE(std::equal(a->values().begin(), a->values().end(), b->values().begin()));
  }
  const Tensor wrong({18, 36});  // one image short
  EXPECT_THROW(stage04::conv2d_backward_channel_major(input, weight, dout, dw, db, &din, &wrong),
               std::invalid_argument);
}

TEST(ConvBackward, SkipsTheInputGradientWhenNotAsked) {
  Tensor dweight, dbias;
  stage04::conv2d_backward_channel_major(random_tensor({2, 1, 5, 5}, 1),
                                         random_tensor({3, 1, 3, 3}, 2),
                                         random_tensor({3, 2, 3, 3}, 3), dweight, dbias, nullptr);
  EXPECT_EQ(dweight.shape(), (mnist::Shape{3, 1, 3, 3}));
  EXPECT_EQ(dbias.shape(), (mnist::Shape{3}));
}

TEST(ConvBackward, RejectsADoutOfTheWrongShape) {
  Tensor dweight, dbias;
  // dout must be channel-major [O,N,OH,OW] = [3,2,3,3]; NCHW [2,3,3,3] is refused.
  EXPECT_THROW(
      stage04::conv2d_backward_channel_major(Tensor({2, 1, 5, 5}), Tensor({3, 1, 3, 3}),
                                             Tensor({2, 3, 3, 3}), dweight, dbias, nullptr),
      std::invalid_argument);
}

TEST(Col2im, CountsHowManyWindowsCoverEachPixel) {
  // 3x3 image, 2x2 kernel: 4 windows. With every column entry 1, each pixel receives the
  // number of windows it lies under: corners 1, edges 2, the centre 4.
  std::vector<float> columns(4 * 4, 1.0f);
  std::vector<float> image(9, 0.0f);
  stage04::col2im(columns.data(), 1, 3, 3, 2, 4, image.data());
  const float want[] = {1, 2, 1, 2, 4, 2, 1, 2, 1};
  for (int i = 0; i < 9; ++i) EXPECT_EQ(image[size_t(i)], want[i]) << "pixel " << i;
}

TEST(Col2im, IsTheAdjointOfIm2col) {
  // <im2col(x), Y> = <x, col2im(Y)> for every x and Y: col2im is im2col transposed, which
  // is exactly what the chain rule needs. Checked inside a wider matrix (row stride 50).
  const int C = 2, H = 5, W = 6, K = 3, P = (H - K + 1) * (W - K + 1), stride = 50;
  const Tensor x = random_tensor({C, H, W}, 11);
  const Tensor y = random_tensor({C * K * K, stride}, 12);
  Tensor columns({C * K * K, stride});
  stage02::im2col(x.data(), C, H, W, K, columns.data(), stride);
  Tensor back({C, H, W});
  stage04::col2im(y.data(), C, H, W, K, stride, back.data());
  double lhs = 0, rhs = 0;
  for (int r = 0; r < C * K * K; ++r)
    for (int p = 0; p < P; ++p) lhs += double{columns(r, p)} * y(r, p);
  for (int64_t i = 0; i < x.size(); ++i) rhs += double{x[i]} * back[i];
  EXPECT_NEAR(lhs, rhs, 1e-5 * std::abs(lhs));
}

TEST(Dropout, MaskMultipliesElementByElement) {
  Tensor x({1, 4}), mask({1, 4});
  for (int i = 0; i < 4; ++i) x[i] = static_cast<float>(i + 1);
  mask[1] = 2;
  mask[3] = 2;
  stage04::apply_mask(x, mask);
  EXPECT_EQ(x[0], 0);
  EXPECT_EQ(x[1], 4);
  EXPECT_EQ(x[2], 0);
  EXPECT_EQ(x[3], 8);
  Tensor wrong({4, 1});
  EXPECT_THROW(stage04::apply_mask(x, wrong), std::invalid_argument);
}

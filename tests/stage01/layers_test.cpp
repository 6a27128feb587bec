// Stage 01's layers against values worked out by hand on tiny inputs.
#include <gtest/gtest.h>

#include <cmath>

#include "01_naive_loops/forward.h"
#include "01_naive_loops/layers.h"
#include "common/params.h"

using namespace stage01;

namespace {
Tensor make(mnist::Shape shape, std::vector<float> values) {
  Tensor t(std::move(shape));
  EXPECT_EQ(t.size(), static_cast<int64_t>(values.size()));
  for (size_t i = 0; i < values.size(); ++i) t[static_cast<int64_t>(i)] = values[i];
  return t;
}
}  // namespace

TEST(Conv2d, ThreeByThreeInputTwoByTwoKernel) {
  // input 1..9 in a 3x3 grid; kernel [[1,0],[0,-1]]; bias 0.5
  // out(0,0) = 1 - 5 + .5 = -3.5; out(0,1) = 2 - 6 + .5 = -3.5; out(1,0) = 4 - 8 + .5 = -3.5 ...
  // every output is a - (a+4) + .5 = -3.5; a second kernel [[0,1],[1,0]] sums the anti-diagonal.
  const Tensor in = make({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  const Tensor w = make({2, 1, 2, 2}, {1, 0, 0, -1, 0, 1, 1, 0});
  const Tensor b = make({2}, {0.5f, 0});
  const Tensor out = conv2d(in, w, b);
  ASSERT_EQ(out.shape(), (mnist::Shape{1, 2, 2, 2}));
  for (int i = 0; i < 4; ++i) EXPECT_FLOAT_EQ(out[i], -3.5f);
  // anti-diagonal sums: 2+4, 3+5, 5+7, 6+8
  EXPECT_FLOAT_EQ(out(0, 1, 0, 0), 6);
  EXPECT_FLOAT_EQ(out(0, 1, 0, 1), 8);
  EXPECT_FLOAT_EQ(out(0, 1, 1, 0), 12);
  EXPECT_FLOAT_EQ(out(0, 1, 1, 1), 14);
}

TEST(Conv2d, SumsOverInputChannels) {
  // Two 2x2 input channels, one 2x2 kernel per channel, all ones: out = sum of all 8 inputs.
  const Tensor in = make({1, 2, 2, 2}, {1, 2, 3, 4, 10, 20, 30, 40});
  Tensor w({1, 2, 2, 2});
  w.fill(1);
  const Tensor out = conv2d(in, w, make({1}, {-100}));
  ASSERT_EQ(out.shape(), (mnist::Shape{1, 1, 1, 1}));
  EXPECT_FLOAT_EQ(out[0], 110 - 100);
}

TEST(Conv2d, RejectsMismatchedWeights) {
  EXPECT_THROW(conv2d(Tensor({1, 2, 4, 4}), Tensor({3, 1, 3, 3}), Tensor({3})),
               std::invalid_argument);
}

TEST(Relu, ClampsNegativesOnly) {
  const Tensor out = relu(make({4}, {-2, -0.0f, 0.5f, 3}));
  EXPECT_EQ(out[0], 0);
  EXPECT_EQ(out[1], 0);
  EXPECT_EQ(out[2], 0.5f);
  EXPECT_EQ(out[3], 3);
}

TEST(MaxPool, TakesEachWindowsMaxAndDropsOddEdge) {
  // 5x5 input numbered 0..24; 2x2 windows -> 2x2 output; row 4 and column 4 dropped.
  Tensor in({1, 1, 5, 5});
  for (int i = 0; i < 25; ++i) in[i] = static_cast<float>(i);
  in(0, 0, 0, 0) = 100;  // max of the first window is wherever it lies
  const Tensor out = maxpool2x2(in);
  ASSERT_EQ(out.shape(), (mnist::Shape{1, 1, 2, 2}));
  EXPECT_EQ(out[0], 100);
  EXPECT_EQ(out[1], 8);   // window rows 0-1, cols 2-3: max is 1*5+3
  EXPECT_EQ(out[2], 16);  // rows 2-3, cols 0-1: 3*5+1
  EXPECT_EQ(out[3], 18);  // rows 2-3, cols 2-3: 3*5+3
}

TEST(Flatten, KeepsChannelMajorOrder) {
  Tensor in({2, 2, 1, 2});
  for (int i = 0; i < 8; ++i) in[i] = static_cast<float>(i);
  const Tensor out = flatten(std::move(in));
  ASSERT_EQ(out.shape(), (mnist::Shape{2, 4}));
  EXPECT_EQ(out(1, 0), 4);  // image 1, channel 0, x 0
  EXPECT_EQ(out(1, 3), 7);
}

TEST(Dense, MatrixTimesVectorPlusBias) {
  // x = [1, 2, 3]; W rows [1,0,-1] and [2,2,2]; b = [0.5, -1]
  // y0 = 1 - 3 + .5 = -1.5, y1 = 12 - 1 = 11
  const Tensor out =
      dense(make({1, 3}, {1, 2, 3}), make({2, 3}, {1, 0, -1, 2, 2, 2}), make({2}, {0.5f, -1}));
  EXPECT_FLOAT_EQ(out(0, 0), -1.5f);
  EXPECT_FLOAT_EQ(out(0, 1), 11);
}

TEST(Dense, RejectsShapesThatDoNotFit) {
  // Weight [2,3] against inputs of 4 features, a bias of the wrong length, a 3-d input.
  EXPECT_THROW(dense(Tensor({1, 4}), Tensor({2, 3}), Tensor({2})), std::invalid_argument);
  EXPECT_THROW(dense(Tensor({1, 3}), Tensor({2, 3}), Tensor({3})), std::invalid_argument);
  EXPECT_THROW(dense(Tensor({1, 1, 3}), Tensor({2, 3}), Tensor({2})), std::invalid_argument);
  try {
    check_dense_shapes(Tensor({1, 4}), Tensor({2, 3}), Tensor({2}));
    ADD_FAILURE() << "a [2,3] weight was accepted for inputs of 4 features";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("[2,3]"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("[1,4]"), std::string::npos) << e.what();
  }
}

TEST(Softmax, RowsSumToOneAndLargeLogitsDoNotOverflow) {
  // softmax([0, ln 3]) = [1/4, 3/4]; adding 1000 to both changes nothing (no overflow).
  const float ln3 = std::log(3.0f);
  const Tensor out = softmax(make({2, 2}, {0, ln3, 1000, 1000 + ln3}));
  EXPECT_NEAR(out(0, 0), 0.25, 1e-6);
  EXPECT_NEAR(out(0, 1), 0.75, 1e-6);
  EXPECT_NEAR(out(1, 0), 0.25, 1e-4);
  EXPECT_NEAR(out(1, 1), 0.75, 1e-4);
}

TEST(Forward, ShapesThroughTheNetwork) {
  const mnist::Params p = mnist::init_params(1);
  Tensor images({3, 1, 28, 28});
  images.fill(0.5f);
  const Tensor logits = forward(p, images);
  EXPECT_EQ(logits.shape(), (mnist::Shape{3, 10}));
  // Same image three times: same logits; a zero-bias network on a constant image still
  // gives different logits per class.
  EXPECT_EQ(logits(0, 3), logits(2, 3));
  EXPECT_NE(logits(0, 0), logits(0, 1));
}

// Rungs 3-5's pool2 with winners (pool2_winners.h) against rung 1's layers, bit for bit:
// the forward against stage03::relu_maxpool2x2_channel_major, the backward against
// relu_maxpool2x2_backward_channel_major, on values drawn from a few levels so that ties,
// windows below zero and windows at exactly zero are all common.
#include "04_backprop/pool2_winners.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "03_blocked_simd/layers.h"
#include "04_backprop/layers_backward.h"
#include "common/rng.h"

namespace {

using mnist::Tensor;

/// A tensor of whole numbers in [-2, 2]: a quarter of a 2x2 window's values tie with
/// another, and the windows whose maximum is 0 or below are many.
Tensor few_levels(const mnist::Shape& shape, uint64_t seed) {
  mnist::Rng rng(seed);
  Tensor t(shape);
  for (int64_t i = 0; i < t.size(); ++i) t[i] = std::floor(rng.uniform(-2.0f, 3.0f));
  return t;
}

/// Whether a and b hold the same shape and the same bits (so +0 and -0 differ).
void expect_same_bits(const Tensor& a, const Tensor& b) {
  ASSERT_EQ(a.shape(), b.shape());
  for (int64_t i = 0; i < a.size(); ++i) {
    uint32_t x, y;
    std::memcpy(&x, a.data() + i, sizeof x);
    std::memcpy(&y, b.data() + i, sizeof y);
    ASSERT_EQ(x, y) << "at " << i << ": " << a[i] << " against " << b[i];
  }
}

/// Forward and backward with winners against rung 1's, for conv outputs [C,N,H,W].
void check_against_rung1(int C, int N, int H, int W, uint64_t seed) {
  const Tensor conv_out = few_levels({C, N, H, W}, seed);
  Tensor pooled;
  std::vector<int32_t> winner;
  stage04::relu_maxpool2x2_forward_winners(conv_out, pooled, winner);
  expect_same_bits(pooled, stage03::relu_maxpool2x2_channel_major(conv_out));

  const Tensor dout = mnist::random_tensor({N, C, H / 2, W / 2}, seed + 1);
  // A used buffer: every element must be overwritten, the dropped edges included.
  Tensor dconv({C, N, H, W});
  for (int64_t i = 0; i < dconv.size(); ++i) dconv[i] = std::numeric_limits<float>::quiet_NaN();
  stage04::relu_maxpool2x2_backward_winners(winner, dout, conv_out.shape(), dconv);
  expect_same_bits(dconv, stage04::relu_maxpool2x2_backward_channel_major(conv_out, dout));
}

TEST(Pool2Winners, MatchesRung1OnConv2sSliceShape) {
  check_against_rung1(64, 8, 11, 11, 1);  // a slice of 8 images: 11 x 11, odd edges dropped
}

TEST(Pool2Winners, MatchesRung1WithEvenAndOddEdges) {
  check_against_rung1(3, 2, 7, 6, 3);  // an odd row, an even width
  check_against_rung1(2, 3, 4, 9, 5);  // an even height, an odd column
}

TEST(Pool2Winners, CodesNameTheFirstMaximumOrNoGradient) {
  // One channel, one image, 2x6: three windows.
  //   [ 3  3 | -1   -2  | 0 0 ]   max 3, tied at (0,0) and (0,1): the first wins, code 0
  //   [ 1  2 | -3 -0.5  | 0 0 ]   max -0.5: ReLU blocks, code 4; max 0: blocked too, 4
  Tensor conv_out({1, 1, 2, 6});
  const float values[] = {3, 3, -1, -2, 0, 0, 1, 2, -3, -0.5f, 0, 0};
  std::copy(std::begin(values), std::end(values), conv_out.data());
  Tensor pooled;
  std::vector<int32_t> winner;
  stage04::relu_maxpool2x2_forward_winners(conv_out, pooled, winner);
  EXPECT_EQ(winner, (std::vector<int32_t>{0, 4, 4}));
  EXPECT_EQ(pooled[0], 3.0f);
  EXPECT_EQ(pooled[1], 0.0f);
}

}  // namespace

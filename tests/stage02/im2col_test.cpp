// stage02::im2col against patches worked out by hand.
#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

#include "02_im2col/im2col.h"

TEST(Im2col, TwoChannelsByHand) {
  // Channel 0 is 0..8 on a 3x3 grid, channel 1 is 10..18; kernel 2: OH = OW = 2, so the
  // column matrix is [2*2*2, 4]. Column p = y*2 + x is the patch at (y, x).
  std::vector<float> image(18);
  for (int i = 0; i < 9; ++i) image[i] = float(i), image[9 + i] = float(10 + i);
  std::vector<float> cols(8 * 4, -1);
  stage02::im2col(image.data(), 2, 3, 3, 2, cols.data());
  const float want[8][4] = {{0, 1, 3, 4},      // c0 ky0 kx0: top-left of each patch
                            {1, 2, 4, 5},      // c0 ky0 kx1
                            {3, 4, 6, 7},      // c0 ky1 kx0
                            {4, 5, 7, 8},      // c0 ky1 kx1
                            {10, 11, 13, 14},  // c1 ...
                            {11, 12, 14, 15}, {13, 14, 16, 17}, {14, 15, 17, 18}};
  for (int r = 0; r < 8; ++r)
    for (int p = 0; p < 4; ++p)
      EXPECT_EQ(cols[r * 4 + p], want[r][p]) << "row " << r << " col " << p;
}

TEST(Im2col, NonSquareImageAndRowStride) {
  // 1 channel, 2x4 image 0..7, kernel 2: OH = 1, OW = 3. Written with row stride 5, the
  // two floats after each row stay untouched.
  std::vector<float> image = {0, 1, 2, 3, 4, 5, 6, 7};
  std::vector<float> cols(4 * 5, -1);
  stage02::im2col(image.data(), 1, 2, 4, 2, cols.data(), 5);
  const float want[4][3] = {{0, 1, 2}, {1, 2, 3}, {4, 5, 6}, {5, 6, 7}};
  for (int r = 0; r < 4; ++r) {
    for (int p = 0; p < 3; ++p) EXPECT_EQ(cols[r * 5 + p], want[r][p]);
    EXPECT_EQ(cols[r * 5 + 3], -1);
    EXPECT_EQ(cols[r * 5 + 4], -1);
  }
}

TEST(Im2col, RejectsKernelLargerThanImage) {
  std::vector<float> image(4), cols(16);
  EXPECT_THROW(stage02::im2col(image.data(), 1, 2, 2, 3, cols.data()), std::invalid_argument);
}

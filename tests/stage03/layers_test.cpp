// Stage 03's layers against stage 01's reference layers, on random inputs.
#include <gtest/gtest.h>
#include <omp.h>

#include "01_naive_loops/layers.h"
#include "03_blocked_simd/layers.h"
#include "tests/support/test_support.h"

using mnist::Tensor;
using mnist::testkit::relative_error;

using mnist::testkit::random_tensor;

TEST(Stage03Layers, Im2colBatchPutsImagesSideBySide) {
  // Two 1x3x3 images numbered 0..8 and 100..108, 2x2 kernel: 4 patches each.
  Tensor in({2, 1, 3, 3});
  for (int i = 0; i < 9; ++i) in[i] = float(i), in[9 + i] = float(100 + i);
  const Tensor cols = stage03::im2col_batch(in, 2);
  ASSERT_EQ(cols.shape(), (mnist::Shape{4, 8}));
  // Row 0 is the top-left of each patch: 0,1,3,4 then 100,101,103,104.
  const float row0[] = {0, 1, 3, 4, 100, 101, 103, 104};
  for (int j = 0; j < 8; ++j) EXPECT_EQ(cols(0, j), row0[j]);
  // Row 3 (ky=1, kx=1) is the bottom-right: 4,5,7,8 for the first image.
  EXPECT_EQ(cols(3, 0), 4);
  EXPECT_EQ(cols(3, 3), 8);
  EXPECT_EQ(cols(3, 7), 108);
}

TEST(Stage03Layers, ConvMatchesStage01OnOneAndTwoThreads) {
  // Odd sizes on purpose: 3 images, 5 channels, 9x7, 4 filters; and the network's conv2.
  struct Shape {
    int n, c, h, w, o, k;
  };
  for (const Shape s :
       {Shape{3, 5, 9, 7, 4, 3}, Shape{2, 32, 13, 13, 64, 3}, Shape{1, 1, 5, 5, 3, 5}}) {
    const Tensor in = random_tensor({s.n, s.c, s.h, s.w}, 1),
                 w = random_tensor({s.o, s.c, s.k, s.k}, 2), b = random_tensor({s.o}, 3);
    const Tensor want = stage01::conv2d(in, w, b);
    for (int threads : {1, 2}) {
      omp_set_num_threads(threads);
      EXPECT_LT(relative_error(stage03::conv2d(in, w, b), want), 1e-5) << threads << " threads";
      // The channel-major result is the same numbers with N and C swapped.
      const Tensor cm = stage03::conv2d_channel_major(in, w, b);
      ASSERT_EQ(cm.shape(), (mnist::Shape{s.o, s.n, want.dim(2), want.dim(3)}));
      Tensor swapped(want.shape());  // cm read back as NCHW, element by element
      for (int n = 0; n < s.n; ++n)
        for (int o = 0; o < s.o; ++o)
          for (int y = 0; y < want.dim(2); ++y)
            for (int x = 0; x < want.dim(3); ++x) swapped(n, o, y, x) = cm(o, n, y, x);
      EXPECT_LT(relative_error(swapped, want), 1e-5) << threads << " threads, channel-major";
    }
  }
}

TEST(Stage03Layers, ConvRejectsMismatchedWeights) {
  EXPECT_THROW(stage03::conv2d(Tensor({1, 2, 4, 4}), Tensor({3, 1, 3, 3}), Tensor({3})),
               std::invalid_argument);
  EXPECT_THROW(stage03::conv2d(Tensor({1, 1, 2, 2}), Tensor({1, 1, 3, 3}), Tensor({1})),
               std::invalid_argument);
}

TEST(Stage03Layers, ReluMaxpoolChannelMajorMatchesStage01) {
  // [C=3, N=2, 7, 5]: odd height and width, so the last row and column are dropped.
  const Tensor cnhw = random_tensor({3, 2, 7, 5}, 4);
  Tensor nchw({2, 3, 7, 5});
  for (int c = 0; c < 3; ++c)
    for (int n = 0; n < 2; ++n)
      for (int y = 0; y < 7; ++y)
        for (int x = 0; x < 5; ++x) nchw(n, c, y, x) = cnhw(c, n, y, x);
  const Tensor want = stage01::maxpool2x2(stage01::relu(std::move(nchw)));
  const Tensor got = stage03::relu_maxpool2x2_channel_major(cnhw);
  ASSERT_EQ(got.shape(), want.shape());
  for (int64_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i], want[i]) << i;
}

TEST(Stage03Layers, DenseMatchesStage01) {
  for (int n : {1, 5, 128}) {
    const Tensor x = random_tensor({n, 1600}, 5), w = random_tensor({10, 1600}, 6),
                 b = random_tensor({10}, 7);
    for (int threads : {1, 2}) {
      omp_set_num_threads(threads);
      EXPECT_LT(relative_error(stage03::dense(x, w, b), stage01::dense(x, w, b)), 1e-5) << n;
    }
  }
  EXPECT_THROW(stage03::dense(Tensor({2, 3}), Tensor({4, 2}), Tensor({4})), std::invalid_argument);
}

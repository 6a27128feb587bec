#include <gtest/gtest.h>

#include <cstdint>

#include "common/tensor.h"

using mnist::Tensor;

TEST(Tensor, ShapeSizeAndZeroFill) {
  Tensor t({2, 3, 4, 5});
  EXPECT_EQ(t.rank(), 4);
  EXPECT_EQ(t.size(), 120);
  EXPECT_EQ(t.dim(-1), 5);
  for (float v : t.values()) EXPECT_EQ(v, 0.0f);
}

TEST(Tensor, StorageIs64ByteAligned) {
  for (int n : {1, 3, 17, 1000}) {
    Tensor t({n});
    EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data()) % 64, 0u) << n;
  }
}

TEST(Tensor, LargeStorageIsHugePageAligned) {
  // 2 MiB and more: aligned to 2 MiB, so that transparent huge pages can back all of it;
  // zero-filled like any tensor. Just under 2 MiB keeps the ordinary 64-byte alignment.
  for (int floats : {1 << 19, (1 << 19) + 5, 3 << 20}) {
    Tensor t({floats});
    EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data()) % (2u << 20), 0u) << floats;
    EXPECT_EQ(t[floats - 1], 0.0f);
  }
  Tensor small({(1 << 19) - 1});
  EXPECT_EQ(reinterpret_cast<uintptr_t>(small.data()) % 64, 0u);
}

TEST(Tensor, IndexingIsRowMajorNchw) {
  Tensor t({2, 3, 4, 5});
  t(1, 2, 3, 4) = 7.0f;
  EXPECT_EQ(t[((1 * 3 + 2) * 4 + 3) * 5 + 4], 7.0f);
  t(0, 1, 0, 2) = 3.0f;
  EXPECT_EQ(t[(1 * 4 + 0) * 5 + 2], 3.0f);
}

TEST(Tensor, MoveIsCheapAndCloneIsDeep) {
  Tensor a({4});
  a[0] = 1;
  const float* storage = a.data();
  Tensor b = std::move(a);
  EXPECT_EQ(b.data(), storage);  // moved, not copied
  Tensor c = b.clone();
  c[0] = 2;
  EXPECT_EQ(b[0], 1);
  EXPECT_NE(c.data(), b.data());
}

TEST(Tensor, ReshapeKeepsDataAndChecksCount) {
  Tensor a({2, 3});
  a[5] = 9;
  Tensor b = std::move(a).reshaped({6});
  EXPECT_EQ(b[5], 9);
  EXPECT_THROW(std::move(b).reshaped({4}), std::invalid_argument);
}

#ifndef NDEBUG
TEST(Tensor, DebugBuildsCheckBounds) {
  Tensor t({2, 2});
  EXPECT_THROW(t(2, 0), std::out_of_range);
  EXPECT_THROW(t[4], std::out_of_range);
}
#endif

TEST(Tensor, ExpectShapeNamesWhat) {
  Tensor t({2, 2});
  try {
    mnist::expect_shape(t, {3}, "my input");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("my input"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("[2,2]"), std::string::npos);
  }
}

TEST(Tensor, EnsureShapeKeepsAFittingTensorAndReplacesAnother) {
  Tensor t({2, 2});
  t[3] = 5;
  const float* storage = t.data();
  mnist::ensure_shape(t, {2, 2});  // fits: the same storage, the same contents
  EXPECT_EQ(t.data(), storage);
  EXPECT_EQ(t[3], 5);
  mnist::ensure_shape(t, {4});  // the same size, another shape: a fresh tensor of zeros
  EXPECT_EQ(t.shape(), (mnist::Shape{4}));
  EXPECT_EQ(t[3], 0);
}

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

#include "common/rng.h"

TEST(Rng, SameSeedSameNumbers) {
  mnist::Rng a(42), b(42), c(43);
  bool differs = false;
  for (int i = 0; i < 100; ++i) {
    const uint64_t x = a.next_u64();
    EXPECT_EQ(x, b.next_u64());
    differs |= x != c.next_u64();
  }
  EXPECT_TRUE(differs);
}

TEST(Rng, KnownFirstValueIsPortable) {
  // Pinned so that a change of generator (which would change every seeded run) is noticed.
  mnist::Rng rng(0);
  EXPECT_EQ(rng.next_u64(), 0x99EC5F36CB75F2B4ull);
}

TEST(Rng, UniformStaysInRange) {
  mnist::Rng rng(1);
  double sum = 0;
  for (int i = 0; i < 100000; ++i) {
    const float u = rng.uniform();
    ASSERT_GE(u, 0.0f);
    ASSERT_LT(u, 1.0f);
    sum += u;
  }
  EXPECT_NEAR(sum / 100000, 0.5, 0.01);
}

TEST(Rng, ShuffleIsAPermutation) {
  std::vector<int> v(1000);
  std::iota(v.begin(), v.end(), 0);
  mnist::Rng rng(3);
  mnist::shuffle(v, rng);
  EXPECT_FALSE(std::is_sorted(v.begin(), v.end()));
  std::sort(v.begin(), v.end());
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(v[static_cast<size_t>(i)], i);
}

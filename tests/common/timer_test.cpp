#include <gtest/gtest.h>

#include "common/timer.h"

TEST(Percentiles, InterpolateBetweenRanks) {
  std::vector<double> v;
  for (int i = 1; i <= 101; ++i) v.push_back(i);  // 1..101
  const mnist::Percentiles p = mnist::summarize(v);
  EXPECT_EQ(p.min, 1);
  EXPECT_EQ(p.max, 101);
  EXPECT_DOUBLE_EQ(p.p50, 51);
  EXPECT_DOUBLE_EQ(p.p90, 91);
  EXPECT_DOUBLE_EQ(p.p99, 100);
  EXPECT_EQ(p.count, 101);
}

TEST(Percentiles, OrderDoesNotMatterAndEmptyIsZero) {
  const mnist::Percentiles p = mnist::summarize({3, 1, 2});
  EXPECT_DOUBLE_EQ(p.p50, 2);
  EXPECT_EQ(mnist::summarize({}).count, 0);
}

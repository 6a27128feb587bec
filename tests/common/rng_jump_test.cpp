// RngJump against the plain way of getting n draws ahead: n calls of next_u64().
#include "common/rng_jump.h"

#include <gtest/gtest.h>

#include <string>

#include "common/rng.h"

namespace {

/// rng after n calls of next_u64().
mnist::Rng drawn(mnist::Rng rng, uint64_t n) {
  for (uint64_t i = 0; i < n; ++i) rng.next_u64();
  return rng;
}

}  // namespace

TEST(Rng, ContinuesFromItsState) {
  mnist::Rng rng(5);
  rng.next_u64();
  mnist::Rng copy(rng.state());
  for (int i = 0; i < 10; ++i) EXPECT_EQ(copy.next_u64(), rng.next_u64());
}

TEST(RngJump, LandsWhereTheDrawsLand) {
  // Around the powers of two that square-and-multiply works in (63, 64, 65), and the
  // counts stage 04 jumps by: one row of the dropout mask (1600 draws), one slice of 8 rows
  // (12800), and a whole batch of 128 rows.
  for (const uint64_t n : {0, 1, 2, 3, 7, 63, 64, 65, 1000, 1600, 12800, 204800, 1000003}) {
    SCOPED_TRACE("n = " + std::to_string(n));
    for (const uint64_t seed : {1, 99}) {
      const mnist::RngJump jump(n);
      EXPECT_EQ(jump.draws(), n);
      mnist::Rng jumped(seed);
      jump.apply(jumped);
      mnist::Rng want = drawn(mnist::Rng(seed), n);
      EXPECT_EQ(jumped.state(), want.state());
      for (int i = 0; i < 4; ++i) EXPECT_EQ(jumped.next_u64(), want.next_u64());
    }
  }
}

TEST(RngJump, JumpsAddUp) {
  // One matrix applied again and again walks the stream in equal steps: what stage 04 does
  // from one slice to the next.
  const mnist::RngJump jump(1600);
  mnist::Rng walked(7);
  for (int k = 1; k <= 5; ++k) {
    jump.apply(walked);
    EXPECT_EQ(walked.state(), drawn(mnist::Rng(7), 1600 * uint64_t(k)).state()) << k << " jumps";
  }
}

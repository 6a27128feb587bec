// The arithmetic of data parallelism, on the CPU (runs everywhere, CI included): which rows
// each rank owns, the factors that make the sum a global mean, the global batch, the
// learning rate of weak scaling, the message for too many GPUs, and NVLS kept off.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <numeric>
#include <vector>

#include "06_multi_gpu/nvls_off.h"
#include "06_multi_gpu/sharding.h"

namespace stage06 {
namespace {

TEST(Sharding, ShardsCoverEveryRowOnceInOrder) {
  for (int rows : {1, 2, 44, 96, 127, 128, 1024}) {
    for (int ranks = 1; ranks <= 8; ++ranks) {
      int next = 0;
      for (int r = 0; r < ranks; ++r) {
        const Shard s = shard_of(rows, ranks, r);
        EXPECT_EQ(s.begin, next) << rows << " rows, rank " << r << " of " << ranks;
        // As equal as possible: every shard has rows/ranks rows or one more.
        EXPECT_GE(s.count, rows / ranks);
        EXPECT_LE(s.count, rows / ranks + 1);
        next += s.count;
      }
      EXPECT_EQ(next, rows) << rows << " rows over " << ranks;
    }
  }
}

TEST(Sharding, UnequalShardsGiveTheFirstRanksOneMore) {
  // 128 over 3: 43, 43, 42; the last batch of MNIST (60000 = 468 x 128 + 96) over 5.
  EXPECT_EQ(shard_of(128, 3, 0).count, 43);
  EXPECT_EQ(shard_of(128, 3, 1).begin, 43);
  EXPECT_EQ(shard_of(128, 3, 2).begin, 86);
  EXPECT_EQ(shard_of(128, 3, 2).count, 42);
  EXPECT_EQ(shard_of(96, 5, 0).count, 20);
  EXPECT_EQ(shard_of(96, 5, 4).begin, 77);
  EXPECT_EQ(shard_of(96, 5, 4).count, 19);
}

TEST(Sharding, ABatchSmallerThanTheRanksLeavesSomeEmpty) {
  EXPECT_EQ(shard_of(2, 3, 0).count, 1);
  EXPECT_EQ(shard_of(2, 3, 1).count, 1);
  EXPECT_EQ(shard_of(2, 3, 2).count, 0);
  EXPECT_EQ(gradient_scale(shard_of(2, 3, 2), 2), 0.0f);
}

TEST(Sharding, BadRanksAreRefused) {
  EXPECT_THROW(shard_of(128, 0, 0), std::invalid_argument);
  EXPECT_THROW(shard_of(128, 2, 2), std::invalid_argument);
  EXPECT_THROW(shard_of(-1, 2, 0), std::invalid_argument);
}

TEST(Sharding, ScaledShardMeansAddUpToTheGlobalMean) {
  // Rows with values 0..N-1: each rank's mean, times its factor, summed over ranks, must be
  // the mean of all rows, for equal and unequal shards alike.
  for (int rows : {44, 96, 128, 2}) {
    for (int ranks = 1; ranks <= 8; ++ranks) {
      double total = 0, factors = 0;
      for (int r = 0; r < ranks; ++r) {
        const Shard s = shard_of(rows, ranks, r);
        double sum = 0;
        for (int i = s.begin; i < s.begin + s.count; ++i) sum += i;
        const double mean = s.count ? sum / s.count : 0;
        total += gradient_scale(s, rows) * mean;
        factors += gradient_scale(s, rows);
      }
      EXPECT_NEAR(total, (rows - 1) / 2.0, 1e-5 * rows) << rows << " rows over " << ranks;
      EXPECT_NEAR(factors, 1.0, 1e-6);
    }
  }
  // Unequal shards are not weighted 1/G: 43/128, not 1/3.
  EXPECT_EQ(gradient_scale(shard_of(128, 3, 0), 128), 43.0f / 128.0f);
  EXPECT_EQ(gradient_scale(shard_of(128, 1, 0), 128), 1.0f);
}

TEST(Sharding, TheEpochEndsWithWhatIsLeft) {
  const EpochPlan mnist_plan = epoch_plan(60000, 128);
  EXPECT_EQ(mnist_plan.steps, 469);
  EXPECT_EQ(mnist_plan.rows(0), 128);
  EXPECT_EQ(mnist_plan.rows(468), 96);
  EXPECT_EQ(mnist_plan.begin(468), 59904);
  const EpochPlan tiny = epoch_plan(300, 1024);  // a batch larger than the set: one step
  EXPECT_EQ(tiny.steps, 1);
  EXPECT_EQ(tiny.rows(0), 300);
  EXPECT_EQ(largest_shard(epoch_plan(300, 128), 3), 43);
  EXPECT_THROW(epoch_plan(0, 128), std::invalid_argument);
}

TEST(Sharding, StrongKeepsTheBatchAndRateWeakScalesBoth) {
  EXPECT_EQ(global_batch(128, 4, Scaling::strong), 128);
  EXPECT_EQ(global_batch(128, 4, Scaling::weak), 512);
  EXPECT_EQ(scaled_lr(1e-3f, 4, Scaling::strong), 1e-3f);
  EXPECT_FLOAT_EQ(scaled_lr(1e-3f, 4, Scaling::weak), 2e-3f);  // sqrt(4) = 2
  // One GPU trains as stage 05 whatever the mode.
  EXPECT_EQ(scaled_lr(1e-3f, 1, Scaling::weak), 1e-3f);
  EXPECT_EQ(global_batch(128, 1, Scaling::weak), 128);
  EXPECT_EQ(parse_scaling("weak"), Scaling::weak);
  EXPECT_EQ(parse_scaling("strong"), Scaling::strong);
  EXPECT_FALSE(parse_scaling("Strong").has_value());
}

TEST(Sharding, TooManyGpusSaysHowManyThereAre) {
  EXPECT_EQ(too_many_gpus(3, 1), "--gpus 3: this machine has 1 GPU");
  EXPECT_EQ(too_many_gpus(8, 2), "--gpus 8: this machine has 2 GPUs");
}

TEST(NvlsOff, SetsZeroAndSaysWhatItOverrode) {
  unsetenv("NCCL_NVLS_ENABLE");
  EXPECT_EQ(keep_nvls_off(), "");
  EXPECT_STREQ(std::getenv("NCCL_NVLS_ENABLE"), "0");
  EXPECT_EQ(keep_nvls_off(), "");  // already 0: nothing to say
  setenv("NCCL_NVLS_ENABLE", "1", 1);
  EXPECT_NE(keep_nvls_off().find("was '1'"), std::string::npos);
  EXPECT_STREQ(std::getenv("NCCL_NVLS_ENABLE"), "0");
}

}  // namespace
}  // namespace stage06

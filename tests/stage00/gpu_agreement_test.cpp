// The CUDA version against the CPU version, step by step from the same seed. Without a usable
// GPU every test here reports itself SKIPPED with the reason.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "00_stoplight/gpu_stoplight.h"
#include "00_stoplight/stoplight.h"
#include "00_stoplight/training.h"

using namespace stage00;

#define REQUIRE_CUDA()                                         \
  do {                                                         \
    if (const auto why = ::stage00::cuda_unavailable_reason()) \
      GTEST_SKIP() << "no CUDA device: " << *why;              \
  } while (0)

namespace {
// The GPU may fuse a multiply and an add into one rounding (FMA) where the CPU rounds twice,
// so the two drift apart by a few float ulps per step, not more.
constexpr float kTolerance = 1e-5f;
}  // namespace

TEST(Gpu, WeightsAndErrorsAgreeWithTheCpuStepByStep) {
  REQUIRE_CUDA();
  for (uint64_t seed : {1, 4, 5}) {  // seeds that learn (see stoplight_test.cpp)
    Weights cpu = init_weights(seed);
    GpuStoplight gpu(cpu, kWalkXor);
    for (int it = 1; it <= kMaxIterations; ++it) {
      const float cpu_error = train_step(cpu, kWalkXor);
      const float gpu_error = gpu.step();
      ASSERT_NEAR(gpu_error, cpu_error, kTolerance * std::max(1.0f, cpu_error))
          << "seed " << seed << " iteration " << it;
      const Weights g = gpu.weights();
      for (int j = 0; j < kHidden; ++j) {
        ASSERT_NEAR(g.output[j], cpu.output[j], kTolerance) << "seed " << seed << " it " << it;
        for (int i = 0; i < kInputs; ++i) {
          ASSERT_NEAR(g.hidden[j][i], cpu.hidden[j][i], kTolerance)
              << "seed " << seed << " it " << it;
        }
      }
      if (cpu_error < kTargetError) break;
    }
  }
}

TEST(Gpu, SameIterationCountAndPredictionsAsTheCpu) {
  REQUIRE_CUDA();
  for (uint64_t seed : {6, 7, 8}) {
    Weights cpu = init_weights(seed);
    GpuStoplight gpu(cpu, kWalkXor);
    const TrainLog cpu_log = train([&] { return train_step(cpu, kWalkXor); }, false);
    const TrainLog gpu_log = train([&] { return gpu.step(); }, false);
    EXPECT_EQ(gpu_log.iterations(), cpu_log.iterations()) << "seed " << seed;
    const auto want = predict(cpu), got = gpu.predict();
    for (int n = 0; n < kPatterns; ++n) {
      EXPECT_NEAR(got[n], want[n], 1e-4) << "seed " << seed << " pattern " << n;
    }
  }
}

// The shared training loop: its stopping rule and its report, driven by made-up steps.
#include <gtest/gtest.h>

#include "00_stoplight/training.h"

using namespace stage00;

TEST(Train, StopsAtTheFirstErrorBelowTheTarget) {
  const float errors[] = {0.5f, 0.01f, 0.001f, 0.000999f, 0.0001f};
  int calls = 0;
  const TrainLog log = train([&] { return errors[calls++]; }, false);
  EXPECT_EQ(calls, 4);  // 0.001 itself is not below 0.001
  EXPECT_EQ(log.iterations(), 4);
  EXPECT_EQ(log.seconds.size(), 4u);
  EXPECT_TRUE(log.converged());
  EXPECT_EQ(log.errors.back(), 0.000999f);
}

TEST(Train, GivesUpAfterTheIterationLimit) {
  int calls = 0;
  const TrainLog log = train(
      [&] {
        ++calls;
        return 1.0f;
      },
      false);
  EXPECT_EQ(calls, kMaxIterations);
  EXPECT_FALSE(log.converged());
  for (double s : log.seconds) EXPECT_GE(s, 0);
}

TEST(Report, SaysWhatEachPredictionMeans) {
  TrainLog log;
  log.errors = {0.3f, 0.0005f};
  log.seconds = {2e-6, 1e-6};
  const std::string text = report(log, {0.98f, 0.97f, 0.02f, 0.6f}, kWalkXor);
  EXPECT_NE(text.find("iterations  2 (error below 0.001, final error 0.000500)"), std::string::npos)
      << text;
  EXPECT_NE(text.find("lights 101  prediction  0.98000 -> walk (want walk)"), std::string::npos)
      << text;
  EXPECT_NE(text.find("lights 111  prediction  0.60000 -> walk (want stop)"), std::string::npos)
      << text;
  EXPECT_NE(text.find("first iteration 2.000 us"), std::string::npos) << text;
}

TEST(Report, FormatsPercentilesInMicroseconds) {
  mnist::Percentiles p;
  p.min = 0.5e-6;
  p.p50 = 1e-6;
  p.p90 = 1.25e-6;
  p.p99 = 3e-6;
  p.max = 10e-6;
  EXPECT_EQ(format_us(p), "p50 1.000 us  p90 1.250 us  p99 3.000 us  (min 0.500, max 10.000)");
}

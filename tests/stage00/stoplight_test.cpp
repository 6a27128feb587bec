// Stage 00's network against values worked out by hand, a double-precision finite-difference
// reference for its gradients, and the one thing it is for: learning the four patterns.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "00_stoplight/numpy_random.h"
#include "00_stoplight/stoplight.h"
#include "00_stoplight/training.h"
#include "common/rng.h"

using namespace stage00;

namespace {

// A hand-built solution of the XOR inside the stoplight: hidden units 0 and 1 copy lights 0
// and 1, unit 2 fires only when both are on (l0 + l1 - 1 > 0), unit 3 is always off.
// y = h0 + h1 - 2 h2 gives 1, 1, 0, 0 for the four patterns.
Weights xor_solution() {
  Weights w{};
  const float hidden[kHidden][kInputs] = {{1, 0, 0}, {0, 1, 0}, {1, 1, -1}, {0, 0, -1}};
  for (int j = 0; j < kHidden; ++j) {
    for (int i = 0; i < kInputs; ++i) w.hidden[j][i] = hidden[j][i];
  }
  const float output[kHidden] = {1, 1, -2, 0.5f};
  for (int j = 0; j < kHidden; ++j) w.output[j] = output[j];
  return w;
}

// The same solution with output[2] = -1: pattern 111 now predicts 1 + 1 - 1 = 1 instead of 0,
// so the error is (1 - 0)^2 / 4 = 0.25 and only pattern 111 sends a gradient back.
Weights off_by_one() {
  Weights w = xor_solution();
  w.output[2] = -1;
  return w;
}

// The mean squared error in double precision, written again from the definition: the
// reference the finite differences are taken on.
double reference_error(const double hidden[kHidden][kInputs], const double output[kHidden]) {
  double sum = 0;
  for (int n = 0; n < kPatterns; ++n) {
    double y = 0;
    for (int j = 0; j < kHidden; ++j) {
      double z = 0;
      for (int i = 0; i < kInputs; ++i) z += hidden[j][i] * kLights[n][i];
      y += output[j] * std::max(z, 0.0);
    }
    sum += (y - kWalkXor[n]) * (y - kWalkXor[n]);
  }
  return sum / kPatterns;
}

TrainLog train_on_cpu(Weights& w) {
  return train([&] { return train_step(w, kWalkXor); }, false);
}

}  // namespace

TEST(Stoplight, InitDrawsUniformlyFromMinusOneToOneInOrder) {
  const Weights w = init_weights(7);
  mnist::Rng rng(7);  // hidden row by row, then output, as the header promises
  for (int j = 0; j < kHidden; ++j) {
    for (int i = 0; i < kInputs; ++i) EXPECT_EQ(w.hidden[j][i], rng.uniform(-1, 1));
  }
  for (int j = 0; j < kHidden; ++j) EXPECT_EQ(w.output[j], rng.uniform(-1, 1));
  for (int j = 0; j < kHidden; ++j) {
    EXPECT_GE(w.output[j], -1.0f);
    EXPECT_LT(w.output[j], 1.0f);
  }
  EXPECT_NE(init_weights(8).output[0], w.output[0]);
}

TEST(Stoplight, HandBuiltSolutionHasZeroError) {
  const Forward f = forward(xor_solution(), kWalkXor);
  const float want[kPatterns] = {1, 1, 0, 0};
  for (int n = 0; n < kPatterns; ++n) EXPECT_EQ(f.output[n], want[n]) << "pattern " << n;
  EXPECT_EQ(f.error, 0);
  // pattern 001: z = (0, 0, -1, -1), so every hidden unit is off
  for (int j = 0; j < kHidden; ++j) EXPECT_EQ(f.hidden[2][j], 0);
  EXPECT_EQ(f.pre[2][2], -1);
}

TEST(Stoplight, ForwardOfOffByOne) {
  const Forward f = forward(off_by_one(), kWalkXor);
  // pattern 111: z = (1, 1, 1, -1), h = (1, 1, 1, 0), y = 1 + 1 - 1 + 0 = 1
  const float pre[kHidden] = {1, 1, 1, -1}, hidden[kHidden] = {1, 1, 1, 0};
  for (int j = 0; j < kHidden; ++j) {
    EXPECT_EQ(f.pre[3][j], pre[j]);
    EXPECT_EQ(f.hidden[3][j], hidden[j]);
  }
  EXPECT_EQ(f.output[3], 1);
  EXPECT_EQ(f.error, 0.25f);
}

TEST(Stoplight, GradientsOfOffByOneByHand) {
  const Weights w = off_by_one();
  const Weights g = gradients(w, forward(w, kWalkXor), kWalkXor);
  // Only pattern 111 is wrong: d(error)/dy = 2 (1 - 0) / 4 = 0.5.
  // d/d output[j] = 0.5 h[j] = (0.5, 0.5, 0.5, 0).
  const float output[kHidden] = {0.5f, 0.5f, 0.5f, 0};
  // d/dz[j] = 0.5 output[j] where z > 0: (0.5, 0.5, -0.5, 0); times the lights (1, 1, 1).
  const float dz[kHidden] = {0.5f, 0.5f, -0.5f, 0};
  for (int j = 0; j < kHidden; ++j) {
    EXPECT_EQ(g.output[j], output[j]) << "output " << j;
    for (int i = 0; i < kInputs; ++i) EXPECT_EQ(g.hidden[j][i], dz[j]) << "hidden " << j << i;
  }
}

TEST(Stoplight, TrainStepReturnsErrorBeforeTheUpdateAndStepsDownhill) {
  Weights w = off_by_one();
  EXPECT_EQ(train_step(w, kWalkXor, 0.1f), 0.25f);
  // output[0] = 1 - 0.1 * 0.5; hidden[2][*] = (1, 1, -1) + 0.1 * 0.5
  EXPECT_FLOAT_EQ(w.output[0], 0.95f);
  EXPECT_FLOAT_EQ(w.output[2], -1.05f);
  EXPECT_FLOAT_EQ(w.hidden[2][0], 1.05f);
  EXPECT_FLOAT_EQ(w.hidden[2][2], -0.95f);
  EXPECT_EQ(w.output[3], 0.5f);  // a dead unit's weight does not move
  EXPECT_LT(forward(w, kWalkXor).error, 0.25f);
}

// Central differences on the double-precision reference. Away from the ReLU's kink the error
// is a quadratic in any one weight, so a central difference is exact up to rounding.
TEST(Stoplight, GradientsMatchFiniteDifferences) {
  constexpr double h = 1e-3;
  for (uint64_t seed : {1, 2, 3, 4, 5}) {
    const Weights w = init_weights(seed);
    const Forward f = forward(w, kWalkXor);
    // The difference must not step across a kink: every pre-activation must be farther than
    // h * (sum of |lights|) from zero.
    for (int n = 0; n < kPatterns; ++n) {
      for (int j = 0; j < kHidden; ++j) ASSERT_GT(std::fabs(f.pre[n][j]), 3 * h) << "seed " << seed;
    }
    const Weights g = gradients(w, f, kWalkXor);
    double hidden[kHidden][kInputs], output[kHidden];
    for (int j = 0; j < kHidden; ++j) {
      output[j] = w.output[j];
      for (int i = 0; i < kInputs; ++i) hidden[j][i] = w.hidden[j][i];
    }
    auto central = [&](double& weight) {
      const double saved = weight;
      weight = saved + h;
      const double up = reference_error(hidden, output);
      weight = saved - h;
      const double down = reference_error(hidden, output);
      weight = saved;
      return (up - down) / (2 * h);
    };
    for (int j = 0; j < kHidden; ++j) {
      EXPECT_NEAR(g.output[j], central(output[j]), 1e-5) << "seed " << seed << " output " << j;
      for (int i = 0; i < kInputs; ++i) {
        EXPECT_NEAR(g.hidden[j][i], central(hidden[j][i]), 1e-5)
            << "seed " << seed << " hidden " << j << "," << i;
      }
    }
  }
}

// Not every seed learns (see the next test and the README: 58 of the seeds 1 to 100 do).
// These are the seeds from 1 to 8 that do; 2 and 3 get stuck.
TEST(Stoplight, LearnsTheFourPatternsForSeveralSeeds) {
  for (uint64_t seed : {1, 4, 5, 6, 7, 8}) {
    Weights w = init_weights(seed);
    const TrainLog log = train_on_cpu(w);
    EXPECT_TRUE(log.converged()) << "seed " << seed << ": error " << log.errors.back() << " after "
                                 << log.iterations() << " iterations";
    EXPECT_LE(log.iterations(), kMaxIterations);
    const auto y = predict(w);
    for (int n = 0; n < kPatterns; ++n) {
      EXPECT_EQ(y[n] > 0.5f, kWalkXor[n] > 0.5f)
          << "seed " << seed << " pattern " << n << ": " << y[n];
    }
  }
}

// The two ways a seed gets stuck, each checked against what it must look like by hand.
TEST(Stoplight, SomeSeedsGetStuck) {
  {  // Seed 22: every hidden unit ends up off for every pattern ("dead"), or pinned at the
     // ReLU's corner (z a hair above 0, shrinking every step). The output is then ~0, the
     // error ~(1 + 1 + 0 + 0) / 4 = 0.5, and almost no gradient comes back through the
     // hidden layer: nothing can move the weights away.
    Weights w = init_weights(22);
    EXPECT_FALSE(train_on_cpu(w).converged());
    const Forward f = forward(w, kWalkXor);
    for (int n = 0; n < kPatterns; ++n) {
      for (int j = 0; j < kHidden; ++j) EXPECT_LT(f.pre[n][j], 1e-6f) << n << "," << j;
    }
    EXPECT_NEAR(f.error, 0.5f, 1e-6);
    const Weights g = gradients(w, f, kWalkXor);
    for (int j = 0; j < kHidden; ++j) {
      EXPECT_NEAR(g.output[j], 0, 1e-6);
      for (int i = 0; i < kInputs; ++i) EXPECT_NEAR(g.hidden[j][i], 0, 1e-6);
    }
  }
  {  // Seed 9: every unit ends up either off for all four patterns or on for all four, so
     // the network is a linear function of the lights there. The least-squares linear fit of
     // XOR is 0.5 for every pattern (by symmetry), error 4 * 0.25 / 4 = 0.25.
    Weights w = init_weights(9);
    EXPECT_FALSE(train_on_cpu(w).converged());
    const Forward f = forward(w, kWalkXor);
    for (int j = 0; j < kHidden; ++j) {
      int on = 0;
      for (int n = 0; n < kPatterns; ++n) on += f.pre[n][j] > 0;
      EXPECT_TRUE(on == 0 || on == kPatterns) << "unit " << j << " is on for " << on;
    }
    for (int n = 0; n < kPatterns; ++n) EXPECT_NEAR(f.output[n], 0.5f, 1e-3) << "pattern " << n;
    EXPECT_NEAR(f.error, 0.25f, 1e-4);
  }
}

TEST(Stoplight, SameSeedSameRun) {
  Weights a = init_weights(3), b = init_weights(3);
  const TrainLog la = train_on_cpu(a);
  const TrainLog lb = train_on_cpu(b);
  EXPECT_EQ(la.errors, lb.errors);
  EXPECT_EQ(predict(a), predict(b));
}

TEST(Stoplight, TasksByName) {
  EXPECT_EQ(task_targets("original"), (Targets{1, 1, 0, 1}));
  EXPECT_EQ(task_targets("xor"), (Targets{1, 1, 0, 0}));
  EXPECT_THROW(task_targets("and"), std::invalid_argument);
}

TEST(Stoplight, LearnsTheOriginalTaskForSeveralSeeds) {
  // 66 of the seeds 1 to 100 learn it (58 learn XOR); seed 3 is one that gets stuck.
  for (uint64_t seed : {1, 2, 4, 5, 6}) {
    Weights w = init_weights(seed);
    const TrainLog log = train([&] { return train_step(w, kWalkOriginal); }, false);
    EXPECT_TRUE(log.converged()) << "seed " << seed << ": error " << log.errors.back();
    const auto y = predict(w);
    for (int n = 0; n < kPatterns; ++n) {
      EXPECT_EQ(y[n] > 0.5f, kWalkOriginal[n] > 0.5f) << "seed " << seed << " pattern " << n;
    }
  }
}

TEST(NumpyLegacyRandom, GivesNumpysNumbers) {
  // np.random.seed(1); np.random.random(3)
  NumpyLegacyRandom numpy(1);
  EXPECT_EQ(numpy.random_sample(), 0.417022004702574);
  EXPECT_EQ(numpy.random_sample(), 0.7203244934421581);
  EXPECT_EQ(numpy.random_sample(), 0.00011437481734488664);
  // MT19937's reference output: the first draw after init_genrand(5489) (its default seed).
  EXPECT_EQ(NumpyLegacyRandom(5489).next_u32(), 3499211612u);
}

TEST(Stoplight, NumpyInitIsTheOriginalProgramsWeights) {
  // stoplight.py after np.random.seed(1): weights_0_1 (3 x 4, input by hidden) and
  // weights_1_2 (4 x 1), as numpy prints them (8 decimals, so off by up to 5e-9), here
  // stored as float32 (off by up to half a float spacing below 1, 2^-25 = 3e-8).
  constexpr double kPrintedAndStored = 5e-9 + 0x1p-25;
  const double weights_0_1[kInputs][kHidden] = {
      {-0.16595599, 0.44064899, -0.99977125, -0.39533485},
      {-0.70648822, -0.81532281, -0.62747958, -0.30887855},
      {-0.20646505, 0.07763347, -0.16161097, 0.370439}};
  const double weights_1_2[kHidden] = {-0.5910955, 0.75623487, -0.94522481, 0.34093502};
  const Weights w = init_weights_numpy(1);
  for (int j = 0; j < kHidden; ++j) {
    EXPECT_NEAR(w.output[j], weights_1_2[j], kPrintedAndStored);
    for (int i = 0; i < kInputs; ++i) {
      EXPECT_NEAR(w.hidden[j][i], weights_0_1[i][j], kPrintedAndStored);
    }
  }
}

TEST(Stoplight, PerPatternRunMatchesTheOriginalProgramNumberForNumber) {
  // What stoplight.py prints (every tenth iteration's error, summed over the patterns) with
  // walk = [1, 1, 0, 1], np.random.seed(1), alpha 0.2: computed there in float64.
  const double printed[] = {0.35854072057435643,  0.11492427530447064,  0.04698988359451608,
                            0.020061574426837005, 0.009894755289625051, 0.003513820288455573};
  // Here the same arithmetic runs in float32: each of the 240 updates rounds a few times, a
  // relative 2^-24 (6e-8) each, so even adding up linearly the drift stays below
  // 240 x 4 x 6e-8 = 6e-5 of the numbers: 1e-4 says "the same numbers" in float32.
  constexpr double kFloat32Drift = 1e-4;
  Weights w = init_weights_numpy(1);
  for (int it = 1; it <= 60; ++it) {
    const float error = train_step_per_pattern(w, kWalkOriginal);
    if (it % 10 == 0) {
      EXPECT_NEAR(error, printed[it / 10 - 1], kFloat32Drift * printed[it / 10 - 1])
          << "iteration " << it;
    }
  }
}

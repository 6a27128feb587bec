#include "tests/support/rounding_drift.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "04_backprop/adam.h"
#include "04_backprop/train_step.h"
#include "common/rng.h"

namespace mnist::testkit {

float rounding_nudge(int64_t longest_sum) {
  return static_cast<float>(std::sqrt(static_cast<double>(longest_sum)) * 0x1p-24);
}

TrainingRun train_stage04(const Params& initial, const std::vector<TrainingStep>& steps, float lr,
                          float nudge, uint64_t noise_seed) {
  TrainingRun run{{}, initial.clone()};
  stage04::Adam adam({.lr = lr});
  Params grads;
  Rng noise(noise_seed);
  for (const TrainingStep& step : steps) {
    if (nudge > 0) {
      for (auto [name, tensor] : run.params.list())
        for (float& w : tensor->values()) w *= 1.0f + ((noise.next_u64() & 1) ? nudge : -nudge);
    }
    run.losses.push_back(
        stage04::loss_and_gradients(run.params, step.images, step.labels, step.mask, grads));
    adam.step(run.params, grads);
  }
  return run;
}

double relative_to_move(const Tensor& a, const Tensor& b, const Tensor& start) {
  double diff = 0, moved = 0;
  for (int64_t i = 0; i < a.size(); ++i) {
    diff += (double{a[i]} - b[i]) * (double{a[i]} - b[i]);
    moved += (double{b[i]} - start[i]) * (double{b[i]} - start[i]);
  }
  return std::sqrt(diff / std::max(moved, 1e-300));
}

void expect_within_drift(const TrainingRun& reference, const TrainingRun& other,
                         const TrainingRun& noisy, const Params& initial, const char* other_name) {
  ASSERT_EQ(other.losses.size(), reference.losses.size());
  ASSERT_EQ(noisy.losses.size(), reference.losses.size());
  double drift = 0;  // the noisy run's largest relative loss difference so far
  for (size_t s = 0; s < reference.losses.size(); ++s) {
    const double loss = reference.losses[s];
    drift = std::max(drift, std::abs(noisy.losses[s] - loss) / loss);
    const double difference = std::abs(other.losses[s] - loss) / loss;
    std::printf("    step %2zu  loss %.7f  %s %.7f (%.1e)  rounding drift %.1e\n", s + 1, loss,
                other_name, other.losses[s], difference, drift);
    EXPECT_LE(difference, kDriftFactor * drift) << "step " << s + 1;
  }
  const auto ref = reference.params.list();
  const auto oth = other.params.list();
  const auto noi = noisy.params.list();
  const auto start = initial.list();
  for (size_t t = 0; t < ref.size(); ++t) {
    const double apart = relative_to_move(*oth[t].tensor, *ref[t].tensor, *start[t].tensor);
    const double noise = relative_to_move(*noi[t].tensor, *ref[t].tensor, *start[t].tensor);
    std::printf("  %-13s %s apart by %.2e of the training move (rounding drift %.2e)\n",
                std::string(ref[t].name).c_str(), other_name, apart, noise);
    EXPECT_LE(apart, kDriftFactor * noise) << ref[t].name;
  }
}

}  // namespace mnist::testkit

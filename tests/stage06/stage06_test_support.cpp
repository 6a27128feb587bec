#include "stage06_test_support.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "05_cuda/device_random.h"
#include "common/network.h"

namespace stage06::testing {

using mnist::testkit::TrainingStep;

std::vector<TrainingStep> device_batches(const mnist::Dataset& set, const EpochPlan& plan,
                                         int epochs, uint64_t seed) {
  constexpr int kFlat = mnist::net::kFlat;
  std::vector<TrainingStep> steps;
  for (int epoch = 0; epoch < epochs; ++epoch) {
    const auto order = stage05::ShufflePermutation::make(
        static_cast<uint32_t>(set.size()), stage05::derive_key(seed, 2, uint64_t(epoch)));
    for (int s = 0; s < plan.steps; ++s) {
      const uint64_t step = uint64_t(epoch) * plan.steps + s;  // the clock's global step
      const int rows = plan.rows(s);
      std::vector<int> indices(static_cast<size_t>(rows));
      for (int r = 0; r < rows; ++r) indices[size_t(r)] = int(order(uint32_t(plan.begin(s) + r)));
      mnist::Batch batch = mnist::gather_batch(set, indices, 0, rows);
      mnist::Tensor mask({rows, kFlat});
      for (int64_t e = 0; e < int64_t{rows} * kFlat; ++e) {
        mask.values()[size_t(e)] = stage05::dropout_keeps(seed, step, uint64_t(e)) ? 2.0f : 0.0f;
      }
      steps.push_back({std::move(batch.images), std::move(batch.labels), std::move(mask)});
    }
  }
  return steps;
}

Yardstick yardstick(const mnist::Params& initial, const std::vector<TrainingStep>& steps,
                    float lr) {
  // The nudge of stage 05's own test: the longest float32 sum of a step is conv1's weight
  // gradient, 676 positions for each of the batch's images.
  const int64_t longest = int64_t{static_cast<int64_t>(steps.front().labels.size())} * 676;
  return {
      mnist::testkit::train_stage04(initial, steps, lr),
      mnist::testkit::train_stage04(initial, steps, lr, mnist::testkit::rounding_nudge(longest))};
}

double worst_drift_ratio(const Yardstick& y, const mnist::Params& other,
                         const mnist::Params& initial) {
  const auto ref = y.reference.params.list();
  const auto noi = y.noisy.params.list();
  const auto oth = other.list();
  const auto start = initial.list();
  double worst = 0;
  for (size_t t = 0; t < ref.size(); ++t) {
    const double apart =
        mnist::testkit::relative_to_move(*oth[t].tensor, *ref[t].tensor, *start[t].tensor);
    const double noise =
        mnist::testkit::relative_to_move(*noi[t].tensor, *ref[t].tensor, *start[t].tensor);
    worst = std::max(worst, apart / noise);
  }
  return worst;
}

double loss_rounding(int ranks) {
  return (2 * ranks + 1) * std::ldexp(1.0, -24);
}

double worst_loss_drift_ratio(const Yardstick& y, const std::vector<double>& losses, int ranks) {
  double drift = loss_rounding(ranks), worst = 0;
  for (size_t s = 0; s < std::min(losses.size(), y.reference.losses.size()); ++s) {
    const double loss = y.reference.losses[s];
    drift = std::max(drift, std::abs(y.noisy.losses[s] - loss) / loss);
    worst = std::max(worst, std::abs(losses[s] - loss) / loss / drift);
  }
  return worst;
}

int count_different_bits(std::span<const float> a, std::span<const float> b) {
  const size_t common = std::min(a.size(), b.size());
  int differ = static_cast<int>(std::max(a.size(), b.size()) - common);
  for (size_t i = 0; i < common; ++i)
    differ += std::memcmp(&a[i], &b[i], sizeof(float)) != 0;
  return differ;
}

void expect_same_bits(const mnist::Tensor& a, const mnist::Tensor& b, std::string_view name) {
  const auto va = a.values();
  const auto vb = b.values();
  ASSERT_EQ(va.size(), vb.size()) << name;
  size_t first = 0;
  while (first < va.size() && std::memcmp(&va[first], &vb[first], sizeof(float)) == 0) ++first;
  EXPECT_EQ(first, va.size()) << name << ": " << count_different_bits(va, vb) << " of " << va.size()
                              << " elements differ, the first at " << first << ": "
                              << (first < va.size() ? va[first] : 0.0f) << " against "
                              << (first < vb.size() ? vb[first] : 0.0f);
}

void expect_same_bits(const mnist::Params& a, const mnist::Params& b) {
  const auto la = a.list();
  const auto lb = b.list();
  for (size_t t = 0; t < la.size(); ++t) expect_same_bits(*la[t].tensor, *lb[t].tensor, la[t].name);
}

}  // namespace stage06::testing

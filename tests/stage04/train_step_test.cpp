// The whole training step: loss_and_gradients against finite differences of the
// double-precision reference network (gradient_check.h), for several seeds, with a fixed
// dropout mask and without dropout; the dropout mask itself; and the mean over the batch.
// (The same check on batches of several chunks: chunk_gradients_test.cpp.)
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "04_backprop/train_step.h"
#include "common/network.h"
#include "common/rng.h"
#include "tests/stage04/gradient_check.h"

using mnist::Tensor;

using gradient_check::make_problem;
using gradient_check::Problem;

using gradient_check::check_gradients;

TEST(LossAndGradients, MatchFiniteDifferencesWithAFixedDropoutMask) {
  for (uint64_t seed : {1, 2, 3}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    const Problem p = make_problem(seed, 2);
    mnist::Rng rng(seed);
    check_gradients(p, stage04::make_dropout_mask(2, rng), seed);
  }
}

TEST(LossAndGradients, MatchFiniteDifferencesWithoutDropout) {
  const Problem p = make_problem(4, 2);
  check_gradients(p, Tensor(), 4);
}

TEST(LossAndGradients, AreTheMeanOverTheBatch) {
  // The loss and every gradient of a batch of three equal the mean of three batches of one:
  // the 1/N is applied once and with the batch's real size (so a short last batch is right).
  const Problem p = make_problem(5, 3);
  mnist::Params batch_grads;
  const float batch_loss =
      stage04::loss_and_gradients(p.params, p.images, p.labels, Tensor(), batch_grads);
  mnist::Params mean = mnist::zero_params();
  double mean_loss = 0;
  for (int n = 0; n < 3; ++n) {
    Tensor one({1, 1, 28, 28});
    std::copy_n(p.images.data() + n * 784, 784, one.data());
    mnist::Params g;
    mean_loss +=
        stage04::loss_and_gradients(p.params, one, {&p.labels[size_t(n)], 1}, Tensor(), g) / 3.0;
    auto dst = mean.list();
    auto src = g.list();
    for (size_t t = 0; t < dst.size(); ++t) {
      for (int64_t i = 0; i < dst[t].tensor->size(); ++i) {
        (*dst[t].tensor)[i] += (*src[t].tensor)[i] / 3;
      }
    }
  }
  EXPECT_NEAR(batch_loss, mean_loss, 1e-6 * mean_loss);
  auto want = mean.list();
  auto got = batch_grads.list();
  for (size_t t = 0; t < got.size(); ++t) {
    double scale = 1e-12, diff = 0;
    for (int64_t i = 0; i < got[t].tensor->size(); ++i) {
      scale = std::max(scale, std::abs(double{(*want[t].tensor)[i]}));
      diff = std::max(diff, std::abs(double{(*got[t].tensor)[i]} - (*want[t].tensor)[i]));
    }
    EXPECT_LT(diff / scale, 1e-5) << got[t].name;
  }
}

TEST(LossAndGradients, ReturnLogitsAndCheckShapes) {
  const Problem p = make_problem(6, 2);
  mnist::Params grads;
  Tensor logits;
  stage04::loss_and_gradients(p.params, p.images, p.labels, Tensor(), grads, &logits);
  EXPECT_EQ(logits.shape(), (mnist::Shape{2, 10}));
  for (auto [name, tensor] : grads.list()) {
    EXPECT_EQ(tensor->shape(), mnist::param_shape(name)) << name;
  }
  const std::vector<int> one_label = {1};
  EXPECT_THROW(stage04::loss_and_gradients(p.params, p.images, one_label, Tensor(), grads),
               std::invalid_argument);
  EXPECT_THROW(stage04::loss_and_gradients(p.params, p.images, p.labels, Tensor({2, 1599}), grads),
               std::invalid_argument);
}

TEST(DropoutMask, IsZeroOrTwoHalfTheTimeAndRepeatable) {
  mnist::Rng rng(7), again(7);
  const Tensor mask = stage04::make_dropout_mask(128, rng);
  ASSERT_EQ(mask.shape(), (mnist::Shape{128, mnist::net::kFlat}));
  int64_t zeros = 0;
  for (float m : mask.values()) {
    ASSERT_TRUE(m == 0.0f || m == 2.0f) << m;
    zeros += m == 0.0f;
  }
  // 204,800 fair coin flips: the standard deviation of the fraction is 0.0011, so 0.5 +- 0.01
  // is over 8 standard deviations wide.
  EXPECT_NEAR(static_cast<double>(zeros) / static_cast<double>(mask.size()), 0.5, 0.01);
  const Tensor same = stage04::make_dropout_mask(128, again);
  EXPECT_TRUE(std::equal(mask.values().begin(), mask.values().end(), same.values().begin()));
}

TEST(DropoutMask, DropsExactlyWhereUniformFallsBelowTheRate) {
  // The mask is drawn from the integer bits for speed; it must be the mask the definition
  // gives, rng.uniform() < kDropout, number for number, so that trained weights do not
  // depend on how the mask is computed.
  mnist::Rng rng(11), reference(11);
  const Tensor mask = stage04::make_dropout_mask(3, rng);
  for (float m : mask.values()) {
    const bool dropped = reference.uniform() < mnist::net::kDropout;
    ASSERT_EQ(m, dropped ? 0.0f : 2.0f);
  }
  EXPECT_EQ(rng.next_u64(), reference.next_u64());  // and both used the same numbers
}

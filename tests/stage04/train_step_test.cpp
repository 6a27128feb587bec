// The whole training step: loss_and_gradients against finite differences of the
// double-precision reference network, for several seeds, with a fixed dropout mask and
// without dropout; the dropout mask itself; and the mean over the batch.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "04_backprop/train_step.h"
#include "common/mnist.h"
#include "common/network.h"
#include "common/rng.h"
#include "tests/stage04/reference.h"
#include "tests/support/test_support.h"

using mnist::Tensor;
using reference::Array;

namespace {

// The finite-difference step. Small, because ReLU and max pooling have kinks: a step that
// carries any of the ~40,000 activations across one measures a different slope. In double,
// rounding costs about 1e-16 / kStep = 1e-9 of the loss, far below what is checked.
constexpr double kStep = 1e-7;

// Errors are measured against the tensor's largest gradient (or, along a direction, the sum
// of the terms' sizes). The float gradients agree to about 1e-6 of that; a wrong index, a
// missing term or a wrong scale is off by 1e-2 or more.
constexpr double kTolerance = 1e-4;

/// Small random images, glorot weights from seed, and biases made non-zero so that their
/// gradients flow through every path a trained network's would.
struct Problem {
  mnist::Params params;
  Tensor images;
  std::vector<int> labels;
};

Problem make_problem(uint64_t seed, int N) {
  Problem p{mnist::init_params(seed), Tensor({N, 1, 28, 28}), {}};
  mnist::Rng rng(seed + 100);
  for (float& v : p.images.values()) v = rng.uniform();
  for (Tensor* b : {&p.params.conv1_bias, &p.params.conv2_bias, &p.params.fc_bias}) {
    for (float& v : b->values()) v = rng.uniform(-0.1f, 0.1f);
  }
  for (int n = 0; n < N; ++n) p.labels.push_back(static_cast<int>(rng.below(10)));
  return p;
}

/// Checks the gradient of every parameter tensor two ways against finite differences of the
/// reference: entry by entry at a few positions (the largest gradient and random ones), and
/// along a random direction through the whole tensor.
void check_gradients(const Problem& p, const Tensor& mask, uint64_t seed) {
  mnist::Params grads;
  const float loss = stage04::loss_and_gradients(p.params, p.images, p.labels, mask, grads);
  reference::Params ref(p.params);
  const Array images = reference::to_double(p.images);
  const Array ref_mask = mask.empty() ? Array{} : reference::to_double(mask);
  const int N = p.images.dim(0);
  auto L = [&] { return reference::network_loss(ref, images, N, p.labels, ref_mask); };
  EXPECT_NEAR(loss, L(), 1e-5 * std::abs(L()));

  mnist::Rng rng(seed + 200);
  const auto analytic = grads.list();
  for (size_t t = 0; t < analytic.size(); ++t) {
    const Tensor& g = *analytic[t].tensor;
    Array& x = ref.at(t);
    ASSERT_EQ(g.size(), static_cast<int64_t>(x.size())) << analytic[t].name;
    double scale = 0;  // the tensor's largest gradient: errors are measured against it
    int64_t largest = 0;
    for (int64_t i = 0; i < g.size(); ++i) {
      if (std::abs(g[i]) > scale) {
        scale = std::abs(g[i]);
        largest = i;
      }
    }
    ASSERT_GT(scale, 0) << analytic[t].name << ": all gradients are zero";

    std::vector<int64_t> probes = {largest};
    for (int k = 0; k < 4; ++k) probes.push_back(rng.below(static_cast<uint32_t>(g.size())));
    for (int64_t i : probes) {
      const double numeric = reference::central_difference(x, i, kStep, L);
      EXPECT_NEAR(g[i], numeric, kTolerance * scale) << analytic[t].name << "[" << i << "]";
    }

    // Along a random direction d through the whole tensor, which covers every entry at
    // once: d/ds L(x + s d) at s = 0 is <grad, d>.
    Array direction(x.size());
    double predicted = 0, magnitude = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      direction[i] = rng.uniform(-1, 1);
      predicted += g[int64_t(i)] * direction[i];
      magnitude += std::abs(g[int64_t(i)] * direction[i]);
    }
    const Array saved = x;
    Array s = {0.0};
    auto along = [&] {
      for (size_t i = 0; i < x.size(); ++i) x[i] = saved[i] + s[0] * direction[i];
      return L();
    };
    const double numeric = reference::central_difference(s, 0, kStep, along);
    x = saved;
    EXPECT_NEAR(predicted, numeric, kTolerance * magnitude)
        << analytic[t].name << " along a direction";
  }
}

}  // namespace

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

// The weight gradients of the convolutions are summed over chunks of 16 images
// (layers_backward.cpp): 37 images make two full chunks and a partial one, so a chunk that
// overwrote the sum instead of adding to it, or a last chunk cut short, would show.
constexpr int kMoreThanTwoChunks = 37;

TEST(LossAndGradients, MatchFiniteDifferencesOnABatchOfSeveralChunks) {
  const Problem p = make_problem(8, kMoreThanTwoChunks);
  mnist::Rng rng(8);
  check_gradients(p, stage04::make_dropout_mask(kMoreThanTwoChunks, rng), 8);
}

TEST(LossAndGradients, MatchFiniteDifferencesOnMnistDigits) {
  REQUIRE_MNIST();
  // Real digits have blank margins: there every window of conv1's output holds the same
  // value (the bias), so pooling meets exact ties, and with a positive bias ReLU lets them
  // through. The rule is PyTorch's: the first position of the window takes the gradient,
  // the others none. A rule that handed it to every tied position would count it up to
  // four times, which the biases' finite differences see. Random pixels never tie.
  Problem p = make_problem(9, kMoreThanTwoChunks);
  const mnist::Dataset digits =
      mnist::load_mnist(mnist::testkit::data_dir(), mnist::Split::train, kMoreThanTwoChunks);
  p.images = digits.images.clone();
  p.labels = digits.labels;
  check_gradients(p, Tensor(), 9);
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

// The whole-step gradient check (gradient_check.h) on batches larger than the chunks the
// convolutions' weight gradients are summed in, on random images and on real digits. Part
// of the shared suite (label agreement): slower than the stage's unit tests, so the
// sanitizer runs leave it out, as they leave out the other agreement tests.
#include <gtest/gtest.h>

#include "04_backprop/train_step.h"
#include "common/mnist.h"
#include "common/rng.h"
#include "tests/stage04/gradient_check.h"
#include "tests/support/test_support.h"

using mnist::Tensor;

// The weight gradients of the convolutions are summed over chunks of 16 images
// (layers_backward.cpp): 37 images make two full chunks and a partial one, so a chunk that
// overwrote the sum instead of adding to it, or a last chunk cut short, would show.
namespace {
constexpr int kMoreThanTwoChunks = 37;
}  // namespace

TEST(LossAndGradients, MatchFiniteDifferencesOnABatchOfSeveralChunks) {
  const gradient_check::Problem p = gradient_check::make_problem(8, kMoreThanTwoChunks);
  mnist::Rng rng(8);
  gradient_check::check_gradients(p, stage04::make_dropout_mask(kMoreThanTwoChunks, rng), 8);
}

TEST(LossAndGradients, MatchFiniteDifferencesOnMnistDigits) {
  REQUIRE_MNIST();
  // Real digits have blank margins: there every window of conv1's output holds the same
  // value (the bias), so pooling meets exact ties, and with a positive bias ReLU lets them
  // through. The rule is PyTorch's: the first position of the window takes the gradient,
  // the others none. A rule that handed it to every tied position would count it up to
  // four times, which the biases' finite differences see. Random pixels never tie.
  gradient_check::Problem p = gradient_check::make_problem(9, kMoreThanTwoChunks);
  const mnist::Dataset digits =
      mnist::load_mnist(mnist::testkit::data_dir(), mnist::Split::train, kMoreThanTwoChunks);
  p.images = digits.images.clone();
  p.labels = digits.labels;
  gradient_check::check_gradients(p, Tensor(), 9);
}

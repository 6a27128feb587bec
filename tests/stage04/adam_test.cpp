// Adam against updates worked out by hand, and against the paper's form of the same rule.
#include <gtest/gtest.h>

#include <cmath>

#include "04_backprop/adam.h"
#include "common/rng.h"

using mnist::Tensor;

namespace {

/// Params whose six tensors hold `size` numbers each: Adam works on any shapes.
mnist::Params tiny_params(int size, float value) {
  mnist::Params p;
  for (auto [name, tensor] : p.list()) {
    *tensor = Tensor({size});
    tensor->fill(value);
  }
  return p;
}

}  // namespace

TEST(Adam, ThreeStepsWorkedByHand) {
  // lr 0.1, beta1 0.9, beta2 0.999, epsilon 1e-7; one scalar p = 1 with gradients
  // 0.5, -2, 0.25 (as conv1.weight[0]); conv1.weight[1] gets gradient 0 every time.
  //
  // t=1, g=0.5:  m = 0.1*0.5 = 0.05          v = 0.001*0.25 = 0.00025
  //              alpha = 0.1*sqrt(1-0.999)/(1-0.9) = 0.0316228
  //              p -= 0.0316228 * 0.05/(sqrt(0.00025)+1e-7) = 0.0999994  ->  0.9000006
  //   (the first step moves every parameter by about lr, whatever the gradient's size)
  // t=2, g=-2:   m = 0.9*0.05 + 0.1*(-2) = -0.155
  //              v = 0.999*0.00025 + 0.001*4 = 0.00424975
  //              alpha = 0.1*sqrt(1-0.998001)/(1-0.81) = 0.0235317
  //              p -= 0.0235317 * -0.155/(0.0651901+1e-7) = -0.0559502  ->  0.9559509
  // t=3, g=0.25: m = 0.9*(-0.155) + 0.025 = -0.1145
  //              v = 0.999*0.00424975 + 0.001*0.0625 = 0.00430800
  //              alpha = 0.1*sqrt(1-0.997003)/(1-0.729) = 0.0202011
  //              p -= 0.0202011 * -0.1145/(0.0656353+1e-7) = -0.0352404  ->  0.9911913
  stage04::Adam adam({.lr = 0.1f, .beta1 = 0.9f, .beta2 = 0.999f, .epsilon = 1e-7f});
  mnist::Params params = tiny_params(2, 1.0f);
  const float gradients[] = {0.5f, -2.0f, 0.25f};
  const float want[] = {0.9000006f, 0.9559509f, 0.9911913f};
  for (int t = 0; t < 3; ++t) {
    mnist::Params grads = tiny_params(2, 0.0f);
    grads.conv1_weight[0] = gradients[t];
    grads.fc_bias[0] = -gradients[t];  // the mirror image: p moves the other way
    adam.step(params, grads);
    EXPECT_EQ(adam.steps(), t + 1);
    EXPECT_NEAR(params.conv1_weight[0], want[t], 2e-6) << "step " << t + 1;
    EXPECT_NEAR(params.fc_bias[0], 2.0f - want[t], 2e-6) << "step " << t + 1;
    EXPECT_EQ(params.conv1_weight[1], 1.0f) << "a zero gradient moves nothing";
  }
}

TEST(Adam, MatchesThePapersFormWithEpsilonRescaled) {
  // Kingma and Ba: m_hat = m/(1-beta1^t), v_hat = v/(1-beta2^t), p -= lr*m_hat/(sqrt(v_hat)+eps').
  // With eps' = eps*sqrt(1-beta2^t) that is algebraically Keras's form: checked in double
  // over 20 steps of random gradients.
  const double lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-7;
  stage04::Adam adam({.lr = 0.01f});
  mnist::Params params = tiny_params(4, 0.5f);
  std::vector<double> p(4, 0.5), m(4, 0), v(4, 0);
  mnist::Rng rng(3);
  for (int t = 1; t <= 20; ++t) {
    mnist::Params grads = tiny_params(4, 0.0f);
    for (size_t i = 0; i < 4; ++i) {
      const double g = rng.uniform(-1, 1);
      grads.conv2_weight[int64_t(i)] = static_cast<float>(g);
      m[i] = b1 * m[i] + (1 - b1) * g;
      v[i] = b2 * v[i] + (1 - b2) * g * g;
      const double m_hat = m[i] / (1 - std::pow(b1, t));
      const double v_hat = v[i] / (1 - std::pow(b2, t));
      p[i] -= lr * m_hat / (std::sqrt(v_hat) + eps * std::sqrt(1 - std::pow(b2, t)));
    }
    adam.step(params, grads);
    for (size_t i = 0; i < 4; ++i) {
      EXPECT_NEAR(params.conv2_weight[int64_t(i)], p[i], 1e-6) << "step " << t << " entry " << i;
    }
  }
}

TEST(Adam, RejectsGradientsOfTheWrongShape) {
  stage04::Adam adam;
  mnist::Params params = tiny_params(2, 1.0f);
  mnist::Params grads = tiny_params(3, 0.0f);
  EXPECT_THROW(adam.step(params, grads), std::invalid_argument);
  EXPECT_EQ(adam.steps(), 0);
}

#include "04_backprop/adam.h"

#include <cmath>
#include <stdexcept>
#include <string>

namespace stage04 {

Adam::Adam(AdamConfig config) : config_(config) {}

void Adam::step(mnist::Params& params, const mnist::Params& grads) {
  const float alpha = begin_step(params, grads);
  auto g = grads.list();
  for (size_t i = 0; i < g.size(); ++i) {
    update(params, i, 0, g[i].tensor->size(), g[i].tensor->data(), alpha);
  }
}

float Adam::begin_step(const mnist::Params& params, const mnist::Params& grads) {
  auto p = params.list();
  auto g = grads.list();
  for (size_t i = 0; i < p.size(); ++i) {
    if (g[i].tensor->shape() != p[i].tensor->shape()) {
      throw std::invalid_argument("Adam: gradient of " + std::string(p[i].name) + " is " +
                                  mnist::to_string(g[i].tensor->shape()) + ", parameter is " +
                                  mnist::to_string(p[i].tensor->shape()));
    }
  }
  auto m = m_.list();
  auto v = v_.list();
  if (t_ == 0) {
    // The moments take the parameters' shapes, whatever they are (tests use tiny ones).
    for (size_t i = 0; i < p.size(); ++i) {
      *m[i].tensor = mnist::Tensor(p[i].tensor->shape());
      *v[i].tensor = mnist::Tensor(p[i].tensor->shape());
    }
  }
  for (size_t i = 0; i < p.size(); ++i) {
    if (m[i].tensor->shape() != p[i].tensor->shape()) {
      throw std::invalid_argument("Adam: parameter " + std::string(p[i].name) +
                                  " changed shape between steps");
    }
  }

  ++t_;
  const auto [lr, beta1, beta2, epsilon] = config_;
  // The bias corrections in double: 1 - 0.999^t in float would lose digits early on.
  const double correction1 = 1.0 - std::pow(static_cast<double>(beta1), t_);
  const double correction2 = 1.0 - std::pow(static_cast<double>(beta2), t_);
  return static_cast<float>(lr * std::sqrt(correction2) / correction1);
}

void Adam::update(mnist::Params& params, size_t index, int64_t begin, int64_t end,
                  const float* grad, float alpha) {
  const float beta1 = config_.beta1, beta2 = config_.beta2, epsilon = config_.epsilon;
  float* param = params.list()[index].tensor->data();
  float* mean = m_.list()[index].tensor->data();
  float* square = v_.list()[index].tensor->data();
  for (int64_t j = begin; j < end; ++j) {
    mean[j] = beta1 * mean[j] + (1.0f - beta1) * grad[j];
    square[j] = beta2 * square[j] + (1.0f - beta2) * grad[j] * grad[j];
    param[j] -= alpha * mean[j] / (std::sqrt(square[j]) + epsilon);
  }
}

}  // namespace stage04

/// \file
/// \brief Keras's Adam update of one scalar, shared by every rung's Adam kernel (device code).
#pragma once

#include <cstdint>

#include "04_backprop/adam.h"

namespace stage05 {

/// alpha_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t), in double like stage 04: the bias
/// correction folded into the step size (adam.h in stage 04 explains the form).
__device__ inline float adam_alpha(const stage04::AdamConfig& c, int64_t t) {
  const double correction1 = 1.0 - pow(static_cast<double>(c.beta1), static_cast<double>(t));
  const double correction2 = 1.0 - pow(static_cast<double>(c.beta2), static_cast<double>(t));
  return static_cast<float>(c.lr * sqrt(correction2) / correction1);
}

/// One Adam step of parameter p with gradient g and moments m, v (stage 04's arithmetic).
__device__ inline void adam_update(float& p, float& m, float& v, float g, float alpha,
                                   const stage04::AdamConfig& c) {
  m = c.beta1 * m + (1.0f - c.beta1) * g;
  v = c.beta2 * v + (1.0f - c.beta2) * g * g;
  p -= alpha * m / (sqrtf(v) + c.epsilon);
}

}  // namespace stage05

#include "00_stoplight/stoplight.h"

#include <stdexcept>
#include <string>

#include "00_stoplight/numpy_random.h"
#include "common/rng.h"

namespace stage00 {

Targets task_targets(std::string_view name) {
  if (name == "original") return kWalkOriginal;
  if (name == "xor") return kWalkXor;
  throw std::invalid_argument("'" + std::string(name) + "' is not a task (original or xor)");
}

Weights init_weights(uint64_t seed) {
  mnist::Rng rng(seed);
  Weights w{};
  for (auto& row : w.hidden) {
    for (float& v : row) v = rng.uniform(-1, 1);
  }
  for (float& v : w.output) v = rng.uniform(-1, 1);
  return w;
}

Weights init_weights_numpy(uint32_t seed) {
  NumpyLegacyRandom numpy(seed);
  Weights w{};
  for (int i = 0; i < kInputs; ++i) {
    for (int j = 0; j < kHidden; ++j) {
      w.hidden[j][i] = static_cast<float>(2 * numpy.random_sample() - 1);
    }
  }
  for (float& v : w.output) v = static_cast<float>(2 * numpy.random_sample() - 1);
  return w;
}

Forward forward(const Weights& w, const Targets& walk) {
  Forward f{};
  float squared = 0;
  for (int n = 0; n < kPatterns; ++n) {
    float y = 0;
    for (int j = 0; j < kHidden; ++j) {
      float z = 0;
      for (int i = 0; i < kInputs; ++i) z += w.hidden[j][i] * kLights[n][i];
      f.pre[n][j] = z;
      f.hidden[n][j] = z > 0 ? z : 0;
      y += w.output[j] * f.hidden[n][j];
    }
    f.output[n] = y;
    const float diff = y - walk[n];
    squared += diff * diff;
  }
  f.error = squared / kPatterns;
  return f;
}

Weights gradients(const Weights& w, const Forward& f, const Targets& walk) {
  Weights g{};  // zero: every gradient below is a sum over the patterns
  for (int n = 0; n < kPatterns; ++n) {
    // error = (1/P) sum (y - t)^2, so d(error)/dy = 2 (y - t) / P.
    const float dy = 2 * (f.output[n] - walk[n]) / kPatterns;
    for (int j = 0; j < kHidden; ++j) {
      // y = sum_j output[j] h[j]: dy/d output[j] = h[j] and dy/dh[j] = output[j].
      g.output[j] += dy * f.hidden[n][j];
      // h = max(0, z) passes the gradient where z > 0 and blocks it elsewhere.
      const float dz = f.pre[n][j] > 0 ? dy * w.output[j] : 0;
      // z = sum_i hidden[j][i] x[i]: dz/d hidden[j][i] = x[i].
      for (int i = 0; i < kInputs; ++i) g.hidden[j][i] += dz * kLights[n][i];
    }
  }
  return g;
}

float train_step(Weights& w, const Targets& walk, float lr) {
  const Forward f = forward(w, walk);
  const Weights g = gradients(w, f, walk);
  for (int j = 0; j < kHidden; ++j) {
    for (int i = 0; i < kInputs; ++i) w.hidden[j][i] -= lr * g.hidden[j][i];
    w.output[j] -= lr * g.output[j];
  }
  return f.error;
}

float train_step_per_pattern(Weights& w, const Targets& walk, float lr) {
  float error = 0;
  for (int n = 0; n < kPatterns; ++n) {
    float pre[kHidden], hidden[kHidden], y = 0;
    for (int j = 0; j < kHidden; ++j) {
      pre[j] = 0;
      for (int i = 0; i < kInputs; ++i) pre[j] += w.hidden[j][i] * kLights[n][i];
      hidden[j] = pre[j] > 0 ? pre[j] : 0;
      y += w.output[j] * hidden[j];
    }
    const float delta = y - walk[n];  // d((y - walk)^2 / 2)/dy
    error += delta * delta;
    for (int j = 0; j < kHidden; ++j) {
      const float dz = pre[j] > 0 ? delta * w.output[j] : 0;  // before output[j] moves
      w.output[j] -= lr * delta * hidden[j];
      for (int i = 0; i < kInputs; ++i) w.hidden[j][i] -= lr * dz * kLights[n][i];
    }
  }
  return error;
}

std::array<float, kPatterns> predict(const Weights& w) {
  const Forward f = forward(w, kWalkOriginal);  // the targets only change f.error
  std::array<float, kPatterns> out{};
  for (int n = 0; n < kPatterns; ++n) out[n] = f.output[n];
  return out;
}

}  // namespace stage00

#include "gpu_test_support.h"

#include <cmath>

#include "common/rng.h"

namespace stage05::testing {

mnist::Params random_params(uint64_t seed) {
  mnist::Params p = mnist::init_params(seed);
  mnist::Rng rng(seed + 1000);
  for (mnist::Tensor* bias : {&p.conv1_bias, &p.conv2_bias, &p.fc_bias})
    for (float& v : bias->values()) v = rng.uniform(-0.1f, 0.1f);
  return p;
}

mnist::Tensor random_images(int n, uint64_t seed) {
  mnist::Tensor images({n, 1, 28, 28});
  mnist::Rng rng(seed);
  for (float& v : images.values()) v = rng.uniform();
  return images;
}

std::vector<int> random_labels(int n, uint64_t seed) {
  mnist::Rng rng(seed);
  std::vector<int> labels(static_cast<size_t>(n));
  for (int& l : labels) l = static_cast<int>(rng.below(10));
  return labels;
}

double relative_l2(const mnist::Tensor& a, const mnist::Tensor& b) {
  double diff = 0, norm = 0;
  for (int64_t i = 0; i < b.size(); ++i) {
    diff += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
    norm += double(b[i]) * b[i];
  }
  return std::sqrt(diff) / std::max(std::sqrt(norm), 1e-30);
}

}  // namespace stage05::testing

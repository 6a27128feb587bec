#include "common/params.h"

#include <cmath>
#include <stdexcept>
#include <string>

#include "common/network.h"
#include "common/rng.h"

namespace mnist {

namespace {
constexpr std::array<std::string_view, 6> kNames = {"conv1.weight", "conv1.bias", "conv2.weight",
                                                    "conv2.bias",   "fc.weight",  "fc.bias"};

// The one place that pairs each name with its member; both list()s use it. Self is Params
// or const Params, and T the matching Tensor or const Tensor.
template <typename T, typename Self>
std::array<Params::Named<T>, 6> named_members(Self& p) {
  return {{{kNames[0], &p.conv1_weight},
           {kNames[1], &p.conv1_bias},
           {kNames[2], &p.conv2_weight},
           {kNames[3], &p.conv2_bias},
           {kNames[4], &p.fc_weight},
           {kNames[5], &p.fc_bias}}};
}

}  // namespace

std::array<Params::Named<Tensor>, 6> Params::list() {
  return named_members<Tensor>(*this);
}

std::array<Params::Named<const Tensor>, 6> Params::list() const {
  return named_members<const Tensor>(*this);
}

Params Params::clone() const {
  Params copy;
  auto dst = copy.list();
  auto src = list();
  for (size_t i = 0; i < src.size(); ++i) *dst[i].tensor = src[i].tensor->clone();
  return copy;
}

const Shape& param_shape(std::string_view name) {
  using namespace net;
  static const std::array<Shape, 6> shapes = {
      Shape{kConv1Channels, 1, kKernel, kKernel},
      Shape{kConv1Channels},
      Shape{kConv2Channels, kConv1Channels, kKernel, kKernel},
      Shape{kConv2Channels},
      Shape{kClasses, kFlat},
      Shape{kClasses}};
  for (size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == name) return shapes[i];
  }
  throw std::invalid_argument("unknown parameter name '" + std::string(name) + "'");
}

Params zero_params() {
  Params p;
  for (auto [name, tensor] : p.list()) *tensor = Tensor(param_shape(name));
  return p;
}

Params init_params(uint64_t seed) {
  Params p = zero_params();
  Rng rng(seed);
  for (auto [name, tensor] : p.list()) {
    if (tensor->rank() == 1) continue;  // biases start at zero
    // Receptive field: kh*kw for a conv kernel, 1 for a dense matrix.
    const int64_t receptive = tensor->size() / (int64_t{tensor->dim(0)} * tensor->dim(1));
    const double fan_in = static_cast<double>(tensor->dim(1) * receptive);
    const double fan_out = static_cast<double>(tensor->dim(0) * receptive);
    const float limit = static_cast<float>(std::sqrt(6.0 / (fan_in + fan_out)));
    for (float& v : tensor->values()) v = rng.uniform(-limit, limit);
  }
  return p;
}

int64_t count_scalars(const Params& p) {
  int64_t n = 0;
  for (auto [name, tensor] : p.list()) n += tensor->size();
  return n;
}

}  // namespace mnist

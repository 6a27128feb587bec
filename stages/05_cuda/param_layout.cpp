#include "05_cuda/param_layout.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace stage05 {

std::vector<float> flatten(const mnist::Params& params) {
  std::vector<float> flat;
  flat.reserve(layout::kTotal);
  for (auto [name, tensor] : params.list()) {
    if (tensor->shape() != mnist::param_shape(name)) {
      throw std::invalid_argument(std::string(name) + " is " + mnist::to_string(tensor->shape()) +
                                  ", expected " + mnist::to_string(mnist::param_shape(name)));
    }
    flat.insert(flat.end(), tensor->data(), tensor->data() + tensor->size());
  }
  return flat;
}

mnist::Params unflatten(std::span<const float> flat) {
  if (flat.size() != layout::kTotal) {
    throw std::invalid_argument("unflatten: " + std::to_string(flat.size()) + " floats, expected " +
                                std::to_string(layout::kTotal));
  }
  mnist::Params params = mnist::zero_params();
  size_t offset = 0;
  for (auto [name, tensor] : params.list()) {
    std::copy_n(flat.data() + offset, tensor->size(), tensor->data());
    offset += static_cast<size_t>(tensor->size());
  }
  return params;
}

}  // namespace stage05

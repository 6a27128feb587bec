/// \file
/// \brief Params: the network's six tensors, with PyTorch's names and layouts.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "common/tensor.h"

namespace mnist {

/// The 34,826 trainable numbers of the network.
///
/// Names and layouts follow PyTorch (`conv1.weight` is [out, in, kh, kw], `fc.weight` is
/// [out, in]) so weights saved here load into torch.nn.Conv2d / nn.Linear unchanged.
struct Params {
  Tensor conv1_weight;  ///< [32,1,3,3]
  Tensor conv1_bias;    ///< [32]
  Tensor conv2_weight;  ///< [64,32,3,3]
  Tensor conv2_bias;    ///< [64]
  Tensor fc_weight;     ///< [10,1600]
  Tensor fc_bias;       ///< [10]

  /// One entry of list(): the PyTorch name and the tensor it names.
  template <typename T>
  struct Named {
    std::string_view name;  ///< e.g. "conv1.weight"
    T* tensor;              ///< the tensor of that name
  };
  /// The six tensors in a fixed order, with their names; for saving, loading and optimisers.
  std::array<Named<Tensor>, 6> list();
  /// The same, read-only.
  std::array<Named<const Tensor>, 6> list() const;

  /// A deep copy.
  Params clone() const;
};

/// The shape every parameter must have, by PyTorch name. Throws for an unknown name.
const Shape& param_shape(std::string_view name);

/// Parameters of the right shapes, all zero (for gradients and optimiser moments).
Params zero_params();

/// Keras-default initialisation: glorot-uniform kernels, zero biases, from a seeded generator.
///
/// Glorot uniform draws from U(-a, a) with a = sqrt(6 / (fan_in + fan_out)); for a conv
/// kernel fan_in = in_channels*kh*kw and fan_out = out_channels*kh*kw. The draws go through
/// Rng in list() order, so the same seed gives bit-identical parameters on every machine.
Params init_params(uint64_t seed);

/// Total number of scalars in p (34,826 for this network).
int64_t count_scalars(const Params& p);

}  // namespace mnist

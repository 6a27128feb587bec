/// \file
/// \brief The six parameter tensors laid end to end in one flat GPU array.
///
/// One array instead of six makes "one Adam kernel for all parameters" a single loop over
/// 34,826 numbers, and one cudaMemcpy moves all the weights. The order is Params::list()'s.
#pragma once

#include <span>
#include <vector>

#include "common/network.h"
#include "common/params.h"

namespace stage05 {

/// Offsets (in floats) of each tensor in the flat array.
namespace layout {
using namespace mnist::net;
constexpr int kConv1Weight = 0;                                                ///< [32,1,3,3]
constexpr int kConv1Bias = kConv1Weight + kConv1Channels * kKernel * kKernel;  ///< [32]
constexpr int kConv2Weight = kConv1Bias + kConv1Channels;                      ///< [64,32,3,3]
constexpr int kConv2Bias =
    kConv2Weight + kConv2Channels * kConv1Channels * kKernel * kKernel;  ///< [64]
constexpr int kFcWeight = kConv2Bias + kConv2Channels;                   ///< [10,1600]
constexpr int kFcBias = kFcWeight + kClasses * kFlat;                    ///< [10]
constexpr int kTotal = kFcBias + kClasses;                               ///< 34,826
/// The convolution parameters (conv1, conv2) come first: kFcWeight of them.
constexpr int kConvTotal = kFcWeight;
static_assert(kTotal == 34826, "the network has 34,826 parameters");
}  // namespace layout

/// Pointers to the six tensors inside one flat array (device or host memory alike).
template <typename T>
struct ParamPointers {
  T* conv1_weight;  ///< [32,1,3,3]
  T* conv1_bias;    ///< [32]
  T* conv2_weight;  ///< [64,32,3,3]
  T* conv2_bias;    ///< [64]
  T* fc_weight;     ///< [10,1600]
  T* fc_bias;       ///< [10]
  /// The six tensors of the flat array that starts at base.
  static ParamPointers at(T* base) {
    return {base + layout::kConv1Weight, base + layout::kConv1Bias, base + layout::kConv2Weight,
            base + layout::kConv2Bias,   base + layout::kFcWeight,  base + layout::kFcBias};
  }
};

/// The parameters as one flat array, in layout order. Throws if a tensor has the wrong shape.
std::vector<float> flatten(const mnist::Params& params);

/// Parameters from a flat array of layout::kTotal floats.
mnist::Params unflatten(std::span<const float> flat);

}  // namespace stage05

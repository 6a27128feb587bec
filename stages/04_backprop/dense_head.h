/// \file
/// \brief Rung 3's head: dropout, the dense layer, softmax cross-entropy and all their
/// gradients in two sweeps over features that stay in the L1 cache.
///
/// Rung 1 runs these as six passes over the batch: the dropout mask, the dense GEMM, the
/// loss, the two backward GEMMs of the dense layer, and the mask again on the gradient.
/// For a slice of a few images the features (6.4 KB per image) and the dense weights
/// (64 KB) stay in the cache from the first sweep to the last.
#pragma once

#include <span>

#include "common/tensor.h"

namespace stage04 {

/// For `features` [N,1600] (overwritten with its masked values, as rung 1's forward pass
/// does), mask [N,1600] (empty: no dropout), weight [10,1600], bias [10] and N labels:
/// logits [N,10], the mean softmax cross-entropy (returned), dweight and dbias
/// (overwritten), and dfeatures [N,1600] = d(loss)/d(features before the mask). Tensors
/// are reallocated only when their shapes change.
float dropout_dense_softmax(mnist::Tensor& features, const mnist::Tensor& mask,
                            const mnist::Tensor& weight, const mnist::Tensor& bias,
                            std::span<const int> labels, mnist::Tensor& logits,
                            mnist::Tensor& dweight, mnist::Tensor& dbias, mnist::Tensor& dfeatures);

}  // namespace stage04

/// \file
/// \brief Stage 01's forward pass: the whole network as a chain of the naive layers.
#pragma once

#include "common/params.h"
#include "common/tensor.h"

namespace stage01 {

/// Logits [N,10] for images [N,1,28,28] under parameters p (no softmax, no dropout:
/// inference). Predicted class = argmax of a row; softmax() turns a row into probabilities.
mnist::Tensor forward(const mnist::Params& p, const mnist::Tensor& images);

}  // namespace stage01

/// \file
/// \brief Stage 02's forward pass: stage 01's network with conv and dense as GEMMs.
#pragma once

#include "common/params.h"
#include "common/tensor.h"

namespace stage02 {

/// Logits [N,10] for images [N,1,28,28] under parameters p (inference: no dropout, no softmax).
mnist::Tensor forward(const mnist::Params& p, const mnist::Tensor& images);

}  // namespace stage02

/// \file
/// \brief Stage 03's forward pass: two batch-wide conv GEMMs and one dense GEMM on sgemm.
#pragma once

#include "common/params.h"
#include "common/tensor.h"

namespace stage03 {

/// Logits [N,10] for images [N,1,28,28] under parameters p (inference: no dropout, no softmax).
/// Works through the batch in slices of at most 256 images, so the unfolded patch matrix
/// stays around 36 MB however many images are passed. The intermediate tensors are kept
/// from call to call, one set per calling thread (about 40 MB for batches of 128), because
/// allocating them afresh every time cost more than the arithmetic.
mnist::Tensor forward(const mnist::Params& p, const mnist::Tensor& images);

}  // namespace stage03

/// \file
/// \brief Test-only: the ranks' gradients summed on one GPU, in rank order, with their factors.
#pragma once

#include <cuda_runtime.h>

namespace stage06::testing {

/// total[i] = scale * part[i] (first) or total[i] + scale * part[i] (later ranks), for
/// i < count: NCCL's pre-multiplied sum, in rank order, for ranks emulated on one GPU.
void scaled_add(float* total, const float* part, float scale, int count, bool first,
                cudaStream_t stream);

}  // namespace stage06::testing

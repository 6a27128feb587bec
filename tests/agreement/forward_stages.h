/// \file
/// \brief The table of every forward stage: adding a stage is one line, STAGE(NN), below.
///
/// Each line declares `stageNN::forward` with the signature every forward stage offers,
/// `mnist::Tensor forward(const mnist::Params&, const mnist::Tensor& images)` (images
/// [N,1,28,28] in, logits [N,10] out), and puts it in the table; tests/agreement/CMakeLists.txt
/// reads the same lines and links `stageNN_lib`. A stage whose forward has another signature fails to
/// link, which is the point: the contract is checked by the compiler.
#pragma once

#include <vector>

#include "common/params.h"
#include "common/tensor.h"

// clang-format off
#define MNIST_FORWARD_STAGES(STAGE) \
  STAGE(01)                         \
  STAGE(02)                         \
  STAGE(03)                         \
  STAGE(04)
// clang-format on

// The entry point every forward stage offers (declared, not included: one line per stage).
#define MNIST_DECLARE_FORWARD(id)                                               \
  namespace stage##id {                                                         \
    mnist::Tensor forward(const mnist::Params& p, const mnist::Tensor& images); \
  }
MNIST_FORWARD_STAGES(MNIST_DECLARE_FORWARD)
#undef MNIST_DECLARE_FORWARD

namespace agreement {

/// A stage's id ("02") and its forward pass.
struct ForwardStage {
  const char* id;
  mnist::Tensor (*forward)(const mnist::Params&, const mnist::Tensor&);
};

/// Every forward stage, in order; the first (stage 01) is the reference.
inline const std::vector<ForwardStage>& forward_stages() {
#define MNIST_TABLE_ENTRY(id) ForwardStage{#id, stage##id::forward},
  static const std::vector<ForwardStage> stages = {MNIST_FORWARD_STAGES(MNIST_TABLE_ENTRY)};
#undef MNIST_TABLE_ENTRY
  return stages;
}

}  // namespace agreement

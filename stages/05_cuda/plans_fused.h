/// \file
/// \brief Rungs 3 and 4 run the step as a few fused kernels on data that lives on the GPU:
/// their launch lists, and the gradient-sum launches the training and data-parallel plans
/// put after them. Internal to plans.cpp and plans_fused.cpp.
///
/// The two rungs differ in conv2's kernels (forward, which goes on through the dense layer,
/// and backward): rung 4 runs their products on the tensor cores. Everything else is the
/// same launch.
#pragma once

#include "05_cuda/fused_kernels.h"
#include "05_cuda/plans.h"

namespace stage05 {

/// Rung 3's inference on n images at `images`: logits into ws.logits.
Plan fused_forward_plan(Workspace& ws, const float* images, int n);
/// Rung 3's forward pass and backward kernels for the first n images of ws.images (dropout
/// where `mask` is not null), up to, not including, the gradient sums.
Plan fused_gradient_plan(Workspace& ws, int n, const float* mask);
/// Rung 4's inference, as fused_forward_plan with conv2 on the tensor cores and the whole
/// forward pass in one kernel.
Plan tensor_forward_plan(Workspace& ws, const float* images, int n);
/// Rung 4's forward and backward kernels, as fused_gradient_plan with conv2 on the tensor
/// cores: the whole forward pass in one kernel, then the conv backward.
Plan tensor_gradient_plan(Workspace& ws, int n, const float* mask);
/// fused_gradient_plan or tensor_gradient_plan, by rung, with ws.mask if `dropout`.
Plan device_gradient_plan(Rung rung, Workspace& ws, int n, bool dropout);

/// Rung 3 or 4's training step (with dropout) on positions source.begin.. of the epoch's
/// order: the first kernel draws the batch (rung 3's conv1 kernel, gather_conv1_relu_pool;
/// rung 4's forward kernel, tc::draw_and_forward), then the rung's other kernels and the
/// gradient sums with Adam, t = clock step + source.step_offset + 1.
Plan device_training_plan(Rung rung, Workspace& ws, const fused::BatchSource& source, int n,
                          const stage04::AdamConfig& config);

/// Adds up the per-image gradients and the loss into ws.grads and ws.loss.
Launch finish_gradients_launch(Workspace& ws, int n, bool dropout);
/// The same for the parameters in `range` only (fused::finish_gradients says which ranges),
/// and the loss if with_loss; `name` names the launch for the benchmarks.
Launch finish_gradients_launch(Workspace& ws, int n, bool dropout, fused::ParamRange range,
                               bool with_loss, const char* name);
/// The gradient sums and Adam in one pass, with t = clock step + step_offset + 1.
Launch finish_gradients_and_adam_launch(Workspace& ws, int n, bool dropout,
                                        const stage04::AdamConfig& config, int step_offset);

}  // namespace stage05

/// \file
/// \brief A step as a list of named launches: what the trainer runs, the tests check and the
/// benchmark times kernel by kernel, for each rung of the ladder.
#pragma once

#include <cuda_runtime.h>

#include <functional>
#include <string>
#include <vector>

#include "04_backprop/adam.h"
#include "05_cuda/fused_kernels.h"
#include "05_cuda/workspace.h"

namespace stage05 {

/// The rungs of the ladder (README.md): rungs 2 and 3 keep the previous rung's float32
/// arithmetic and change how it is scheduled on the GPU; rung 4 also changes the arithmetic
/// of conv2's products (TF32 inputs, float32 sums).
enum class Rung {
  naive = 1,   ///< one thread per output, every tensor in global memory
  tiled = 2,   ///< convolutions and dense layers as shared-memory tiled products
  fused = 3,   ///< fused layers, data on the GPU, the whole epoch in one CUDA graph
  tensor = 4,  ///< rung 3 with conv2's products on the tensor cores (TF32)
};

/// Whether the rung keeps the data sets on the GPU and runs each epoch as one CUDA graph
/// (rungs 3 and 4), rather than feeding batches from the host (rungs 1 and 2).
constexpr bool runs_on_device_data(Rung rung) {
  return rung == Rung::fused || rung == Rung::tensor;
}

/// "naive", "tiled", "fused" or "tensor".
const char* rung_name(Rung rung);

/// One launch of a plan: a kernel (or a memset) and the work it does, for the benchmarks.
struct Launch {
  std::string name;  ///< what it computes, e.g. "conv2 forward"
  double flops = 0;  ///< floating-point operations it performs (a multiply-add counts 2)
  double bytes = 0;  ///< the fewest bytes it must read and write in global memory
  std::function<void(cudaStream_t)> enqueue;  ///< queues the launch on a stream
};

/// The launches of a forward pass, a training step, ...: run in order on one stream.
using Plan = std::vector<Launch>;

/// Raises the shared-memory limits of `rung`'s kernels that need more than the default
/// 48 KB (rungs 3 and 4; rungs 1 and 2 need no more). Call once before the first launch
/// (and before capturing a graph). Throws, naming the kernel, if this GPU allows less: rungs
/// 3 and 4 keep a whole image's work in one multiprocessor's shared memory, sized for a
/// Hopper-class GPU (227 KB per block), more than, say, an A100 gives (163 KB).
void set_kernel_attributes(Rung rung);

/// Queues every launch of `plan` on `stream`, in order.
void enqueue(const Plan& plan, cudaStream_t stream);

/// Inference on n images at `images` (device memory): logits into ws.logits. No dropout.
Plan forward_plan(Rung rung, Workspace& ws, const float* images, int n);

/// Loss and gradients for the first n images of ws.images / ws.labels, with the dropout
/// mask ws.mask if `dropout`: writes ws.loss (the batch's mean), ws.logits and ws.grads.
Plan gradient_plan(Rung rung, Workspace& ws, int n, bool dropout);

/// Rungs 3 and 4's gradient_plan in two parts, in the order their gradients are ready:
/// `dense` runs the forward pass and the dense layer's loss and backward kernel, then adds up
/// the dense layer's gradients (param_layout.h: fc.weight, fc.bias) and the loss; `conv` runs
/// the conv backward kernel and adds up the conv layers' gradients. Together they write what
/// gradient_plan writes, bit for bit. A data-parallel step reduces the dense bucket while the
/// conv part still runs.
struct GradientBuckets {
  Plan dense;  ///< ends with ws.grads[kFcWeight, kTotal) and ws.loss ready
  Plan conv;   ///< ends with ws.grads[0, kConvTotal) ready
};

/// gradient_plan for the first n images, in the two parts of GradientBuckets (rungs 3 and 4;
/// throws for rungs 1 and 2).
GradientBuckets bucketed_gradient_plan(Rung rung, Workspace& ws, int n, bool dropout);

/// Adam on ws.params from ws.grads, t = clock step + 1 (the clock is not advanced).
Plan adam_plan(Rung rung, Workspace& ws, const stage04::AdamConfig& config);

/// A whole training step on the batch in the workspace: gradient_plan, then Adam (fused
/// with the last gradient kernel on rungs 3 and 4) with t = clock step + step_offset + 1. The
/// clock is not advanced: advance_clock_launch does that after one or more steps.
Plan training_plan(Rung rung, Workspace& ws, int n, bool dropout, const stage04::AdamConfig& config,
                   int step_offset = 0);

/// Rungs 3 and 4's training step as their epoch graph runs it: the batch at positions
/// source.begin .. source.begin + n - 1 of the epoch's order, drawn from the training set on
/// the GPU by conv1's kernel itself, dropout on, Adam's t = clock step + source.step_offset
/// + 1. It writes what fused::prepare_batch followed by training_plan writes, bit for bit,
/// in one launch fewer (throws for rungs 1 and 2).
Plan training_plan(Rung rung, Workspace& ws, const fused::BatchSource& source, int n,
                   const stage04::AdamConfig& config);

/// Advances the clock by `steps` training steps (what Adam's t, the dropout masks and the
/// shuffle read). On rungs 1 and 2 it also adds the last step's loss to the clock's loss
/// total; on rungs 3 and 4 the last gradient kernel does that itself.
Launch advance_clock_launch(Rung rung, Workspace& ws, int steps);

}  // namespace stage05

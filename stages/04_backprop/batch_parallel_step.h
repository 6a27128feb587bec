/// \file
/// \brief Rung 2 of the training step: the threads split the batch, not each layer (and the
/// frame of rungs 3 to 5, which change only what a thread does with a slice).
///
/// Rung 1 (train_step.h) runs the batch through one layer at a time, and every layer shares
/// its work among the threads: each GEMM and each pass over an activation is its own
/// parallel region, a fork and a join of the thread team, 47 per step, and every
/// activation of the whole batch (conv1's output alone is 11 MB) is written to memory by
/// one layer and read back by the next. Here the batch is cut into slices of
/// kSliceImages images, and a thread takes a whole slice through the whole forward and
/// backward pass, on the same layer functions, before it takes the next: one parallel
/// region per step, and a slice's activations are small enough to stay in the thread's
/// own cache from the layer that writes them to the one that reads them.
///
/// Each slice leaves its gradient in a slot of its own. The slots are then added in slice
/// order, whichever thread computed them, so the result is the same to the last bit for any
/// number of threads; and the Adam update of each parameter follows as soon as its sum is
/// done, in the same parallel region, while the sum is still in the cache.
///
/// The batch itself can come described (batch_source.h): then each slice also gathers its
/// own images and draws its own rows of the dropout mask, in the same region, instead of
/// one thread preparing the whole batch before the step while the others wait.
#pragma once

#include <exception>
#include <span>
#include <vector>

#include "04_backprop/adam.h"
#include "04_backprop/batch_source.h"
#include "04_backprop/fused_slice.h"
#include "04_backprop/train_step.h"
#include "common/params.h"
#include "common/tensor.h"

namespace stage04 {

/// Images in one slice of the batch. Fixed, so that how the batch is cut, and so every
/// sum, never depends on the thread count. Eight images keep a slice's largest tensor,
/// conv2's unfolded input in rungs 2 and 3 (288 x 8*121 floats, 1.1 MB), inside one core's
/// L2 cache; slices of 4 and of 16 images measured slower on every rung.
constexpr int kSliceImages = 8;

/// The training step of rungs 2 to 5, with the buffers it reuses from step to step.
class BatchParallelStep {
 public:
  /// Rung 2 runs each slice through rung 1's layer functions (forward_pass, backward_pass);
  /// rungs 3 to 5 through fused_slice_loss_and_gradients(), rung 4 with implicit GEMMs,
  /// rung 5 with conv2's backward channels-last.
  explicit BatchParallelStep(int rung = 2);

  /// The whole step in one parallel region: forward and backward of every slice, the sum
  /// of their gradients and, when the loss and every sum are finite, one Adam step of
  /// params, each thread updating the part of the parameters it has just summed. Arguments
  /// as for loss_and_gradients() (mask may be empty: no dropout); `loss` receives the
  /// batch's mean loss. Returns whether the step was applied (nothing changes if not).
  bool train_step(mnist::Params& params, const mnist::Tensor& images, std::span<const int> labels,
                  const mnist::Tensor& mask, Adam& adam, float& loss);

  /// The same step on a described batch: each slice gathers its images and draws its rows
  /// of the mask itself, in the step's parallel region. Bit for bit the step on the
  /// tensors gather_batch and make_dropout_mask would give, and it leaves *batch.dropout
  /// where make_dropout_mask would (whether or not the step is applied). If it throws,
  /// *batch.dropout is left as it was.
  bool train_step(mnist::Params& params, const BatchSource& batch, Adam& adam, float& loss);

  /// The first part of train_step() alone, for tests: forward and backward of every slice,
  /// each slice's gradient left in its slot for reduce(). Returns the batch's mean loss.
  float forward_backward(const mnist::Params& params, const mnist::Tensor& images,
                         std::span<const int> labels, const mnist::Tensor& mask);

  /// The sum of train_step() alone, after forward_backward(): the slices' gradients added
  /// in slice order into the batch's mean gradient, returned (valid until the next call).
  /// Sets `finite` to false when any of it is NaN or infinite.
  const mnist::Params& reduce(bool* finite = nullptr);

 private:
  /// What one thread works on: the current slice's inputs and forward cache.
  struct Worker {
    mnist::Batch slice;     ///< the slice's images [n,1,28,28] and labels
    mnist::Tensor mask;     ///< the slice's rows of the dropout mask [n,1600], or empty
    ForwardCache cache;     ///< the slice's activations (rung 2)
    FusedSliceCache fused;  ///< the slice's activations (rungs 3 to 5)
  };
  /// The batch of the step under way: tensors, or (when `source` is set) a description.
  struct Input {
    const mnist::Tensor* images = nullptr;
    std::span<const int> labels;
    const mnist::Tensor* mask = nullptr;
    const BatchSource* source = nullptr;
  };
  int rung_;
  Input input_;
  int batch_images_ = 0;                      // images in the batch of the step under way
  SliceDropoutStarts dropout_starts_;         // each slice's start in a described batch's mask
  mnist::Rng::State dropout_end_{};           // where the last slice's draws left the generator
  std::vector<Worker> workers_;               // one per thread
  std::vector<mnist::Params> slots_;          // one gradient per slice, each the slice's mean
  std::vector<float> weights_;                // slice images / batch images: its share of the mean
  std::vector<float> losses_;                 // each slice's mean loss
  mnist::Params sum_ = mnist::zero_params();  // the batch's mean gradient
  int slices_ = 0;                            // slices in the last batch

  std::exception_ptr failure_;  // what a slice threw, carried out of the region

  /// Checks the arguments and sizes the buffers for a batch given as tensors.
  void prepare(const mnist::Tensor& images, std::span<const int> labels, const mnist::Tensor& mask);
  /// Checks a described batch, sizes the buffers and finds each slice's start in its mask.
  void prepare(const BatchSource& batch);
  /// Sizes the buffers for a batch of n images.
  void size_buffers(int n);
  /// Slice s's images, labels and rows of the mask into w, from input_.
  void load_slice(int s, Worker& w);
  /// Forward and backward of slice s on the calling thread, into its slot.
  void slice_pass(int s, const mnist::Params& params);
  /// The step's one parallel region, on input_ (what both train_step()s share).
  bool step(mnist::Params& params, Adam& adam, float& loss);
  /// The batch's mean loss from the slices' losses.
  float batch_loss() const;
  /// Thread `thread` of `threads`: sums its share of every tensor's elements over the
  /// slots, in slice order, into sum_. Returns false if any of those sums is not finite.
  bool sum_share(int thread, int threads);
};

}  // namespace stage04

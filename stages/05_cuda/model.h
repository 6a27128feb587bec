/// \file
/// \brief GpuModel: the network's parameters, optimiser and buffers on the GPU, driven one
/// batch at a time from host tensors. What the tests use to hold stage 05 to stage 04.
#pragma once

#include <memory>
#include <span>

#include "04_backprop/adam.h"
#include "05_cuda/plans.h"
#include "common/params.h"
#include "common/tensor.h"

namespace stage05 {

/// The network on the GPU with stage 04's entry points, for one rung of the ladder.
///
/// Every call copies its inputs to the GPU, runs that rung's kernels and copies the results
/// back: convenient and slow, so it is for tests and examples. Training uses the Trainer
/// (trainer.h), which keeps everything on the GPU.
class GpuModel {
 public:
  /// Uploads params; batches of up to `capacity` images; a fresh Adam with `adam`'s settings.
  GpuModel(const mnist::Params& params, Rung rung, int capacity,
           stage04::AdamConfig adam = stage04::AdamConfig{});
  ~GpuModel();
  GpuModel(const GpuModel&) = delete;
  GpuModel& operator=(const GpuModel&) = delete;

  /// Logits [N,10] for images [N,1,28,28] (inference: no dropout).
  mnist::Tensor forward(const mnist::Tensor& images);

  /// stage04::loss_and_gradients on the GPU: the mean loss of the batch, its gradient in
  /// `grads` (overwritten), its logits in `*logits` if given. An empty mask: no dropout.
  float loss_and_gradients(const mnist::Tensor& images, std::span<const int> labels,
                           const mnist::Tensor& mask, mnist::Params& grads,
                           mnist::Tensor* logits = nullptr);

  /// Replaces the gradients on the GPU (for testing Adam on its own).
  void set_gradients(const mnist::Params& grads);

  /// One Adam step from the gradients on the GPU (the last loss_and_gradients or
  /// set_gradients), like stage04::Adam::step.
  void adam_step();

  /// One training step exactly as the trainer runs it: gradients and Adam (fused on rung
  /// 3), the step clock advanced. Returns the batch's mean loss.
  float train_step(const mnist::Tensor& images, std::span<const int> labels,
                   const mnist::Tensor& mask);

  /// The current parameters, copied from the GPU.
  mnist::Params params() const;

  /// Adam steps taken so far.
  int steps() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace stage05

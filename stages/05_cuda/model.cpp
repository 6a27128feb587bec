#include "05_cuda/model.h"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "05_cuda/cuda_check.h"
#include "05_cuda/fused_kernels.h"
#include "05_cuda/param_layout.h"
#include "05_cuda/sizes.h"
#include "05_cuda/workspace.h"

namespace stage05 {

struct GpuModel::Impl {
  Rung rung;
  stage04::AdamConfig adam;
  Workspace ws;
  cudaStream_t stream = nullptr;

  Impl(Rung r, int capacity, stage04::AdamConfig a) : rung(r), adam(a), ws(capacity) {
    CUDA_CHECK(cudaStreamCreate(&stream));
    set_kernel_attributes(r);
  }
  ~Impl() { cudaStreamDestroy(stream); }

  // Copies a batch into the workspace; returns whether it has a dropout mask.
  bool upload_batch(const mnist::Tensor& images, std::span<const int> labels,
                    const mnist::Tensor& mask) {
    const int n = images.dim(0);
    mnist::expect_shape(images, {n, 1, mnist::net::kImageSize, mnist::net::kImageSize}, "images");
    if (static_cast<int>(labels.size()) != n) {
      throw std::invalid_argument(std::to_string(labels.size()) + " labels for " +
                                  std::to_string(n) + " images");
    }
    if (n > ws.capacity) {
      throw std::invalid_argument("batch of " + std::to_string(n) + " images, model made for " +
                                  std::to_string(ws.capacity));
    }
    ws.images.upload(images.values());
    ws.labels.upload(labels);
    if (mask.empty()) return false;
    mnist::expect_shape(mask, {n, mnist::net::kFlat}, "dropout mask");
    ws.mask.upload(mask.values());
    return true;
  }

  void run(const Plan& plan) {
    enqueue(plan, stream);
    CUDA_CHECK(cudaStreamSynchronize(stream));
  }

  float loss() const { return ws.loss.to_host()[0]; }
};

GpuModel::GpuModel(const mnist::Params& params, Rung rung, int capacity, stage04::AdamConfig adam)
    : impl_(std::make_unique<Impl>(rung, capacity, adam)) {
  impl_->ws.params.upload(flatten(params));
}

GpuModel::~GpuModel() = default;

mnist::Tensor GpuModel::forward(const mnist::Tensor& images) {
  const int n = images.dim(0);
  mnist::expect_shape(images, {n, 1, mnist::net::kImageSize, mnist::net::kImageSize}, "images");
  Workspace& ws = impl_->ws;
  mnist::Tensor logits({n, mnist::net::kClasses});
  // In slices of at most `capacity` images.
  for (int begin = 0; begin < n; begin += ws.capacity) {
    const int count = std::min(ws.capacity, n - begin);
    ws.images.upload(
        images.values().subspan(size_t(begin) * sizes::kImage, size_t(count) * sizes::kImage));
    impl_->run(forward_plan(impl_->rung, ws, ws.images.data(), count));
    ws.logits.download(logits.values().subspan(size_t(begin) * mnist::net::kClasses,
                                               size_t(count) * mnist::net::kClasses));
  }
  return logits;
}

float GpuModel::loss_and_gradients(const mnist::Tensor& images, std::span<const int> labels,
                                   const mnist::Tensor& mask, mnist::Params& grads,
                                   mnist::Tensor* logits) {
  const bool dropout = impl_->upload_batch(images, labels, mask);
  const int n = images.dim(0);
  impl_->run(gradient_plan(impl_->rung, impl_->ws, n, dropout));
  grads = unflatten(impl_->ws.grads.to_host());
  if (logits) {
    *logits = mnist::Tensor({n, mnist::net::kClasses});
    impl_->ws.logits.download(logits->values());
  }
  return impl_->loss();
}

void GpuModel::set_gradients(const mnist::Params& grads) {
  impl_->ws.grads.upload(flatten(grads));
}

void GpuModel::adam_step() {
  Plan plan = adam_plan(impl_->rung, impl_->ws, impl_->adam);
  // The step's clock advance, without a loss to add (the loss buffer is zeroed for it).
  float* loss = impl_->ws.loss.data();
  CUDA_CHECK(cudaMemsetAsync(loss, 0, sizeof(float), impl_->stream));
  plan.push_back(advance_clock_launch(impl_->rung, impl_->ws, 1));
  impl_->run(plan);
}

float GpuModel::train_step(const mnist::Tensor& images, std::span<const int> labels,
                           const mnist::Tensor& mask) {
  const bool dropout = impl_->upload_batch(images, labels, mask);
  Plan plan = training_plan(impl_->rung, impl_->ws, images.dim(0), dropout, impl_->adam);
  plan.push_back(advance_clock_launch(impl_->rung, impl_->ws, 1));
  impl_->run(plan);
  return impl_->loss();
}

mnist::Params GpuModel::params() const {
  return unflatten(impl_->ws.params.to_host());
}

int GpuModel::steps() const {
  return static_cast<int>(impl_->ws.clock.to_host()[0].step);
}

}  // namespace stage05

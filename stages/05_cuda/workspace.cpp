#include "05_cuda/workspace.h"

#include "05_cuda/param_layout.h"
#include "05_cuda/sizes.h"
#include "05_cuda/tensor_core_kernels.h"

namespace stage05 {

namespace {
using namespace sizes;

template <typename T>
DeviceBuffer<T> poisoned(size_t count) {
  DeviceBuffer<T> buffer(count);
  // All bits set: NaN as a float, 255 as a byte, -1 as an int.
  CUDA_CHECK(cudaMemset(buffer.data(), 0xFF, buffer.bytes()));
  return buffer;
}
}  // namespace

Workspace::Workspace(int capacity_)
    : capacity(capacity_),
      params(poisoned<float>(layout::kTotal)),
      grads(poisoned<float>(layout::kTotal)),
      adam_m(poisoned<float>(layout::kTotal)),
      adam_v(poisoned<float>(layout::kTotal)),
      clock(1),
      images(poisoned<float>(size_t(capacity_) * kImage)),
      labels(poisoned<int>(size_t(capacity_))),
      mask(poisoned<float>(size_t(capacity_) * kPool2Out)),
      conv1_out(poisoned<float>(size_t(capacity_) * kConv1Out)),
      pool1_out(poisoned<float>(size_t(capacity_) * kPool1Out)),
      conv2_out(poisoned<float>(size_t(capacity_) * kConv2Out)),
      pool2_out(poisoned<float>(size_t(capacity_) * kPool2Out)),
      features(poisoned<float>(size_t(capacity_) * kPool2Out)),
      logits(poisoned<float>(size_t(capacity_) * kClasses)),
      loss(poisoned<float>(1)),
      row_loss(poisoned<float>(size_t(capacity_))),
      dlogits(poisoned<float>(size_t(capacity_) * kClasses)),
      dfeatures(poisoned<float>(size_t(capacity_) * kPool2Out)),
      dpool2(poisoned<float>(size_t(capacity_) * kPool2Out)),
      dconv2(poisoned<float>(size_t(capacity_) * kConv2Out)),
      dpool1(poisoned<float>(size_t(capacity_) * kPool1Out)),
      dconv1(poisoned<float>(size_t(capacity_) * kConv1Out)),
      pool1_arg(poisoned<uint8_t>(size_t(capacity_) * kPool1Out)),
      pool2_arg(poisoned<uint8_t>(size_t(capacity_) * kPool2Out)),
      partials(poisoned<float>(size_t(capacity_) * layout::kConvTotal)),
      tensor_weights(poisoned<float>(tc::kArrangedWeights)) {
  reset_optimiser();
}

void Workspace::reset_optimiser() {
  CUDA_CHECK(cudaMemset(adam_m.data(), 0, adam_m.bytes()));
  CUDA_CHECK(cudaMemset(adam_v.data(), 0, adam_v.bytes()));
  CUDA_CHECK(cudaMemset(clock.data(), 0, clock.bytes()));
  CUDA_CHECK(cudaDeviceSynchronize());
}

}  // namespace stage05

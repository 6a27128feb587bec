#include "03_blocked_simd/forward.h"

#include <algorithm>

#include "03_blocked_simd/layers.h"
#include "common/network.h"

namespace stage03 {

namespace {

// The intermediate tensors of the forward pass, kept from one call to the next. A fresh
// tensor of many megabytes costs page faults and a zero-fill, which can take longer than a
// batch's arithmetic: without this, every batch would pay what only the first one does
// (docs/low-level/cpu_training_step.md, "Memory is not free"). One set per calling thread.
struct Workspace {
  Tensor columns1, conv1, pool1, columns2, conv2, pool2;
};

// The network on one slice of the batch.
Tensor forward_slice(const mnist::Params& p, const Tensor& images, Workspace& ws) {
  using namespace mnist::net;
  conv2d_channel_major(images, p.conv1_weight, p.conv1_bias, ws.columns1,
                       ws.conv1);                     // [32,N,26,26]
  relu_maxpool2x2_channel_major(ws.conv1, ws.pool1);  // [N,32,13,13]
  conv2d_channel_major(ws.pool1, p.conv2_weight, p.conv2_bias, ws.columns2,
                       ws.conv2);                     // [64,N,11,11]
  relu_maxpool2x2_channel_major(ws.conv2, ws.pool2);  // [N,64,5,5]
  // Flatten is a change of shape only: borrow the pooled tensor as [N,1600], then give it
  // back its own shape so that the next call finds it.
  const int n = ws.pool2.dim(0);
  Tensor features = std::move(ws.pool2).reshaped({n, kFlat});  // [N,1600]
  Tensor logits = dense(features, p.fc_weight, p.fc_bias);     // [N,10]
  ws.pool2 = std::move(features).reshaped({n, kConv2Channels, kPool2Size, kPool2Size});
  return logits;
}

}  // namespace

mnist::Tensor forward(const mnist::Params& p, const mnist::Tensor& images) {
  thread_local Workspace workspace;
  constexpr int kSlice = 256;
  const int N = images.dim(0);
  if (N <= kSlice) return forward_slice(p, images, workspace);
  const int64_t image_size = images.size() / N;
  Tensor logits({N, mnist::net::kClasses});
  Tensor slice;
  for (int n0 = 0; n0 < N; n0 += kSlice) {
    const int n = std::min(kSlice, N - n0);
    if (slice.empty() || slice.dim(0) != n)
      slice = Tensor({n, images.dim(1), images.dim(2), images.dim(3)});
    std::copy_n(images.data() + n0 * image_size, n * image_size, slice.data());
    const Tensor part = forward_slice(p, slice, workspace);
    std::copy_n(part.data(), part.size(), logits.data() + int64_t{n0} * mnist::net::kClasses);
  }
  return logits;
}

}  // namespace stage03

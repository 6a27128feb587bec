#include "04_backprop/train_step.h"

#include <stdexcept>
#include <string>

#include "03_blocked_simd/layers.h"
#include "04_backprop/layers_backward.h"
#include "common/network.h"

namespace stage04 {

using mnist::Tensor;
using namespace mnist::net;

Tensor make_dropout_mask(int batch, mnist::Rng& rng) {
  Tensor mask({batch, kFlat});
  draw_dropout_mask(mask.values(), rng);
  return mask;
}

void draw_dropout_mask(std::span<float> mask, mnist::Rng& rng) {
  for (float& m : mask) m = dropout_mask_value(rng.next_u64());
}

ForwardCache forward_pass(const mnist::Params& params, const Tensor& images, const Tensor& mask) {
  ForwardCache c;
  forward_pass(params, images, mask, c);
  return c;
}

Tensor forward(const mnist::Params& params, const Tensor& images) {
  return forward_pass(params, images, Tensor()).logits;
}

void forward_pass(const mnist::Params& params, const Tensor& images, const Tensor& mask,
                  ForwardCache& c) {
  if (images.rank() != 4 || images.dim(1) != 1 || images.dim(2) != kImageSize ||
      images.dim(3) != kImageSize) {
    throw std::invalid_argument("forward_pass: images are " + mnist::to_string(images.shape()) +
                                ", want [N,1,28,28]");
  }
  const int N = images.dim(0);
  // The unfolded inputs (im2col) are kept: the weight gradients multiply by them again, and
  // unfolding twice would cost a tenth of a step.
  stage03::conv2d_channel_major(images, params.conv1_weight, params.conv1_bias, c.conv1_columns,
                                c.conv1_out);
  stage03::relu_maxpool2x2_channel_major(c.conv1_out, c.pool1_out);
  stage03::conv2d_channel_major(c.pool1_out, params.conv2_weight, params.conv2_bias,
                                c.conv2_columns, c.conv2_out);
  // Flatten is free: [N,64,5,5] and [N,1600] are the same memory in (C,H,W) order.
  c.features = stage03::relu_maxpool2x2_channel_major(c.conv2_out).reshaped({N, kFlat});
  if (!mask.empty()) apply_mask(c.features, mask);
  c.logits = stage03::dense(c.features, params.fc_weight, params.fc_bias);
}

float backward_pass(const mnist::Params& params, const Tensor& images, const ForwardCache& cache,
                    std::span<const int> labels, const Tensor& mask, mnist::Params& grads) {
  const int N = images.dim(0);
  // Loss and d(loss)/d(logits) [N,10]: softmax and cross-entropy fused.
  Tensor dlogits;
  const float loss = softmax_cross_entropy(cache.logits, labels, dlogits);

  // dense: d(fc.weight), d(fc.bias), and d(features) [N,1600].
  Tensor dfeatures;
  dense_backward(cache.features, params.fc_weight, dlogits, grads.fc_weight, grads.fc_bias,
                 &dfeatures);
  // dropout: a dropped feature had no effect on the loss, a kept one was scaled by 2.
  if (!mask.empty()) apply_mask(dfeatures, mask);
  // flatten: back to [N,64,5,5] (again only the shape changes); then ReLU + pool2.
  const Tensor dconv2 = relu_maxpool2x2_backward_channel_major(
      cache.conv2_out, std::move(dfeatures).reshaped({N, kConv2Channels, kPool2Size, kPool2Size}));
  // conv2: its weights, bias, and d(pool1 output) [N,32,13,13].
  Tensor dpool1;
  conv2d_backward_channel_major(cache.pool1_out, params.conv2_weight, dconv2, grads.conv2_weight,
                                grads.conv2_bias, &dpool1, &cache.conv2_columns);
  // ReLU + pool1, then conv1's weights and bias (the images need no gradient).
  const Tensor dconv1 = relu_maxpool2x2_backward_channel_major(cache.conv1_out, dpool1);
  conv2d_backward_channel_major(images, params.conv1_weight, dconv1, grads.conv1_weight,
                                grads.conv1_bias, nullptr, &cache.conv1_columns);
  return loss;
}

float loss_and_gradients(const mnist::Params& params, const Tensor& images,
                         std::span<const int> labels, const Tensor& mask, mnist::Params& grads,
                         Tensor* logits) {
  const int N = images.rank() == 4 ? images.dim(0) : -1;
  if (static_cast<int64_t>(labels.size()) != N) {
    throw std::invalid_argument("loss_and_gradients: " + std::to_string(labels.size()) +
                                " labels for images " + mnist::to_string(images.shape()));
  }
  if (!mask.empty()) mnist::expect_shape(mask, {N, kFlat}, "dropout mask");
  ForwardCache cache = forward_pass(params, images, mask);
  const float loss = backward_pass(params, images, cache, labels, mask, grads);
  if (logits) *logits = std::move(cache.logits);
  return loss;
}

}  // namespace stage04

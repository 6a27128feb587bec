// Rung 2, launch by launch: rung 1's launches (plans_naive.cpp) with the convolutions and the
// dense layer as shared-memory tiled products (tiled_kernels.h) and the bias gradients as
// per-channel tree sums; ReLU, pooling, dropout and the loss keep rung 1's kernels.
#include "05_cuda/plans_layer_by_layer.h"
#include "05_cuda/sizes.h"
#include "05_cuda/tiled_kernels.h"

namespace stage05 {

namespace {
using namespace sizes;
using namespace layer_by_layer;

Plan forward(const LayerTensors& t, int n) {
  Plan plan;
  plan.push_back(conv1_forward_launch(n, [=](cudaStream_t s) {
    tiled::conv1_forward(t.images, t.params.conv1_weight, t.params.conv1_bias, t.conv1, n, s);
  }));
  plan.push_back(relu1_launch(t, n));
  plan.push_back(pool1_launch(t, n));
  plan.push_back(conv2_forward_launch(n, [=](cudaStream_t s) {
    tiled::conv2_forward(t.pool1, t.params.conv2_weight, t.params.conv2_bias, t.conv2, n, s);
  }));
  plan.push_back(relu2_launch(t, n));
  plan.push_back(pool2_launch(t, n));
  if (t.mask) plan.push_back(dropout_launch(t, n));
  plan.push_back(dense_forward_launch(n, [=](cudaStream_t s) {
    tiled::dense_forward(t.features, t.params.fc_weight, t.params.fc_bias, t.logits, n, s);
  }));
  return plan;
}

}  // namespace

Plan tiled_forward_plan(Workspace& ws, const float* images, int n) {
  return forward(LayerTensors::of(ws, images, nullptr), n);
}

Plan tiled_gradient_plan(Workspace& ws, int n, const float* mask) {
  const LayerTensors t = LayerTensors::of(ws, ws.images.data(), mask);
  Plan plan = {zero_loss_launch(t)};
  append(plan, forward(t, n));
  plan.push_back(softmax_cross_entropy_launch(t, n));
  plan.push_back(dense_backward_weight_launch(n, [=](cudaStream_t s) {
    tiled::dense_backward_weight(t.dlogits, t.features, t.grads.fc_weight, n, s);
  }));
  plan.push_back(dense_backward_bias_launch(n, [=](cudaStream_t s) {
    tiled::channel_sum(t.dlogits, t.grads.fc_bias, n, kClasses, 1, s);
  }));
  plan.push_back(dense_backward_input_launch(n, [=](cudaStream_t s) {
    tiled::dense_backward_input(t.dlogits, t.params.fc_weight, t.dfeatures, n, s);
  }));
  if (t.mask) plan.push_back(dropout_backward_launch(t, n));
  plan.push_back(pool2_backward_launch(t, n));
  plan.push_back(relu2_backward_launch(t, n));
  plan.push_back(conv2_backward_weight_launch(n, [=](cudaStream_t s) {
    tiled::conv2_backward_weight(t.pool1, t.dconv2, t.grads.conv2_weight, n, s);
  }));
  plan.push_back(conv2_backward_bias_launch(n, [=](cudaStream_t s) {
    tiled::channel_sum(t.dconv2, t.grads.conv2_bias, n, kConv2Channels, kConv2Size * kConv2Size, s);
  }));
  plan.push_back(conv2_backward_input_launch(n, [=](cudaStream_t s) {
    tiled::conv2_backward_input(t.dconv2, t.params.conv2_weight, t.dpool1, n, s);
  }));
  plan.push_back(pool1_backward_launch(t, n));
  plan.push_back(relu1_backward_launch(t, n));
  plan.push_back(conv1_backward_weight_launch(n, [=](cudaStream_t s) {
    tiled::conv1_backward_weight(t.images, t.dconv1, t.grads.conv1_weight, n, s);
  }));
  plan.push_back(conv1_backward_bias_launch(n, [=](cudaStream_t s) {
    tiled::channel_sum(t.dconv1, t.grads.conv1_bias, n, kConv1Channels, kConv1Size * kConv1Size, s);
  }));
  return plan;
}

}  // namespace stage05

// Rung 1, launch by launch: one thread per output (naive_kernels.h), every tensor in global
// memory. Rung 2 (plans_tiled.cpp) has the same launches with other kernels behind the
// convolutions and the dense layer.
#include "05_cuda/naive_kernels.h"
#include "05_cuda/plans_layer_by_layer.h"
#include "05_cuda/sizes.h"

namespace stage05 {

namespace {
using namespace sizes;
using namespace layer_by_layer;

Plan forward(const LayerTensors& t, int n) {
  Plan plan;
  plan.push_back(conv1_forward_launch(n, [=](cudaStream_t s) {
    naive::conv2d_forward(t.images, t.params.conv1_weight, t.params.conv1_bias, t.conv1, n, 1,
                          kImageSize, kConv1Channels, s);
  }));
  plan.push_back(relu1_launch(t, n));
  plan.push_back(pool1_launch(t, n));
  plan.push_back(conv2_forward_launch(n, [=](cudaStream_t s) {
    naive::conv2d_forward(t.pool1, t.params.conv2_weight, t.params.conv2_bias, t.conv2, n,
                          kConv1Channels, kPool1Size, kConv2Channels, s);
  }));
  plan.push_back(relu2_launch(t, n));
  plan.push_back(pool2_launch(t, n));
  if (t.mask) plan.push_back(dropout_launch(t, n));
  plan.push_back(dense_forward_launch(n, [=](cudaStream_t s) {
    naive::dense_forward(t.features, t.params.fc_weight, t.params.fc_bias, t.logits, n, kFlat,
                         kClasses, s);
  }));
  return plan;
}

}  // namespace

Plan naive_forward_plan(Workspace& ws, const float* images, int n) {
  return forward(LayerTensors::of(ws, images, nullptr), n);
}

Plan naive_gradient_plan(Workspace& ws, int n, const float* mask) {
  const LayerTensors t = LayerTensors::of(ws, ws.images.data(), mask);
  Plan plan = {zero_loss_launch(t)};
  append(plan, forward(t, n));
  plan.push_back(softmax_cross_entropy_launch(t, n));
  plan.push_back(dense_backward_weight_launch(n, [=](cudaStream_t s) {
    naive::dense_backward_weight(t.dlogits, t.features, t.grads.fc_weight, n, kFlat, kClasses, s);
  }));
  plan.push_back(dense_backward_bias_launch(n, [=](cudaStream_t s) {
    naive::dense_backward_bias(t.dlogits, t.grads.fc_bias, n, kClasses, s);
  }));
  plan.push_back(dense_backward_input_launch(n, [=](cudaStream_t s) {
    naive::dense_backward_input(t.dlogits, t.params.fc_weight, t.dfeatures, n, kFlat, kClasses, s);
  }));
  if (t.mask) plan.push_back(dropout_backward_launch(t, n));
  plan.push_back(pool2_backward_launch(t, n));
  plan.push_back(relu2_backward_launch(t, n));
  plan.push_back(conv2_backward_weight_launch(n, [=](cudaStream_t s) {
    naive::conv2d_backward_weight(t.pool1, t.dconv2, t.grads.conv2_weight, n, kConv1Channels,
                                  kPool1Size, kConv2Channels, s);
  }));
  plan.push_back(conv2_backward_bias_launch(n, [=](cudaStream_t s) {
    naive::conv2d_backward_bias(t.dconv2, t.grads.conv2_bias, n, kConv2Channels,
                                kConv2Size * kConv2Size, s);
  }));
  plan.push_back(conv2_backward_input_launch(n, [=](cudaStream_t s) {
    naive::conv2d_backward_input(t.dconv2, t.params.conv2_weight, t.dpool1, n, kConv1Channels,
                                 kPool1Size, kConv2Channels, s);
  }));
  plan.push_back(pool1_backward_launch(t, n));
  plan.push_back(relu1_backward_launch(t, n));
  plan.push_back(conv1_backward_weight_launch(n, [=](cudaStream_t s) {
    naive::conv2d_backward_weight(t.images, t.dconv1, t.grads.conv1_weight, n, 1, kImageSize,
                                  kConv1Channels, s);
  }));
  plan.push_back(conv1_backward_bias_launch(n, [=](cudaStream_t s) {
    naive::conv2d_backward_bias(t.dconv1, t.grads.conv1_bias, n, kConv1Channels,
                                kConv1Size * kConv1Size, s);
  }));
  return plan;
}

}  // namespace stage05

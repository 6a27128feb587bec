#include "05_cuda/plans_layer_by_layer.h"

#include "05_cuda/cuda_check.h"
#include "05_cuda/naive_kernels.h"
#include "05_cuda/sizes.h"

namespace stage05::layer_by_layer {

namespace {
using namespace sizes;
constexpr double kFloat = sizeof(float);

// The element-wise kernels behind the shared launches, with the work each does.

// x = max(x, 0) on `count` values in place.
Launch relu(const char* name, float* x, int count) {
  return {name, double(count), 2 * kFloat * count,
          [=](cudaStream_t s) { naive::relu_forward(x, count, s); }};
}

// The gradient through a ReLU: grad = 0 where activation <= 0.
Launch relu_backward(const char* name, const float* activation, float* grad, int count) {
  return {name, double(count), 3 * kFloat * count,
          [=](cudaStream_t s) { naive::relu_backward(activation, grad, count, s); }};
}

// 2x2 max pooling of `planes` planes of size x size (an odd last row and column are dropped).
double pooled_count(int planes, int size) {
  return double(planes) * (size / 2) * (size / 2);
}
Launch maxpool(const char* name, const float* in, float* out, int planes, int size) {
  const double in_count = double(planes) * size * size, out_count = pooled_count(planes, size);
  return {name, 3.0 * out_count, kFloat * (in_count + out_count),
          [=](cudaStream_t s) { naive::maxpool_forward(in, out, planes, size, s); }};
}

// Each window's gradient to the position of its maximum, zero elsewhere.
Launch maxpool_backward(const char* name, const float* in, const float* dout, float* din,
                        int planes, int size) {
  const double in_count = double(planes) * size * size, out_count = pooled_count(planes, size);
  return {name, 3.0 * in_count, kFloat * (2 * in_count + out_count),
          [=](cudaStream_t s) { naive::maxpool_backward(in, dout, din, planes, size, s); }};
}

// out = a x b, element by element (dropout's mask, forward and backward).
Launch multiply(const char* name, const float* a, const float* b, float* out, int count) {
  return {name, double(count), 3 * kFloat * count,
          [=](cudaStream_t s) { naive::multiply(a, b, out, count, s); }};
}

}  // namespace

LayerTensors LayerTensors::of(Workspace& ws, const float* images, const float* mask) {
  LayerTensors t{};
  t.params = ParamPointers<const float>::at(ws.params.data());
  t.grads = ParamPointers<float>::at(ws.grads.data());
  t.images = images;
  t.labels = ws.labels.data();
  t.mask = mask;
  t.conv1 = ws.conv1_out.data();
  t.pool1 = ws.pool1_out.data();
  t.conv2 = ws.conv2_out.data();
  t.pool2 = ws.pool2_out.data();
  t.features = mask ? ws.features.data() : ws.pool2_out.data();
  t.logits = ws.logits.data();
  t.loss = ws.loss.data();
  t.dlogits = ws.dlogits.data();
  t.dfeatures = mask ? ws.dfeatures.data() : ws.dpool2.data();
  t.dpool2 = ws.dpool2.data();
  t.dconv2 = ws.dconv2.data();
  t.dpool1 = ws.dpool1.data();
  t.dconv1 = ws.dconv1.data();
  return t;
}

void append(Plan& plan, Plan more) {
  for (Launch& launch : more) plan.push_back(std::move(launch));
}

Launch zero_loss_launch(const LayerTensors& t) {
  float* loss = t.loss;
  return {"zero loss", 0, kFloat,
          [=](cudaStream_t s) { CUDA_CHECK(cudaMemsetAsync(loss, 0, sizeof(float), s)); }};
}

Launch relu1_launch(const LayerTensors& t, int n) {
  return relu("relu1", t.conv1, n * kConv1Out);
}

Launch pool1_launch(const LayerTensors& t, int n) {
  return maxpool("pool1", t.conv1, t.pool1, n * kConv1Channels, kConv1Size);
}

Launch relu2_launch(const LayerTensors& t, int n) {
  return relu("relu2", t.conv2, n * kConv2Out);
}

Launch pool2_launch(const LayerTensors& t, int n) {
  return maxpool("pool2", t.conv2, t.pool2, n * kConv2Channels, kConv2Size);
}

Launch dropout_launch(const LayerTensors& t, int n) {
  return multiply("dropout", t.pool2, t.mask, t.features, n * kFlat);
}

Launch softmax_cross_entropy_launch(const LayerTensors& t, int n) {
  return {"softmax cross-entropy", 30.0 * n, kFloat * n * 2 * kClasses, [=](cudaStream_t s) {
            naive::softmax_cross_entropy(t.logits, t.labels, t.dlogits, t.loss, n, s);
          }};
}

Launch dropout_backward_launch(const LayerTensors& t, int n) {
  return multiply("dropout backward", t.dfeatures, t.mask, t.dpool2, n * kFlat);
}

Launch pool2_backward_launch(const LayerTensors& t, int n) {
  return maxpool_backward("pool2 backward", t.conv2, t.dpool2, t.dconv2, n * kConv2Channels,
                          kConv2Size);
}

Launch relu2_backward_launch(const LayerTensors& t, int n) {
  return relu_backward("relu2 backward", t.conv2, t.dconv2, n * kConv2Out);
}

Launch pool1_backward_launch(const LayerTensors& t, int n) {
  return maxpool_backward("pool1 backward", t.conv1, t.dpool1, t.dconv1, n * kConv1Channels,
                          kConv1Size);
}

Launch relu1_backward_launch(const LayerTensors& t, int n) {
  return relu_backward("relu1 backward", t.conv1, t.dconv1, n * kConv1Out);
}

Launch conv1_forward_launch(int n, Kernel kernel) {
  return {"conv1 forward", 2.0 * kConv1Macs * n, kFloat * n * (kImage + kConv1Out),
          std::move(kernel)};
}

Launch conv2_forward_launch(int n, Kernel kernel) {
  return {"conv2 forward", 2.0 * kConv2Macs * n, kFloat * n * (kPool1Out + kConv2Out),
          std::move(kernel)};
}

Launch dense_forward_launch(int n, Kernel kernel) {
  return {"dense forward", 2.0 * kDenseMacs * n, kFloat * n * (kFlat + kClasses),
          std::move(kernel)};
}

Launch dense_backward_weight_launch(int n, Kernel kernel) {
  return {"dense backward weight", 2.0 * kDenseMacs * n,
          kFloat * (n * (kFlat + kClasses) + kDenseMacs), std::move(kernel)};
}

Launch dense_backward_bias_launch(int n, Kernel kernel) {
  return {"dense backward bias", 1.0 * n * kClasses, kFloat * n * kClasses, std::move(kernel)};
}

Launch dense_backward_input_launch(int n, Kernel kernel) {
  return {"dense backward input", 2.0 * kDenseMacs * n,
          kFloat * (n * (kFlat + kClasses) + kDenseMacs), std::move(kernel)};
}

Launch conv2_backward_weight_launch(int n, Kernel kernel) {
  return {"conv2 backward weight", 2.0 * kConv2Macs * n, kFloat * n * (kPool1Out + kConv2Out),
          std::move(kernel)};
}

Launch conv2_backward_bias_launch(int n, Kernel kernel) {
  return {"conv2 backward bias", double(n) * kConv2Out, kFloat * n * kConv2Out, std::move(kernel)};
}

Launch conv2_backward_input_launch(int n, Kernel kernel) {
  return {"conv2 backward input", 2.0 * kConv2Macs * n, kFloat * n * (kPool1Out + kConv2Out),
          std::move(kernel)};
}

Launch conv1_backward_weight_launch(int n, Kernel kernel) {
  return {"conv1 backward weight", 2.0 * kConv1Macs * n, kFloat * n * (kImage + kConv1Out),
          std::move(kernel)};
}

Launch conv1_backward_bias_launch(int n, Kernel kernel) {
  return {"conv1 backward bias", double(n) * kConv1Out, kFloat * n * kConv1Out, std::move(kernel)};
}

}  // namespace stage05::layer_by_layer

// Rungs 3 and 4, launch by launch: the fused kernels (fused_kernels.h) and, on rung 4, the
// tensor-core kernels (tensor_core_kernels.h), one function per launch, then each rung's step
// as a list of them.
#include "05_cuda/plans_fused.h"

#include <string>

#include "05_cuda/fused_kernels.h"
#include "05_cuda/param_layout.h"
#include "05_cuda/sizes.h"
#include "05_cuda/tensor_core_kernels.h"

namespace stage05 {

namespace {

using namespace sizes;
constexpr double kFloat = sizeof(float);

Launch conv1_relu_pool_launch(Workspace& ws, const float* images, int n) {
  const float* w = ws.params.data() + layout::kConv1Weight;
  const float* b = ws.params.data() + layout::kConv1Bias;
  float* pool1 = ws.pool1_out.data();
  uint8_t* arg1 = ws.pool1_arg.data();
  return {"conv1+relu+pool1", 2.0 * kConv1Macs * n,
          double(n) * (kFloat * (kImage + kPool1Out) + kPool1Out),
          [=](cudaStream_t s) { fused::conv1_relu_pool(images, w, b, pool1, arg1, n, s); }};
}

// conv1_relu_pool_launch for a batch its kernel draws itself from the set (with dropout).
Launch gather_conv1_relu_pool_launch(Workspace& ws, const fused::BatchSource& source, int n) {
  const float* w = ws.params.data() + layout::kConv1Weight;
  const float* b = ws.params.data() + layout::kConv1Bias;
  const StepClock* clock = ws.clock.data();
  float* images = ws.images.data();
  int* labels = ws.labels.data();
  float* mask = ws.mask.data();
  float* pool1 = ws.pool1_out.data();
  uint8_t* arg1 = ws.pool1_arg.data();
  // The image is read from the set and written to the batch, the label copied, the mask drawn.
  const double bytes =
      double(n) * (kFloat * (2 * kImage + kPool1Out + kFlat) + kPool1Out + 2 * sizeof(int));
  return {"batch gather+conv1+relu+pool1", 2.0 * kConv1Macs * n, bytes, [=](cudaStream_t s) {
            fused::gather_conv1_relu_pool(source, n, clock, images, labels, mask, w, b, pool1, arg1,
                                          s);
          }};
}

// Pooling drops conv2's row and column 10, so only 10x10 of its 11x11 outputs are computed.
constexpr double kConv2PooledMacs = double(4 * kFlat) * kConv1Channels * kTaps;
constexpr double kConv2Bytes = kFloat * (kPool1Out + kPool2Out) + kPool2Out;

// `labels` null: logits only (inference); `mask` null: no dropout.
double dense_flops(int n, const int* labels) {
  return (labels ? 4.0 : 2.0) * kDenseMacs * n;
}
// The dense layer's part of a launch's name.
const char* dense_name(const int* labels) {
  return labels ? "+dense+softmax+cross-entropy+dense backward" : "+dense forward";
}
double dense_bytes(int n, const int* labels) {
  return kFloat * n * ((labels ? 3 : 1) * kFlat + 2 * kClasses);
}
fused::DenseHead dense_head(Workspace& ws, int n, const float* mask, const int* labels) {
  return {mask,
          ws.params.data() + layout::kFcWeight,
          ws.params.data() + layout::kFcBias,
          labels,
          ws.logits.data(),
          ws.dlogits.data(),
          ws.dpool2.data(),
          ws.row_loss.data(),
          n};
}

// conv2's weights where training keeps them.
const float* conv2_weight(Workspace& ws) {
  return ws.params.data() + layout::kConv2Weight;
}

// Rung 3's conv2, ReLU and pooling with the dense layer in the same kernel, pool2 kept in
// shared memory for it.
Launch conv2_dense_launch(Workspace& ws, int n, const float* mask, const int* labels) {
  const float* pool1 = ws.pool1_out.data();
  const float* w = conv2_weight(ws);
  const float* b = ws.params.data() + layout::kConv2Bias;
  float* pool2 = ws.pool2_out.data();
  uint8_t* arg2 = ws.pool2_arg.data();
  const fused::DenseHead head = dense_head(ws, n, mask, labels);
  // The dense layer's work counts too, minus pool2's round trip through memory.
  return {std::string("conv2+relu+pool2") + dense_name(labels),
          2.0 * kConv2PooledMacs * n + dense_flops(n, labels),
          n * kConv2Bytes + dense_bytes(n, labels) - kFloat * n * kFlat,
          [=](cudaStream_t s) { fused::conv2_relu_pool_dense(pool1, w, b, pool2, arg2, head, s); }};
}

// What both conv backward kernels read and write.
struct ConvBackwardArgs {
  const float* images;
  const float* pool1;
  const uint8_t* arg1;
  const uint8_t* arg2;
  const float* dpool2;
  const float* w2;  // conv2's weights as the kernel takes them
  float* partials;
  static ConvBackwardArgs of(Workspace& ws, const float* w2) {
    return {ws.images.data(), ws.pool1_out.data(), ws.pool1_arg.data(), ws.pool2_arg.data(),
            ws.dpool2.data(), w2,                  ws.partials.data()};
  }
};
double conv_backward_bytes(int n) {
  return double(n) *
         (kFloat * (kImage + kPool1Out + kFlat + layout::kConvTotal) + kPool1Out + kFlat);
}

Launch conv_backward_launch(Workspace& ws, int n) {
  const ConvBackwardArgs a = ConvBackwardArgs::of(ws, conv2_weight(ws));
  // Every window passes its gradient to one position: 25 of conv2's 121 outputs per channel
  // (and 169 of conv1's 676); dropout and ReLU zero about 3/4 of those, which are skipped.
  const double macs = 2.0 * kFlat * kConv1Channels * kTaps + double(kPool1Out) * kTaps;
  return {"conv backward (conv2 dW, dX, pool1, conv1 dW)", 2.0 * macs * n, conv_backward_bytes(n),
          [=](cudaStream_t s) {
            fused::conv_backward(a.images, a.pool1, a.arg1, a.arg2, a.dpool2, a.w2, a.partials, n,
                                 s);
          }};
}

Launch conv_backward_tensor_launch(Workspace& ws, int n) {
  const ConvBackwardArgs a = ConvBackwardArgs::of(ws, ws.tensor_weights.data());
  // The tensor cores run both conv2 products dense, zeros included: dW2 over the 100
  // positions pooling reads, dX over all 169 pool1 positions x 576 (tap, filter) pairs.
  const double macs =
      kConv2PooledMacs + double(kPool1Out) * kConv2Channels * kTaps + double(kPool1Out) * kTaps;
  return {"conv backward (tensor cores: conv2 dW, dX; pool1, conv1 dW)", 2.0 * macs * n,
          conv_backward_bytes(n), [=](cudaStream_t s) {
            tc::conv_backward(a.images, a.pool1, a.arg1, a.arg2, a.dpool2, a.w2, a.partials, n, s);
          }};
}

fused::GradientSources gradient_sources(Workspace& ws, int n, bool dropout) {
  return {ws.partials.data(), ws.pool2_out.data(), dropout ? ws.mask.data() : nullptr,
          ws.dlogits.data(),  ws.row_loss.data(),  n};
}
double finish_flops(int n) {
  return double(n) * (layout::kConvTotal + 2.0 * kDenseMacs + kClasses);
}
double finish_bytes(int n) {
  return kFloat * (double(n) * (layout::kConvTotal + 2 * kFlat + kClasses) + layout::kTotal);
}

}  // namespace

Launch finish_gradients_launch(Workspace& ws, int n, bool dropout) {
  const auto sources = gradient_sources(ws, n, dropout);
  float* grads = ws.grads.data();
  float* loss = ws.loss.data();
  return {"finish gradients", finish_flops(n), finish_bytes(n),
          [=](cudaStream_t s) { fused::finish_gradients(sources, grads, loss, s); }};
}

// The sums of the parameters in `range` only: the share of the whole pass's work.
Launch finish_gradients_launch(Workspace& ws, int n, bool dropout, fused::ParamRange range,
                               bool with_loss, const char* name) {
  const auto sources = gradient_sources(ws, n, dropout);
  float* grads = ws.grads.data();
  float* loss = ws.loss.data();
  const double share = double(range.end - range.begin) / layout::kTotal;
  return {name, share * finish_flops(n), share * finish_bytes(n), [=](cudaStream_t s) {
            fused::finish_gradients(sources, range, with_loss, grads, loss, s);
          }};
}

// The gradient sums and Adam in one pass: each parameter's gradient goes straight from a
// register into its update instead of through memory and a second launch.
Launch finish_gradients_and_adam_launch(Workspace& ws, int n, bool dropout,
                                        const stage04::AdamConfig& config, int step_offset) {
  const auto sources = gradient_sources(ws, n, dropout);
  float* grads = ws.grads.data();
  float* loss = ws.loss.data();
  float* params = ws.params.data();
  float* m = ws.adam_m.data();
  float* v = ws.adam_v.data();
  StepClock* clock = ws.clock.data();
  return {"finish gradients + adam", finish_flops(n) + 12.0 * layout::kTotal,
          finish_bytes(n) + 6 * kFloat * layout::kTotal, [=](cudaStream_t s) {
            fused::finish_gradients_and_adam(sources, grads, loss, params, m, v, clock, step_offset,
                                             config, s);
          }};
}

// Rung 3: the forward pass and the step's gradients, launch by launch.
Plan fused_forward_plan(Workspace& ws, const float* images, int n) {
  return {conv1_relu_pool_launch(ws, images, n), conv2_dense_launch(ws, n, nullptr, nullptr)};
}
Plan fused_gradient_plan(Workspace& ws, int n, const float* mask) {
  return {conv1_relu_pool_launch(ws, ws.images.data(), n),
          conv2_dense_launch(ws, n, mask, ws.labels.data()), conv_backward_launch(ws, n)};
}

namespace {

// Rung 4's forward kernel: conv1, conv2 on the tensor cores and the dense layer, one launch.
tc::Conv1Layer conv1_layer(Workspace& ws) {
  return {ws.params.data() + layout::kConv1Weight, ws.params.data() + layout::kConv1Bias,
          ws.pool1_out.data(), ws.pool1_arg.data()};
}
tc::Conv2Layer conv2_layer(Workspace& ws) {
  return {conv2_weight(ws), ws.params.data() + layout::kConv2Bias, ws.pool2_out.data(),
          ws.pool2_arg.data(), ws.tensor_weights.data()};
}
double tensor_forward_flops(int n, const int* labels) {
  return 2.0 * (kConv1Macs + kConv2PooledMacs) * n + dense_flops(n, labels);
}
// The image in, pool1 and its winners out (for the backward pass), pool2 and its winners out,
// and the dense layer's traffic without pool2's round trip.
double tensor_forward_bytes(int n, const int* labels) {
  const double per_image = kFloat * (kImage + kPool1Out + kPool2Out) + kPool1Out + kPool2Out;
  return n * per_image + dense_bytes(n, labels) - kFloat * n * kFlat;
}
std::string tensor_forward_name(const std::string& first, const int* labels) {
  return first + "conv1+relu+pool1+conv2 (tensor cores)+relu+pool2" + dense_name(labels);
}

Launch tensor_forward_launch(Workspace& ws, const float* images, int n, const float* mask,
                             const int* labels) {
  const tc::Conv1Layer conv1 = conv1_layer(ws);
  const tc::Conv2Layer conv2 = conv2_layer(ws);
  const fused::DenseHead head = dense_head(ws, n, mask, labels);
  return {tensor_forward_name("", labels), tensor_forward_flops(n, labels),
          tensor_forward_bytes(n, labels),
          [=](cudaStream_t s) { tc::forward(images, conv1, conv2, head, s); }};
}

// tensor_forward_launch for a batch its kernel draws itself from the set (with dropout).
Launch tensor_draw_forward_launch(Workspace& ws, const fused::BatchSource& source, int n) {
  const tc::Conv1Layer conv1 = conv1_layer(ws);
  const tc::Conv2Layer conv2 = conv2_layer(ws);
  const StepClock* clock = ws.clock.data();
  float* images = ws.images.data();
  int* labels = ws.labels.data();
  float* mask = ws.mask.data();
  const fused::DenseHead head = dense_head(ws, n, mask, labels);
  // The batch's row of the image is written too, and its label and row of the mask.
  const double drawn = double(n) * (kFloat * (kImage + kFlat) + 2 * sizeof(int));
  return {tensor_forward_name("batch gather+", labels), tensor_forward_flops(n, labels),
          tensor_forward_bytes(n, labels) + drawn, [=](cudaStream_t s) {
            tc::draw_and_forward(source, clock, images, labels, mask, conv1, conv2, head, s);
          }};
}

}  // namespace

// Rung 4: one kernel for the forward pass (conv1, conv2 on the tensor cores, the dense
// layer) and the conv backward on the tensor cores.
Plan tensor_forward_plan(Workspace& ws, const float* images, int n) {
  return {tensor_forward_launch(ws, images, n, nullptr, nullptr)};
}
Plan tensor_gradient_plan(Workspace& ws, int n, const float* mask) {
  return {tensor_forward_launch(ws, ws.images.data(), n, mask, ws.labels.data()),
          conv_backward_tensor_launch(ws, n)};
}

// A training step of rung 3 or 4 on a batch that its first kernel draws from the set.
Plan device_training_plan(Rung rung, Workspace& ws, const fused::BatchSource& source, int n,
                          const stage04::AdamConfig& config) {
  Plan plan = device_gradient_plan(rung, ws, n, true);
  // The first kernel draws the batch itself.
  plan.front() = rung == Rung::tensor ? tensor_draw_forward_launch(ws, source, n)
                                      : gather_conv1_relu_pool_launch(ws, source, n);
  plan.push_back(finish_gradients_and_adam_launch(ws, n, true, config, source.step_offset));
  return plan;
}

// Rungs 3 and 4 up to (not including) the gradient sums.
Plan device_gradient_plan(Rung rung, Workspace& ws, int n, bool dropout) {
  const float* mask = dropout ? ws.mask.data() : nullptr;
  return rung == Rung::tensor ? tensor_gradient_plan(ws, n, mask)
                              : fused_gradient_plan(ws, n, mask);
}

}  // namespace stage05

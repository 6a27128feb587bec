// Rungs 3 and 4, launch by launch: the fused kernels (fused_kernels.h) and, on rung 4, conv2's
// tensor-core kernels (tensor_core_kernels.h), one function per launch, then each rung's step
// as a list of them.
#include "05_cuda/plans_fused.h"

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

// Pooling drops conv2's row and column 10, so only 10x10 of its 11x11 outputs are computed.
constexpr double kConv2PooledMacs = double(4 * kFlat) * kConv1Channels * kTaps;
constexpr double kConv2Bytes = kFloat * (kPool1Out + kPool2Out) + kPool2Out;

// Rungs 3 and 4 differ only in the kernel behind this launch (same arguments, same work).
using Conv2ReluPool = void (*)(const float* pool1, const float* w, const float* b, float* pooled,
                               uint8_t* argmax, int n, cudaStream_t stream);

Launch conv2_relu_pool_launch(Workspace& ws, int n, const char* name, Conv2ReluPool conv2) {
  const float* pool1 = ws.pool1_out.data();
  const float* w = ws.params.data() + layout::kConv2Weight;
  const float* b = ws.params.data() + layout::kConv2Bias;
  float* pool2 = ws.pool2_out.data();
  uint8_t* arg2 = ws.pool2_arg.data();
  return {name, 2.0 * kConv2PooledMacs * n, n * kConv2Bytes,
          [=](cudaStream_t s) { conv2(pool1, w, b, pool2, arg2, n, s); }};
}

// `labels` null: logits only (inference); `mask` null: no dropout.
Launch dense_launch(Workspace& ws, int n, const float* mask, const int* labels) {
  const float* pool2 = ws.pool2_out.data();
  const float* w = ws.params.data() + layout::kFcWeight;
  const float* b = ws.params.data() + layout::kFcBias;
  float* logits = ws.logits.data();
  float* dlogits = ws.dlogits.data();
  float* dpool2 = ws.dpool2.data();
  float* row_loss = ws.row_loss.data();
  return {labels ? "dense+softmax+cross-entropy+dense backward" : "dense forward",
          (labels ? 4.0 : 2.0) * kDenseMacs * n,
          kFloat * n * ((labels ? 3 : 1) * kFlat + 2 * kClasses), [=](cudaStream_t s) {
            fused::dense_softmax_cross_entropy(pool2, mask, w, b, labels, logits, dlogits, dpool2,
                                               row_loss, n, s);
          }};
}

// What both conv backward kernels read and write.
struct ConvBackwardArgs {
  const float* images;
  const float* pool1;
  const uint8_t* arg1;
  const uint8_t* arg2;
  const float* dpool2;
  const float* w2;
  float* partials;
  static ConvBackwardArgs of(Workspace& ws) {
    return {ws.images.data(),    ws.pool1_out.data(), ws.pool1_arg.data(),
            ws.pool2_arg.data(), ws.dpool2.data(),    ws.params.data() + layout::kConv2Weight,
            ws.partials.data()};
  }
};
double conv_backward_bytes(int n) {
  return double(n) *
         (kFloat * (kImage + kPool1Out + kFlat + layout::kConvTotal) + kPool1Out + kFlat);
}

Launch conv_backward_launch(Workspace& ws, int n) {
  const ConvBackwardArgs a = ConvBackwardArgs::of(ws);
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
  const ConvBackwardArgs a = ConvBackwardArgs::of(ws);
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
  return {conv1_relu_pool_launch(ws, images, n),
          conv2_relu_pool_launch(ws, n, "conv2+relu+pool2", fused::conv2_relu_pool),
          dense_launch(ws, n, nullptr, nullptr)};
}
Plan fused_gradient_plan(Workspace& ws, int n, const float* mask) {
  return {conv1_relu_pool_launch(ws, ws.images.data(), n),
          conv2_relu_pool_launch(ws, n, "conv2+relu+pool2", fused::conv2_relu_pool),
          dense_launch(ws, n, mask, ws.labels.data()), conv_backward_launch(ws, n)};
}

// Rung 4: rung 3 with conv2's forward and backward kernels on the tensor cores.
Plan tensor_forward_plan(Workspace& ws, const float* images, int n) {
  return {conv1_relu_pool_launch(ws, images, n),
          conv2_relu_pool_launch(ws, n, "conv2+relu+pool2 (tensor cores)", tc::conv2_relu_pool),
          dense_launch(ws, n, nullptr, nullptr)};
}
Plan tensor_gradient_plan(Workspace& ws, int n, const float* mask) {
  return {conv1_relu_pool_launch(ws, ws.images.data(), n),
          conv2_relu_pool_launch(ws, n, "conv2+relu+pool2 (tensor cores)", tc::conv2_relu_pool),
          dense_launch(ws, n, mask, ws.labels.data()), conv_backward_tensor_launch(ws, n)};
}

// Rungs 3 and 4 up to (not including) the gradient sums.
Plan device_gradient_plan(Rung rung, Workspace& ws, int n, bool dropout) {
  const float* mask = dropout ? ws.mask.data() : nullptr;
  return rung == Rung::tensor ? tensor_gradient_plan(ws, n, mask)
                              : fused_gradient_plan(ws, n, mask);
}

}  // namespace stage05

#include "05_cuda/plans.h"

#include <stdexcept>

#include "05_cuda/cuda_check.h"
#include "05_cuda/fused_kernels.h"
#include "05_cuda/naive_kernels.h"
#include "05_cuda/param_layout.h"
#include "05_cuda/sizes.h"
#include "05_cuda/tensor_core_kernels.h"
#include "05_cuda/tiled_kernels.h"

namespace stage05 {

namespace {

using namespace sizes;
constexpr double kFloat = sizeof(float);

// Rungs 1 and 2 share everything but the convolution and dense products.
struct LayerPlanner {
  Rung rung;
  Workspace& ws;
  int n;
  ParamPointers<float> p = ParamPointers<float>::at(ws.params.data());
  ParamPointers<float> g = ParamPointers<float>::at(ws.grads.data());
  bool tiled() const { return rung == Rung::tiled; }

  void forward(Plan& plan, const float* images, const float* mask) const {
    const int n_ = n;
    const auto P = p;
    float* conv1 = ws.conv1_out.data();
    float* pool1 = ws.pool1_out.data();
    float* conv2 = ws.conv2_out.data();
    float* pool2 = ws.pool2_out.data();
    float* features = ws.features.data();
    float* logits = ws.logits.data();
    const bool tile = tiled();
    plan.push_back({"conv1 forward", 2.0 * kConv1Macs * n, kFloat * n * (kImage + kConv1Out),
                    [=](cudaStream_t s) {
                      if (tile)
                        tiled::conv1_forward(images, P.conv1_weight, P.conv1_bias, conv1, n_, s);
                      else
                        naive::conv2d_forward(images, P.conv1_weight, P.conv1_bias, conv1, n_, 1,
                                              kImageSize, kConv1Channels, s);
                    }});
    plan.push_back({"relu1", double(n) * kConv1Out, 2 * kFloat * n * kConv1Out,
                    [=](cudaStream_t s) { naive::relu_forward(conv1, n_ * kConv1Out, s); }});
    plan.push_back(
        {"pool1", 3.0 * n * kPool1Out, kFloat * n * (kConv1Out + kPool1Out), [=](cudaStream_t s) {
           naive::maxpool_forward(conv1, pool1, n_ * kConv1Channels, kConv1Size, s);
         }});
    plan.push_back({"conv2 forward", 2.0 * kConv2Macs * n, kFloat * n * (kPool1Out + kConv2Out),
                    [=](cudaStream_t s) {
                      if (tile)
                        tiled::conv2_forward(pool1, P.conv2_weight, P.conv2_bias, conv2, n_, s);
                      else
                        naive::conv2d_forward(pool1, P.conv2_weight, P.conv2_bias, conv2, n_,
                                              kConv1Channels, kPool1Size, kConv2Channels, s);
                    }});
    plan.push_back({"relu2", double(n) * kConv2Out, 2 * kFloat * n * kConv2Out,
                    [=](cudaStream_t s) { naive::relu_forward(conv2, n_ * kConv2Out, s); }});
    plan.push_back(
        {"pool2", 3.0 * n * kPool2Out, kFloat * n * (kConv2Out + kPool2Out), [=](cudaStream_t s) {
           naive::maxpool_forward(conv2, pool2, n_ * kConv2Channels, kConv2Size, s);
         }});
    const float* dense_in = pool2;
    if (mask) {
      plan.push_back({"dropout", double(n) * kFlat, 3 * kFloat * n * kFlat, [=](cudaStream_t s) {
                        naive::multiply(pool2, mask, features, n_ * kFlat, s);
                      }});
      dense_in = features;
    }
    plan.push_back({"dense forward", 2.0 * kDenseMacs * n, kFloat * n * (kFlat + kClasses),
                    [=](cudaStream_t s) {
                      if (tile)
                        tiled::dense_forward(dense_in, P.fc_weight, P.fc_bias, logits, n_, s);
                      else
                        naive::dense_forward(dense_in, P.fc_weight, P.fc_bias, logits, n_, kFlat,
                                             kClasses, s);
                    }});
  }

  void backward(Plan& plan, const float* mask) const {
    const int n_ = n;
    const auto P = p;
    const auto G = g;
    const float* images = ws.images.data();
    const int* labels = ws.labels.data();
    const float* conv1 = ws.conv1_out.data();
    const float* pool1 = ws.pool1_out.data();
    const float* conv2 = ws.conv2_out.data();
    const float* features = mask ? ws.features.data() : ws.pool2_out.data();
    const float* logits = ws.logits.data();
    float* loss = ws.loss.data();
    float* dlogits = ws.dlogits.data();
    float* dfeatures = mask ? ws.dfeatures.data() : ws.dpool2.data();
    float* dpool2 = ws.dpool2.data();
    float* dconv2 = ws.dconv2.data();
    float* dpool1 = ws.dpool1.data();
    float* dconv1 = ws.dconv1.data();
    const bool tile = tiled();
    plan.push_back(
        {"softmax cross-entropy", 30.0 * n, kFloat * n * 2 * kClasses, [=](cudaStream_t s) {
           naive::softmax_cross_entropy(logits, labels, dlogits, loss, n_, s);
         }});
    plan.push_back({"dense backward weight", 2.0 * kDenseMacs * n,
                    kFloat * (n * (kFlat + kClasses) + kDenseMacs), [=](cudaStream_t s) {
                      if (tile)
                        tiled::dense_backward_weight(dlogits, features, G.fc_weight, n_, s);
                      else
                        naive::dense_backward_weight(dlogits, features, G.fc_weight, n_, kFlat,
                                                     kClasses, s);
                    }});
    plan.push_back(
        {"dense backward bias", 1.0 * n * kClasses, kFloat * n * kClasses, [=](cudaStream_t s) {
           if (tile)
             tiled::channel_sum(dlogits, G.fc_bias, n_, kClasses, 1, s);
           else
             naive::dense_backward_bias(dlogits, G.fc_bias, n_, kClasses, s);
         }});
    plan.push_back({"dense backward input", 2.0 * kDenseMacs * n,
                    kFloat * (n * (kFlat + kClasses) + kDenseMacs), [=](cudaStream_t s) {
                      if (tile)
                        tiled::dense_backward_input(dlogits, P.fc_weight, dfeatures, n_, s);
                      else
                        naive::dense_backward_input(dlogits, P.fc_weight, dfeatures, n_, kFlat,
                                                    kClasses, s);
                    }});
    if (mask) {
      plan.push_back(
          {"dropout backward", double(n) * kFlat, 3 * kFloat * n * kFlat,
           [=](cudaStream_t s) { naive::multiply(dfeatures, mask, dpool2, n_ * kFlat, s); }});
    }
    plan.push_back({"pool2 backward", 3.0 * n * kConv2Out, kFloat * n * (2 * kConv2Out + kPool2Out),
                    [=](cudaStream_t s) {
                      naive::maxpool_backward(conv2, dpool2, dconv2, n_ * kConv2Channels,
                                              kConv2Size, s);
                    }});
    plan.push_back(
        {"relu2 backward", double(n) * kConv2Out, 3 * kFloat * n * kConv2Out,
         [=](cudaStream_t s) { naive::relu_backward(conv2, dconv2, n_ * kConv2Out, s); }});
    plan.push_back({"conv2 backward weight", 2.0 * kConv2Macs * n,
                    kFloat * n * (kPool1Out + kConv2Out), [=](cudaStream_t s) {
                      if (tile)
                        tiled::conv2_backward_weight(pool1, dconv2, G.conv2_weight, n_, s);
                      else
                        naive::conv2d_backward_weight(pool1, dconv2, G.conv2_weight, n_,
                                                      kConv1Channels, kPool1Size, kConv2Channels,
                                                      s);
                    }});
    plan.push_back(
        {"conv2 backward bias", double(n) * kConv2Out, kFloat * n * kConv2Out, [=](cudaStream_t s) {
           if (tile)
             tiled::channel_sum(dconv2, G.conv2_bias, n_, kConv2Channels, kConv2Size * kConv2Size,
                                s);
           else
             naive::conv2d_backward_bias(dconv2, G.conv2_bias, n_, kConv2Channels,
                                         kConv2Size * kConv2Size, s);
         }});
    plan.push_back({"conv2 backward input", 2.0 * kConv2Macs * n,
                    kFloat * n * (kPool1Out + kConv2Out), [=](cudaStream_t s) {
                      if (tile)
                        tiled::conv2_backward_input(dconv2, P.conv2_weight, dpool1, n_, s);
                      else
                        naive::conv2d_backward_input(dconv2, P.conv2_weight, dpool1, n_,
                                                     kConv1Channels, kPool1Size, kConv2Channels, s);
                    }});
    plan.push_back({"pool1 backward", 3.0 * n * kConv1Out, kFloat * n * (2 * kConv1Out + kPool1Out),
                    [=](cudaStream_t s) {
                      naive::maxpool_backward(conv1, dpool1, dconv1, n_ * kConv1Channels,
                                              kConv1Size, s);
                    }});
    plan.push_back(
        {"relu1 backward", double(n) * kConv1Out, 3 * kFloat * n * kConv1Out,
         [=](cudaStream_t s) { naive::relu_backward(conv1, dconv1, n_ * kConv1Out, s); }});
    plan.push_back({"conv1 backward weight", 2.0 * kConv1Macs * n,
                    kFloat * n * (kImage + kConv1Out), [=](cudaStream_t s) {
                      if (tile)
                        tiled::conv1_backward_weight(images, dconv1, G.conv1_weight, n_, s);
                      else
                        naive::conv2d_backward_weight(images, dconv1, G.conv1_weight, n_, 1,
                                                      kImageSize, kConv1Channels, s);
                    }});
    plan.push_back(
        {"conv1 backward bias", double(n) * kConv1Out, kFloat * n * kConv1Out, [=](cudaStream_t s) {
           if (tile)
             tiled::channel_sum(dconv1, G.conv1_bias, n_, kConv1Channels, kConv1Size * kConv1Size,
                                s);
           else
             naive::conv2d_backward_bias(dconv1, G.conv1_bias, n_, kConv1Channels,
                                         kConv1Size * kConv1Size, s);
         }});
  }
};

Launch zero_loss(Workspace& ws) {
  float* loss = ws.loss.data();
  return {"zero loss", 0, kFloat,
          [=](cudaStream_t s) { CUDA_CHECK(cudaMemsetAsync(loss, 0, sizeof(float), s)); }};
}

// ---- Rungs 3 and 4: one function per launch, then each rung's step as a list of them ----

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

Launch conv2_relu_pool_launch(Workspace& ws, int n) {
  const float* pool1 = ws.pool1_out.data();
  const float* w = ws.params.data() + layout::kConv2Weight;
  const float* b = ws.params.data() + layout::kConv2Bias;
  float* pool2 = ws.pool2_out.data();
  uint8_t* arg2 = ws.pool2_arg.data();
  return {"conv2+relu+pool2", 2.0 * kConv2PooledMacs * n, n * kConv2Bytes,
          [=](cudaStream_t s) { fused::conv2_relu_pool(pool1, w, b, pool2, arg2, n, s); }};
}

Launch conv2_relu_pool_tensor_launch(Workspace& ws, int n) {
  const float* pool1 = ws.pool1_out.data();
  const float* w = ws.params.data() + layout::kConv2Weight;
  const float* b = ws.params.data() + layout::kConv2Bias;
  float* pool2 = ws.pool2_out.data();
  uint8_t* arg2 = ws.pool2_arg.data();
  return {"conv2+relu+pool2 (tensor cores)", 2.0 * kConv2PooledMacs * n, n * kConv2Bytes,
          [=](cudaStream_t s) { tc::conv2_relu_pool(pool1, w, b, pool2, arg2, n, s); }};
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
  return {conv1_relu_pool_launch(ws, images, n), conv2_relu_pool_launch(ws, n),
          dense_launch(ws, n, nullptr, nullptr)};
}
Plan fused_gradient_plan(Workspace& ws, int n, const float* mask) {
  return {conv1_relu_pool_launch(ws, ws.images.data(), n), conv2_relu_pool_launch(ws, n),
          dense_launch(ws, n, mask, ws.labels.data()), conv_backward_launch(ws, n)};
}

// Rung 4: rung 3 with conv2's forward and backward kernels on the tensor cores.
Plan tensor_forward_plan(Workspace& ws, const float* images, int n) {
  return {conv1_relu_pool_launch(ws, images, n), conv2_relu_pool_tensor_launch(ws, n),
          dense_launch(ws, n, nullptr, nullptr)};
}
Plan tensor_gradient_plan(Workspace& ws, int n, const float* mask) {
  return {conv1_relu_pool_launch(ws, ws.images.data(), n), conv2_relu_pool_tensor_launch(ws, n),
          dense_launch(ws, n, mask, ws.labels.data()), conv_backward_tensor_launch(ws, n)};
}

// Rungs 3 and 4 up to (not including) the gradient sums.
Plan device_gradient_plan(Rung rung, Workspace& ws, int n, bool dropout) {
  const float* mask = dropout ? ws.mask.data() : nullptr;
  return rung == Rung::tensor ? tensor_gradient_plan(ws, n, mask)
                              : fused_gradient_plan(ws, n, mask);
}

}  // namespace

const char* rung_name(Rung rung) {
  switch (rung) {
    case Rung::naive:
      return "naive";
    case Rung::tiled:
      return "tiled";
    case Rung::fused:
      return "fused";
    case Rung::tensor:
      return "tensor";
  }
  return "?";
}

void set_kernel_attributes() {
  fused::set_kernel_attributes();
  tc::set_kernel_attributes();
}

void enqueue(const Plan& plan, cudaStream_t stream) {
  for (const Launch& launch : plan) launch.enqueue(stream);
}

Plan forward_plan(Rung rung, Workspace& ws, const float* images, int n) {
  if (n < 1 || n > ws.capacity) {
    throw std::invalid_argument("forward_plan: batch of " + std::to_string(n) +
                                " in a workspace for " + std::to_string(ws.capacity));
  }
  if (rung == Rung::fused) return fused_forward_plan(ws, images, n);
  if (rung == Rung::tensor) return tensor_forward_plan(ws, images, n);
  Plan plan;
  LayerPlanner{rung, ws, n}.forward(plan, images, nullptr);
  return plan;
}

Plan gradient_plan(Rung rung, Workspace& ws, int n, bool dropout) {
  if (n < 1 || n > ws.capacity) {
    throw std::invalid_argument("gradient_plan: batch of " + std::to_string(n) +
                                " in a workspace for " + std::to_string(ws.capacity));
  }
  if (runs_on_device_data(rung)) {
    Plan plan = device_gradient_plan(rung, ws, n, dropout);
    plan.push_back(finish_gradients_launch(ws, n, dropout));
    return plan;
  }
  const float* mask = dropout ? ws.mask.data() : nullptr;
  Plan plan;
  plan.push_back(zero_loss(ws));  // the loss kernel adds every image's share into it
  const LayerPlanner layers{rung, ws, n};
  layers.forward(plan, ws.images.data(), mask);
  layers.backward(plan, mask);
  return plan;
}

GradientBuckets bucketed_gradient_plan(Rung rung, Workspace& ws, int n, bool dropout) {
  if (!runs_on_device_data(rung)) {
    throw std::invalid_argument("bucketed_gradient_plan: rungs 3 and 4 only");
  }
  if (n < 1 || n > ws.capacity) {
    throw std::invalid_argument("bucketed_gradient_plan: batch of " + std::to_string(n) +
                                " in a workspace for " + std::to_string(ws.capacity));
  }
  // device_gradient_plan is conv1, conv2, dense (the last forward and the first backward
  // kernel), conv backward: the dense layer's gradients need only the first three.
  Plan launches = device_gradient_plan(rung, ws, n, dropout);
  GradientBuckets buckets;
  buckets.conv.push_back(std::move(launches.back()));
  launches.pop_back();
  buckets.dense = std::move(launches);
  buckets.dense.push_back(finish_gradients_launch(ws, n, dropout,
                                                  {layout::kFcWeight, layout::kTotal}, true,
                                                  "finish dense gradients and loss"));
  buckets.conv.push_back(finish_gradients_launch(ws, n, dropout, {0, layout::kConvTotal}, false,
                                                 "finish conv gradients"));
  return buckets;
}

Plan adam_plan(Rung rung, Workspace& ws, const stage04::AdamConfig& config) {
  float* params = ws.params.data();
  const float* grads = ws.grads.data();
  float* m = ws.adam_m.data();
  float* v = ws.adam_v.data();
  const StepClock* clock = ws.clock.data();
  const double flops = 12.0 * layout::kTotal, bytes = 7 * kFloat * layout::kTotal;
  if (runs_on_device_data(rung)) {
    return {{"adam (all parameters)", flops, bytes,
             [=](cudaStream_t s) { fused::adam(params, grads, m, v, clock, config, s); }}};
  }
  // Rungs 1 and 2: one launch per tensor, as an optimiser looping over a model's
  // parameter list does.
  Plan plan;
  const int offsets[] = {layout::kConv1Weight, layout::kConv1Bias, layout::kConv2Weight,
                         layout::kConv2Bias,   layout::kFcWeight,  layout::kFcBias,
                         layout::kTotal};
  const char* names[] = {"adam conv1.weight", "adam conv1.bias", "adam conv2.weight",
                         "adam conv2.bias",   "adam fc.weight",  "adam fc.bias"};
  for (int t = 0; t < 6; ++t) {
    const int begin = offsets[t], count = offsets[t + 1] - offsets[t];
    plan.push_back({names[t], 12.0 * count, 7 * kFloat * count, [=](cudaStream_t s) {
                      naive::adam(params + begin, grads + begin, m + begin, v + begin, count, clock,
                                  config, s);
                    }});
  }
  return plan;
}

Plan training_plan(Rung rung, Workspace& ws, int n, bool dropout, const stage04::AdamConfig& config,
                   int step_offset) {
  if (runs_on_device_data(rung)) {
    Plan plan = device_gradient_plan(rung, ws, n, dropout);
    plan.push_back(finish_gradients_and_adam_launch(ws, n, dropout, config, step_offset));
    return plan;
  }
  if (step_offset != 0) {
    throw std::invalid_argument("training_plan: rungs 1 and 2 advance the clock every step");
  }
  Plan plan = gradient_plan(rung, ws, n, dropout);
  for (Launch& launch : adam_plan(rung, ws, config)) plan.push_back(std::move(launch));
  return plan;
}

Launch advance_clock_launch(Rung rung, Workspace& ws, int steps) {
  StepClock* clock = ws.clock.data();
  const float* loss = runs_on_device_data(rung) ? nullptr : ws.loss.data();
  return {"advance clock", 1, 2 * kFloat + sizeof(StepClock),
          [=](cudaStream_t s) { naive::advance_clock(clock, loss, steps, s); }};
}

}  // namespace stage05

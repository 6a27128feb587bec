#include "05_cuda/plans.h"

#include <stdexcept>

#include "05_cuda/fused_kernels.h"
#include "05_cuda/naive_kernels.h"
#include "05_cuda/param_layout.h"
#include "05_cuda/plans_fused.h"
#include "05_cuda/plans_layer_by_layer.h"
#include "05_cuda/tensor_core_kernels.h"

namespace stage05 {

namespace {
constexpr double kFloat = sizeof(float);

// Throws unless a batch of n fits the workspace; `plan` names the caller in the message.
void check_batch(const char* plan, int n, const Workspace& ws) {
  if (n < 1 || n > ws.capacity) {
    throw std::invalid_argument(std::string(plan) + ": batch of " + std::to_string(n) +
                                " in a workspace for " + std::to_string(ws.capacity));
  }
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

void set_kernel_attributes(Rung rung) {
  if (rung == Rung::fused) fused::set_kernel_attributes();
  if (rung == Rung::tensor) tc::set_kernel_attributes();
}

void enqueue(const Plan& plan, cudaStream_t stream) {
  for (const Launch& launch : plan) launch.enqueue(stream);
}

Plan forward_plan(Rung rung, Workspace& ws, const float* images, int n) {
  check_batch("forward_plan", n, ws);
  if (rung == Rung::fused) return fused_forward_plan(ws, images, n);
  if (rung == Rung::tensor) return tensor_forward_plan(ws, images, n);
  if (rung == Rung::tiled) return tiled_forward_plan(ws, images, n);
  return naive_forward_plan(ws, images, n);
}

Plan gradient_plan(Rung rung, Workspace& ws, int n, bool dropout) {
  check_batch("gradient_plan", n, ws);
  if (runs_on_device_data(rung)) {
    Plan plan = device_gradient_plan(rung, ws, n, dropout);
    plan.push_back(finish_gradients_launch(ws, n, dropout));
    return plan;
  }
  const float* mask = dropout ? ws.mask.data() : nullptr;
  if (rung == Rung::tiled) return tiled_gradient_plan(ws, n, mask);
  return naive_gradient_plan(ws, n, mask);
}

GradientBuckets bucketed_gradient_plan(Rung rung, Workspace& ws, int n, bool dropout) {
  if (!runs_on_device_data(rung)) {
    throw std::invalid_argument("bucketed_gradient_plan: rungs 3 and 4 only");
  }
  check_batch("bucketed_gradient_plan", n, ws);
  // device_gradient_plan ends with the conv backward kernel; the dense layer's gradients
  // need only the launches before it (conv1, then conv2 with the dense layer).
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

Plan training_plan(Rung rung, Workspace& ws, const fused::BatchSource& source, int n,
                   const stage04::AdamConfig& config) {
  if (!runs_on_device_data(rung)) {
    throw std::invalid_argument("training_plan from a device data set: rungs 3 and 4 only");
  }
  check_batch("training_plan", n, ws);
  return device_training_plan(rung, ws, source, n, config);
}

Launch advance_clock_launch(Rung rung, Workspace& ws, int steps) {
  StepClock* clock = ws.clock.data();
  const float* loss = runs_on_device_data(rung) ? nullptr : ws.loss.data();
  return {"advance clock", 1, 2 * kFloat + sizeof(StepClock),
          [=](cudaStream_t s) { naive::advance_clock(clock, loss, steps, s); }};
}

}  // namespace stage05

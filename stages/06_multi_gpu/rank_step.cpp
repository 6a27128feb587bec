#include "06_multi_gpu/rank_step.h"

#include <stdexcept>

#include "05_cuda/cuda_check.h"
#include "05_cuda/naive_kernels.h"
#include "05_cuda/sizes.h"

namespace stage06 {

using stage05::Launch;
using stage05::Plan;

stage05::fused::BatchSource shard_source(const stage05::DeviceDataset& train, const EpochPlan& plan,
                                         int step, const Shard& shard, uint64_t seed) {
  return {train.images.data(),
          train.labels.data(),
          train.size,
          plan.steps,
          plan.begin(step) + shard.begin,
          seed,
          0,
          shard.begin};
}

RankStep rank_step(stage05::Rung rung, stage05::Workspace& ws, const stage05::DeviceDataset& train,
                   const EpochPlan& plan, int step, int rank, int ranks, uint64_t seed,
                   const stage04::AdamConfig& adam) {
  if (!stage05::runs_on_device_data(rung)) {
    throw std::invalid_argument("rank_step: rungs 3 and 4 only (the data must be on the GPU)");
  }
  RankStep out;
  out.rows = plan.rows(step);
  out.shard = shard_of(out.rows, ranks, rank);
  out.scale = gradient_scale(out.shard, out.rows);
  const int n = out.shard.count;
  if (n > 0) {
    const auto source = shard_source(train, plan, step, out.shard, seed);
    float* images = ws.images.data();
    int* labels = ws.labels.data();
    float* mask = ws.mask.data();
    const stage05::StepClock* clock = ws.clock.data();
    out.dense.push_back(
        {"gather the shard and its dropout mask", 0,
         4.0 * n * (2 * stage05::sizes::kImage + stage05::sizes::kFlat), [=](cudaStream_t s) {
           stage05::fused::prepare_batch(source, n, clock, true, images, labels, mask, s);
         }});
    stage05::GradientBuckets buckets = stage05::bucketed_gradient_plan(rung, ws, n, true);
    for (Launch& l : buckets.dense) out.dense.push_back(std::move(l));
    out.conv = std::move(buckets.conv);
  } else {
    // No rows: its share of the sum is zero (the buffers hold NaN until written, and
    // 0 x NaN is NaN, so the factor 0 alone would not do).
    float* grads = ws.grads.data();
    float* loss = ws.loss.data();
    out.dense.push_back(
        {"zero gradients (no rows)", 0, 4.0 * stage05::layout::kTotal, [=](cudaStream_t s) {
           CUDA_CHECK(cudaMemsetAsync(grads, 0, sizeof(float) * stage05::layout::kTotal, s));
           CUDA_CHECK(cudaMemsetAsync(loss, 0, sizeof(float), s));
         }});
  }
  out.update = stage05::adam_plan(rung, ws, adam);
  // Rung 3's fused Adam adds the loss to the clock itself; here Adam runs on its own, so the
  // clock's advance adds the (summed) loss, as rungs 1 and 2 do.
  stage05::StepClock* clock = ws.clock.data();
  const float* loss = ws.loss.data();
  out.update.push_back({"advance clock", 1, 16,
                        [=](cudaStream_t s) { stage05::naive::advance_clock(clock, loss, 1, s); }});
  return out;
}

}  // namespace stage06

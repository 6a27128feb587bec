#include "06_multi_gpu/sharding.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace stage06 {

const char* scaling_name(Scaling scaling) {
  return scaling == Scaling::strong ? "strong" : "weak";
}

std::optional<Scaling> parse_scaling(std::string_view name) {
  if (name == "strong") return Scaling::strong;
  if (name == "weak") return Scaling::weak;
  return std::nullopt;
}

Shard shard_of(int rows, int ranks, int rank) {
  if (rows < 0 || ranks < 1 || rank < 0 || rank >= ranks) {
    throw std::invalid_argument("shard_of: rank " + std::to_string(rank) + " of " +
                                std::to_string(ranks) + ", " + std::to_string(rows) + " rows");
  }
  const int base = rows / ranks, extra = rows % ranks;
  // Ranks before `rank` hold base rows each, and one more each for the first `extra`.
  return {rank * base + std::min(rank, extra), base + (rank < extra ? 1 : 0)};
}

float gradient_scale(const Shard& shard, int rows) {
  return rows > 0 ? static_cast<float>(shard.count) / static_cast<float>(rows) : 0.0f;
}

int global_batch(int batch, int ranks, Scaling scaling) {
  return scaling == Scaling::strong ? batch : batch * ranks;
}

float scaled_lr(float lr, int ranks, Scaling scaling) {
  return scaling == Scaling::strong ? lr : lr * std::sqrt(static_cast<float>(ranks));
}

int EpochPlan::rows(int step) const {
  return std::min(batch, set_size - step * batch);
}

EpochPlan epoch_plan(int set_size, int batch) {
  if (set_size < 1 || batch < 1) {
    throw std::invalid_argument("epoch_plan: need at least one image and one per batch");
  }
  const int b = std::min(batch, set_size);
  return {set_size, b, (set_size + b - 1) / b};
}

int largest_shard(const EpochPlan& plan, int ranks) {
  // Rank 0's shard of the first (full) batch: no shard of a smaller batch is larger.
  return shard_of(plan.rows(0), ranks, 0).count;
}

std::string too_many_gpus(int requested, int available) {
  return "--gpus " + std::to_string(requested) + ": this machine has " + std::to_string(available) +
         (available == 1 ? " GPU" : " GPUs");
}

}  // namespace stage06

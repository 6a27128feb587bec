/// \file
/// \brief The arithmetic of data parallelism, with no GPU in it: which rows of a batch each
/// rank owns, how its gradient is weighted, how large the global batch is and how the
/// learning rate follows it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace stage06 {

/// How the work grows with the number of GPUs G.
enum class Scaling {
  strong,  ///< the global batch stays --batch; each GPU gets about batch / G rows
  weak,    ///< each GPU gets --batch rows; the global batch is batch x G
};

/// "strong" or "weak".
const char* scaling_name(Scaling scaling);

/// The Scaling named `name`, or nothing if it names none.
std::optional<Scaling> parse_scaling(std::string_view name);

/// The rows begin..begin+count-1 of one global batch that one rank owns.
struct Shard {
  int begin = 0;  ///< first row, in the global batch
  int count = 0;  ///< rows; 0 when the batch has fewer rows than there are ranks
};

/// Rank `rank`'s rows of a global batch of `rows`: contiguous, as equal as possible, the
/// first rows % ranks ranks one row more. Together the shards cover every row once.
Shard shard_of(int rows, int ranks, int rank);

/// The factor a rank multiplies its gradient by before the ranks' gradients are summed.
///
/// Each rank computes the mean over its own n_r rows, g_r = (1/n_r) sum_{i in r} x_i, since
/// stage 05's kernels divide by the batch they are given. The global batch's mean is
///   (1/N) sum_i x_i = sum_r (n_r/N) (1/n_r) sum_{i in r} x_i = sum_r (n_r/N) g_r,
/// so rank r's factor is n_r/N: 1/G only when the shards are equal, and 0 for an empty
/// shard. The same weights turn the ranks' mean losses into the global batch's.
float gradient_scale(const Shard& shard, int rows);

/// Images per step over all ranks: batch (strong) or batch x ranks (weak).
int global_batch(int batch, int ranks, Scaling scaling);

/// The learning rate for `ranks` GPUs: lr for strong scaling (the global batch does not
/// change), lr x sqrt(ranks) for weak scaling (README.md: Adam's square-root rule). For one
/// rank it is lr either way, so one rank trains exactly as stage 05.
float scaled_lr(float lr, int ranks, Scaling scaling);

/// An epoch of global batches: positions b*B .. b*B+B-1 of the epoch's shuffled order, the
/// last batch taking what is left.
struct EpochPlan {
  int set_size = 0;  ///< images in the training set
  int batch = 0;     ///< global batch B (at most set_size)
  int steps = 0;     ///< ceil(set_size / B)
  /// Rows of step s (0-based): B, or what is left for the last step.
  int rows(int step) const;
  /// First position of step s in the epoch's order.
  int begin(int step) const { return step * batch; }
};

/// The epoch plan for a set of set_size images in global batches of `batch`.
EpochPlan epoch_plan(int set_size, int batch);

/// The most rows any rank gets in any step of the plan (its workspace's capacity).
int largest_shard(const EpochPlan& plan, int ranks);

/// The message for asking more GPUs than the machine has:
/// "--gpus 3: this machine has 1 GPU".
std::string too_many_gpus(int requested, int available);

}  // namespace stage06

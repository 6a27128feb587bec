#include "04_backprop/batch_source.h"

#include <stdexcept>
#include <string>

#include "04_backprop/dropout_rows.h"
#include "common/network.h"

namespace stage04 {

using mnist::net::kFlat;

SliceDropoutStarts::SliceDropoutStarts(int slice_images)
    : slice_jump_(static_cast<uint64_t>(slice_images) * kFlat), row_jump_(kFlat) {}

void SliceDropoutStarts::start_batch(const mnist::Rng& rng, int slices) {
  starts_.resize(static_cast<size_t>(slices));
  if (slices == 0) return;
  starts_[0] = rng.state();
  for (size_t s = 1; s < starts_.size(); ++s) starts_[s] = slice_jump_.apply(starts_[s - 1]);
}

void check_batch(const BatchSource& batch) {
  if (batch.begin < 0 || batch.count < 1 ||
      static_cast<size_t>(batch.begin) + static_cast<size_t>(batch.count) > batch.order.size()) {
    throw std::invalid_argument("batch [" + std::to_string(batch.begin) + ", +" +
                                std::to_string(batch.count) + ") outside an order of " +
                                std::to_string(batch.order.size()));
  }
}

void gather_slice(const BatchSource& batch, int first, int count, mnist::Rng& rng,
                  const mnist::RngJump& row_jump, mnist::Batch& slice, mnist::Tensor& mask) {
  mnist::gather_batch(batch.set, batch.order, batch.begin + first, count, slice);
  if (!batch.dropout) {
    mask = mnist::Tensor();
    return;
  }
  mnist::ensure_shape(mask, {count, kFlat});
  draw_dropout_rows(mask.values(), kFlat, rng, row_jump);
}

}  // namespace stage04

/// \file
/// \brief BatchSource: a training batch described rather than copied, so that each slice of
/// it can fetch its own images and draw its own rows of the dropout mask (rungs 2 to 5).
///
/// Rung 1 prepares a batch on one thread before the step: it gathers the batch's images
/// into one tensor, in the epoch's shuffled order, and draws its dropout mask, 1600 numbers
/// per image from one generator, row after row. Rungs 2 to 5 cut the batch into slices, and
/// each slice now does its own share inside the step's parallel region, straight into the
/// buffers of the thread that takes it. Its images are easy: the order says which they are.
/// Its rows of the mask are not: they must be the very numbers the one serial stream gives
/// them, draws first_image * 1600 onward, or the weights would depend on how the batch is
/// cut and would no longer match rung 1's. rng_jump.h moves a generator there without
/// making the draws before: the jump over one slice's rows is built once, and each slice
/// starts one jump after the one before it.
#pragma once

#include <span>
#include <vector>

#include "common/mnist.h"
#include "common/rng.h"
#include "common/rng_jump.h"
#include "common/tensor.h"

namespace stage04 {

/// One training batch: examples order[begin, begin + count) of a data set, and the
/// generator of its dropout mask.
struct BatchSource {
  const mnist::Dataset& set;   ///< the examples
  std::span<const int> order;  ///< the epoch's order of set's indices
  int begin = 0;               ///< the batch's first place in order
  int count = 0;               ///< its number of images
  /// The mask's generator, at the batch's first draw: make_dropout_mask(count, *dropout)
  /// is the batch's mask, and a step leaves *dropout where that call would. Null: no
  /// dropout.
  mnist::Rng* dropout = nullptr;
};

/// Where each slice of a batch starts in the dropout stream.
class SliceDropoutStarts {
 public:
  /// For slices of `slice_images` images: builds the jump over one slice's draws, once.
  explicit SliceDropoutStarts(int slice_images);

  /// The starts of the `slices` slices of a batch whose mask begins at `rng`'s state:
  /// slice 0 there, each next one a jump further (one matrix application a slice).
  void start_batch(const mnist::Rng& rng, int slices);

  /// Slice s's generator, at the first draw of its rows of the mask.
  mnist::Rng at(int s) const { return mnist::Rng(starts_[static_cast<size_t>(s)]); }

  /// The jump over one row of the mask (kFlat draws), for draw_dropout_rows.
  const mnist::RngJump& row_jump() const { return row_jump_; }

 private:
  mnist::RngJump slice_jump_;
  mnist::RngJump row_jump_;
  std::vector<mnist::Rng::State> starts_;
};

/// Throws std::invalid_argument unless batch names at least one image, all inside its order.
void check_batch(const BatchSource& batch);

/// Images [first, first + count) of `batch` (counted from its first image): into `slice`,
/// the examples that batch.order names; into `mask`, their rows of the dropout mask drawn
/// from `rng`, which must stand at the first of them and is left after the last (when
/// batch.dropout is null: an empty mask, and rng is not used). The rows are drawn side by
/// side (dropout_rows.h) with `row_jump`, SliceDropoutStarts::row_jump(). Reuses the
/// buffers' storage when the sizes fit.
void gather_slice(const BatchSource& batch, int first, int count, mnist::Rng& rng,
                  const mnist::RngJump& row_jump, mnist::Batch& slice, mnist::Tensor& mask);

}  // namespace stage04

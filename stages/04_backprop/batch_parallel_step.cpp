#include "04_backprop/batch_parallel_step.h"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <stdexcept>
#include <string>

#include "04_backprop/trainer.h"
#include "common/network.h"

namespace stage04 {

namespace {

using mnist::Tensor;
using namespace mnist::net;

/// Rows [first, first + count) of t (a tensor whose first dimension is the batch) into
/// `rows`, which is reallocated only when its shape changes.
void copy_rows(const Tensor& t, int first, int count, Tensor& rows) {
  mnist::Shape shape = t.shape();
  shape[0] = count;
  mnist::ensure_shape(rows, shape);
  const int64_t row = t.size() / t.dim(0);
  std::copy_n(t.data() + first * row, count * row, rows.data());
}

/// Thread `thread`'s part [begin, end) of n elements shared among `threads`.
std::pair<int64_t, int64_t> share(int64_t n, int thread, int threads) {
  return {n * thread / threads, n * (thread + 1) / threads};
}

}  // namespace

BatchParallelStep::BatchParallelStep(int rung) : rung_(rung), dropout_starts_(kSliceImages) {
  if (rung < 2 || rung > kRungs) {
    throw std::invalid_argument("BatchParallelStep: no rung " + std::to_string(rung));
  }
}

void BatchParallelStep::prepare(const Tensor& images, std::span<const int> labels,
                                const Tensor& mask) {
  if (images.rank() != 4 || images.dim(0) < 1 ||
      static_cast<int64_t>(labels.size()) != images.dim(0)) {
    throw std::invalid_argument("BatchParallelStep: " + std::to_string(labels.size()) +
                                " labels for images " + mnist::to_string(images.shape()));
  }
  const int N = images.dim(0);
  if (!mask.empty()) mnist::expect_shape(mask, {N, kFlat}, "dropout mask");
  input_ = {.images = &images, .labels = labels, .mask = &mask, .source = nullptr};
  size_buffers(N);
}

void BatchParallelStep::prepare(const BatchSource& batch) {
  check_batch(batch);
  input_ = {.images = nullptr, .labels = {}, .mask = nullptr, .source = &batch};
  size_buffers(batch.count);
  // One jump a slice, on this thread: about a microsecond each.
  if (batch.dropout) dropout_starts_.start_batch(*batch.dropout, slices_);
}

void BatchParallelStep::size_buffers(int n) {
  batch_images_ = n;
  slices_ = (n + kSliceImages - 1) / kSliceImages;
  while (static_cast<int>(slots_.size()) < slices_) slots_.push_back(mnist::zero_params());
  weights_.assign(static_cast<size_t>(slices_), 0.0f);
  losses_.assign(static_cast<size_t>(slices_), 0.0f);
  workers_.resize(std::max(workers_.size(), static_cast<size_t>(omp_get_max_threads())));
  failure_ = nullptr;
}

void BatchParallelStep::load_slice(int s, Worker& w) {
  const int first = s * kSliceImages, count = std::min(kSliceImages, batch_images_ - first);
  if (input_.source) {
    // Without dropout gather_slice leaves rng unused.
    mnist::Rng rng = input_.source->dropout ? dropout_starts_.at(s) : mnist::Rng(0);
    gather_slice(*input_.source, first, count, rng, dropout_starts_.row_jump(), w.slice, w.mask);
    // The last slice's draws end where the serial stream ends the batch's mask.
    if (s == slices_ - 1) dropout_end_ = rng.state();
    return;
  }
  copy_rows(*input_.images, first, count, w.slice.images);
  const auto labels = input_.labels.subspan(static_cast<size_t>(first), static_cast<size_t>(count));
  w.slice.labels.assign(labels.begin(), labels.end());
  if (input_.mask->empty()) {
    w.mask = Tensor();
  } else {
    copy_rows(*input_.mask, first, count, w.mask);
  }
}

void BatchParallelStep::slice_pass(int s, const mnist::Params& params) {
  try {
    Worker& w = workers_[static_cast<size_t>(omp_get_thread_num())];
    load_slice(s, w);
    const Tensor& images = w.slice.images;
    const std::span<const int> labels = w.slice.labels;
    mnist::Params& grads = slots_[static_cast<size_t>(s)];
    float& loss = losses_[static_cast<size_t>(s)];
    if (rung_ >= 3) {
      loss = fused_slice_loss_and_gradients(params, images, labels, w.mask, rung_, w.fused, grads);
    } else {
      forward_pass(params, images, w.mask, w.cache);
      loss = backward_pass(params, images, w.cache, labels, w.mask, grads);
    }
    weights_[static_cast<size_t>(s)] =
        static_cast<float>(images.dim(0)) / static_cast<float>(batch_images_);
  } catch (...) {
    // An exception must not leave an OpenMP region: carry it out.
#pragma omp critical(stage04_slice_failure)
    failure_ = std::current_exception();
  }
}

float BatchParallelStep::batch_loss() const {
  double total = 0;  // each slice's mean loss, weighted by its images
  for (int s = 0; s < slices_; ++s) {
    total += double{losses_[static_cast<size_t>(s)]} * weights_[static_cast<size_t>(s)];
  }
  return static_cast<float>(total);
}

float BatchParallelStep::forward_backward(const mnist::Params& params, const Tensor& images,
                                          std::span<const int> labels, const Tensor& mask) {
  prepare(images, labels, mask);
  // Slices are handed out one at a time as threads come free (dynamic): which thread takes
  // a slice changes nothing in its result, and a thread that the machine slows down then
  // does less of the work.
#pragma omp parallel for schedule(dynamic, 1)
  for (int s = 0; s < slices_; ++s) slice_pass(s, params);
  if (failure_) std::rethrow_exception(failure_);
  return batch_loss();
}

bool BatchParallelStep::sum_share(int thread, int threads) {
  auto sums = sum_.list();
  bool finite = true;
  for (size_t i = 0; i < sums.size(); ++i) {
    const auto [begin, end] = share(sums[i].tensor->size(), thread, threads);
    float* out = sums[i].tensor->data();
    // Slice by slice, in slice order: every element gets the same additions in the same
    // order whichever thread does it. The first slot is written, not added, so sum_ needs
    // no clearing first.
    for (int s = 0; s < slices_; ++s) {
      const float* in = slots_[static_cast<size_t>(s)].list()[i].tensor->data();
      const float w = weights_[static_cast<size_t>(s)];
      if (s == 0) {
        for (int64_t j = begin; j < end; ++j) out[j] = w * in[j];
      } else {
        for (int64_t j = begin; j < end; ++j) out[j] += w * in[j];
      }
    }
    for (int64_t j = begin; j < end; ++j) finite &= std::isfinite(out[j]);
  }
  return finite;
}

const mnist::Params& BatchParallelStep::reduce(bool* finite) {
  std::atomic<bool> all_finite = true;
#pragma omp parallel
  if (!sum_share(omp_get_thread_num(), omp_get_num_threads())) all_finite = false;
  if (finite) *finite = all_finite;
  return sum_;
}

bool BatchParallelStep::train_step(mnist::Params& params, const Tensor& images,
                                   std::span<const int> labels, const Tensor& mask, Adam& adam,
                                   float& loss) {
  prepare(images, labels, mask);
  return step(params, adam, loss);
}

bool BatchParallelStep::train_step(mnist::Params& params, const BatchSource& batch, Adam& adam,
                                   float& loss) {
  prepare(batch);
  const bool applied = step(params, adam, loss);
  if (batch.dropout) *batch.dropout = mnist::Rng(dropout_end_);
  return applied;
}

bool BatchParallelStep::step(mnist::Params& params, Adam& adam, float& loss) {
  std::atomic<bool> all_finite = true;
  bool apply = false;
  float alpha = 0;
  // One parallel region for the whole step: the slices, the sums, Adam. Its barriers are
  // the only places a thread waits for the others: the end of the slices (every slot must
  // be written before it is summed), the end of the sums (every sum must be known finite
  // before any weight changes), and the end of `single` (alpha must be known).
#pragma omp parallel
  {
#pragma omp for schedule(dynamic, 1)
    for (int s = 0; s < slices_; ++s) slice_pass(s, params);
    const int thread = omp_get_thread_num(), threads = omp_get_num_threads();
    if (!failure_ && !sum_share(thread, threads)) all_finite = false;
#pragma omp barrier
#pragma omp single
    {
      loss = batch_loss();
      apply = !failure_ && all_finite && std::isfinite(loss);
      try {
        if (apply) alpha = adam.begin_step(params, sum_);
      } catch (...) {
        failure_ = std::current_exception();
        apply = false;
      }
    }
    if (apply) {
      auto sums = sum_.list();
      for (size_t i = 0; i < sums.size(); ++i) {
        // The same share this thread just summed: its part of sum_ is still in its cache.
        const auto [begin, end] = share(sums[i].tensor->size(), thread, threads);
        adam.update(params, i, begin, end, sums[i].tensor->data(), alpha);
      }
    }
  }
  if (failure_) std::rethrow_exception(failure_);
  return apply;
}

}  // namespace stage04

// batch_source.h: each slice's images and rows of the dropout mask, gathered and drawn on
// their own in parallel, against the whole batch gathered and drawn serially
// (gather_batch, make_dropout_mask).
#include "04_backprop/batch_source.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "04_backprop/batch_parallel_step.h"
#include "04_backprop/train_step.h"
#include "common/mnist.h"
#include "common/network.h"
#include "common/rng.h"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace {

using mnist::Tensor;

/// n random images with labels 0..9 in turn.
mnist::Dataset random_set(int n) {
  mnist::Dataset set{mnist::random_tensor({n, 1, 28, 28}, 31), {}};
  for (int i = 0; i < n; ++i) set.labels.push_back(i % 10);
  return set;
}

bool same_bits(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() &&
         std::memcmp(a.data(), b.data(), sizeof(float) * static_cast<size_t>(a.size())) == 0;
}

/// Rows [first, first + count) of t, whose first dimension is the batch.
Tensor rows(const Tensor& t, int first, int count) {
  mnist::Shape shape = t.shape();
  shape[0] = count;
  Tensor out(shape);
  const int64_t row = t.size() / t.dim(0);
  std::copy_n(t.data() + first * row, count * row, out.data());
  return out;
}

}  // namespace

TEST(BatchSource, SlicesGatherAndDrawWhatTheWholeBatchWould) {
#ifndef _OPENMP
  GTEST_SKIP() << "built without OpenMP: there is only one thread";
#else
  const mnist::Dataset set = random_set(200);
  const std::vector<int> order = mnist::shuffled_indices(set.size(), 33);
  const int threads = omp_get_max_threads();
  // A full batch, the short last batch of an MNIST epoch (60000 % 128), counts that leave
  // a short last slice, one slice, and a single image; from a place in the order past 0.
  for (const int count : {128, 96, 60, 13, 8, 1}) {
    for (const int t : {1, 2, 3}) {
      SCOPED_TRACE(std::to_string(count) + " images, " + std::to_string(t) + " threads");
      mnist::Rng serial(35), parallel(35);
      serial.next_u64();  // not at the start of the stream: a batch after others
      parallel.next_u64();
      const mnist::Batch want = mnist::gather_batch(set, order, 7, count);
      const Tensor want_mask = stage04::make_dropout_mask(count, serial);

      const stage04::BatchSource batch{
          .set = set, .order = order, .begin = 7, .count = count, .dropout = &parallel};
      const int slices = (count + stage04::kSliceImages - 1) / stage04::kSliceImages;
      stage04::SliceDropoutStarts starts(stage04::kSliceImages);
      starts.start_batch(parallel, slices);
      std::vector<mnist::Batch> got(static_cast<size_t>(slices));
      std::vector<Tensor> got_mask(static_cast<size_t>(slices));
      mnist::Rng::State end{};
      omp_set_num_threads(t);
#pragma omp parallel for schedule(dynamic, 1)
      for (int s = 0; s < slices; ++s) {
        const int first = s * stage04::kSliceImages;
        const int n = std::min(stage04::kSliceImages, count - first);
        mnist::Rng rng = starts.at(s);
        stage04::gather_slice(batch, first, n, rng, starts.row_jump(), got[static_cast<size_t>(s)],
                              got_mask[static_cast<size_t>(s)]);
        if (s == slices - 1) end = rng.state();
      }
      omp_set_num_threads(threads);
      for (int s = 0; s < slices; ++s) {
        const int first = s * stage04::kSliceImages;
        const int n = std::min(stage04::kSliceImages, count - first);
        const mnist::Batch& slice = got[static_cast<size_t>(s)];
        EXPECT_TRUE(same_bits(slice.images, rows(want.images, first, n))) << "slice " << s;
        EXPECT_TRUE(std::equal(slice.labels.begin(), slice.labels.end(),
                               want.labels.begin() + first, want.labels.begin() + first + n))
            << "slice " << s;
        EXPECT_TRUE(same_bits(got_mask[static_cast<size_t>(s)], rows(want_mask, first, n)))
            << "slice " << s << "'s rows of the mask";
      }
      // The last slice's draws end where the serial stream ends.
      EXPECT_EQ(end, serial.state());
    }
  }
#endif
}

TEST(BatchSource, NoDropoutGivesAnEmptyMask) {
  const mnist::Dataset set = random_set(20);
  const std::vector<int> order = mnist::shuffled_indices(set.size(), 37);
  const stage04::BatchSource batch{.set = set, .order = order, .begin = 4, .count = 8};
  mnist::Rng rng(39);
  const mnist::Rng::State before = rng.state();
  mnist::Batch slice;
  Tensor mask({8, mnist::net::kFlat});
  stage04::gather_slice(batch, 0, 8, rng, mnist::RngJump(mnist::net::kFlat), slice, mask);
  EXPECT_TRUE(mask.empty());
  EXPECT_EQ(rng.state(), before);
  EXPECT_TRUE(same_bits(slice.images, mnist::gather_batch(set, order, 4, 8).images));
}

TEST(BatchSource, RejectsBatchesOutsideTheOrder) {
  const mnist::Dataset set = random_set(20);
  const std::vector<int> order = mnist::shuffled_indices(set.size(), 41);
  EXPECT_NO_THROW(stage04::check_batch({.set = set, .order = order, .begin = 12, .count = 8}));
  for (const auto& [begin, count] : {std::pair{13, 8}, {-1, 4}, {0, 0}, {0, 21}}) {
    EXPECT_THROW(stage04::check_batch({.set = set, .order = order, .begin = begin, .count = count}),
                 std::invalid_argument)
        << begin << ", +" << count;
  }
}

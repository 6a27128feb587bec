// Rungs 2 to 5 (batch_parallel_step.h, fused_slice.h, conv2_implicit.h, conv2_channels_last.h):
// their gradients against finite differences, their weights against rung 1's after several Adam
// steps with the same dropout masks, the same bits for 1, 2 and 3 threads, and a non-finite
// gradient that must change nothing.
#include "04_backprop/batch_parallel_step.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>

#include "common/mnist.h"
#include "common/rng.h"
#include "tests/stage04/gradient_check.h"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace {

using gradient_check::make_problem;
using gradient_check::Problem;
using mnist::Tensor;

constexpr int kFastRungs[] = {2, 3, 4, 5};

/// The loss and mean gradient of one batch on rung 2 or 3, in loss_and_gradients' form.
gradient_check::LossAndGradients loss_and_gradients_of(int rung) {
  return [rung](const mnist::Params& params, const Tensor& images, std::span<const int> labels,
                const Tensor& mask, mnist::Params& grads) {
    stage04::BatchParallelStep step(rung);
    const float loss = step.forward_backward(params, images, labels, mask);
    grads = step.reduce().clone();
    return loss;
  };
}

/// Several Adam steps of rung 1, 2 or 3 on one problem, a fresh dropout mask each step drawn
/// from the same seed for both rungs; returns the weights.
mnist::Params train_steps(const Problem& p, int rung, int steps) {
  mnist::Params params = p.params.clone();
  stage04::Adam adam;
  stage04::BatchParallelStep batch_parallel(std::max(rung, 2));
  mnist::Params grads;
  mnist::Rng masks(99);
  const int N = p.images.dim(0);
  for (int s = 0; s < steps; ++s) {
    const Tensor mask = stage04::make_dropout_mask(N, masks);
    if (rung == 1) {
      stage04::loss_and_gradients(params, p.images, p.labels, mask, grads);
      adam.step(params, grads);
    } else {
      float loss = 0;
      EXPECT_TRUE(batch_parallel.train_step(params, p.images, p.labels, mask, adam, loss));
      EXPECT_TRUE(std::isfinite(loss));
    }
  }
  return params;
}

}  // namespace

TEST(BatchParallelStep, GradientsMatchFiniteDifferences) {
  // Ten images: a full slice of eight and a short one of two, so the weighting of the
  // slices' means by their sizes is checked too.
  static_assert(stage04::kSliceImages == 8, "the batch below is meant to cut 8 + 2");
  const Problem p = make_problem(21, 10);
  mnist::Rng rng(21);
  const Tensor mask = stage04::make_dropout_mask(10, rng);
  for (const int rung : kFastRungs) {
    SCOPED_TRACE("rung " + std::to_string(rung));
    gradient_check::check_gradients(p, mask, 21, loss_and_gradients_of(rung));
    gradient_check::check_gradients(p, Tensor(), 22, loss_and_gradients_of(rung));
  }
}

TEST(BatchParallelStep, AgreesWithRungOneAfterStepsWithTheSameMasks) {
  // 20 images (slices of 8, 8, 4), five Adam steps, the same five dropout masks.
  constexpr int kSteps = 5, kImages = 20;
  // The tolerance, derived. Both rungs compute every gradient as float sums of the same
  // products, only in another order (rung 1 over the whole batch at once, rung 2 slice by
  // slice, then the slices). A float sum of n terms is off by at most n*u of the sum of
  // their sizes in any order (u = 2^-24), so two orders differ by at most 2*n*u of it. The
  // longest sums are conv1's weight gradients, one term per output pixel of every image:
  // n = 20 * 26 * 26. Adam divides each gradient by its own running size, so a relative
  // difference in a gradient becomes the same relative difference in its step, and a step
  // moves a weight by about lr (lr * m / sqrt(v), with m / sqrt(v) near 1 while a
  // gradient keeps its sign). After kSteps steps the weights of the two rungs may
  // therefore differ by kSteps * lr * 2 * n * u: 8e-6 here. A slice weighted wrongly moves
  // weights by a good part of lr at every step, 1e-4 or more.
  constexpr double kUnitRoundoff = 0x1p-24;
  const double longest_sum = double{kImages} * 26 * 26;
  const double tolerance =
      kSteps * double{stage04::AdamConfig{}.lr} * 2 * longest_sum * kUnitRoundoff;
  const Problem p = make_problem(23, kImages);
  const mnist::Params one = train_steps(p, 1, kSteps);
  for (const int rung : kFastRungs) {
    const mnist::Params fast = train_steps(p, rung, kSteps);
    auto a = one.list();
    auto b = fast.list();
    for (size_t t = 0; t < a.size(); ++t) {
      double worst = 0;
      for (int64_t i = 0; i < a[t].tensor->size(); ++i) {
        worst = std::max(worst, std::abs(double{(*a[t].tensor)[i]} - (*b[t].tensor)[i]));
      }
      EXPECT_LE(worst, tolerance) << a[t].name << " on rung " << rung;
    }
  }
}

TEST(BatchParallelStep, SameBitsForOneTwoAndThreeThreads) {
#ifndef _OPENMP
  GTEST_SKIP() << "built without OpenMP: there is only one thread";
#else
  // 44 images: five full slices and a short one, shared unevenly among 2 and 3 threads.
  const Problem p = make_problem(25, 44);
  const int threads = omp_get_max_threads();
  for (const int rung : kFastRungs) {
    std::vector<mnist::Params> results;
    for (int t : {1, 2, 3}) {
      omp_set_num_threads(t);
      results.push_back(train_steps(p, rung, 3));
    }
    for (size_t r = 1; r < results.size(); ++r) {
      auto want = results[0].list();
      auto got = results[r].list();
      for (size_t t = 0; t < want.size(); ++t) {
        EXPECT_EQ(0, std::memcmp(want[t].tensor->data(), got[t].tensor->data(),
                                 sizeof(float) * static_cast<size_t>(want[t].tensor->size())))
            << want[t].name << " differs with " << r + 1 << " threads on rung " << rung;
      }
    }
    EXPECT_NE(0, std::memcmp(results[0].fc_weight.data(), p.params.fc_weight.data(),
                             sizeof(float) * static_cast<size_t>(p.params.fc_weight.size())))
        << "training changed nothing";
  }
  omp_set_num_threads(threads);
#endif
}

TEST(BatchParallelStep, DescribedBatchesStepAsGatheredOnes) {
#ifndef _OPENMP
  GTEST_SKIP() << "built without OpenMP: there is only one thread";
#else
  // The step on a BatchSource, whose slices gather their images and draw their rows of the
  // mask themselves, against the step on the batch gathered and the mask drawn whole first:
  // the same weights to the last bit, and the generator left at the same place, for 1, 2
  // and 3 threads. Batches of 24, 13 (a short last slice) and 8 images in turn, so that a
  // generator left one draw off changes the masks of the steps that follow.
  Problem p = make_problem(43, 45);
  const mnist::Dataset set{std::move(p.images), std::move(p.labels)};
  const std::vector<int> order = mnist::shuffled_indices(set.size(), 45);
  const mnist::Params& start = p.params;
  const int threads = omp_get_max_threads();
  for (const int rung : kFastRungs) {
    for (const int t : {1, 2, 3}) {
      SCOPED_TRACE("rung " + std::to_string(rung) + ", " + std::to_string(t) + " threads");
      omp_set_num_threads(t);
      mnist::Params gathered = start.clone(), described = start.clone();
      stage04::Adam adam_gathered, adam_described;
      stage04::BatchParallelStep step_gathered(rung), step_described(rung);
      mnist::Rng masks_gathered(47), masks_described(47);
      int begin = 0;
      for (const int count : {24, 13, 8}) {
        const mnist::Batch batch = mnist::gather_batch(set, order, begin, count);
        const Tensor mask = stage04::make_dropout_mask(count, masks_gathered);
        float loss_gathered = 0, loss_described = 0;
        EXPECT_TRUE(step_gathered.train_step(gathered, batch.images, batch.labels, mask,
                                             adam_gathered, loss_gathered));
        const stage04::BatchSource source{.set = set,
                                          .order = order,
                                          .begin = begin,
                                          .count = count,
                                          .dropout = &masks_described};
        EXPECT_TRUE(step_described.train_step(described, source, adam_described, loss_described));
        EXPECT_EQ(loss_gathered, loss_described);
        EXPECT_EQ(masks_gathered.state(), masks_described.state()) << "after " << count;
        begin += count;
      }
      auto want = gathered.list();
      auto got = described.list();
      for (size_t i = 0; i < want.size(); ++i) {
        EXPECT_EQ(0, std::memcmp(want[i].tensor->data(), got[i].tensor->data(),
                                 sizeof(float) * static_cast<size_t>(want[i].tensor->size())))
            << want[i].name;
      }
      for (int i = 0; i < 4; ++i) EXPECT_EQ(masks_gathered.next_u64(), masks_described.next_u64());
    }
  }
  omp_set_num_threads(threads);
#endif
}

TEST(BatchParallelStep, ANonFiniteGradientChangesNothing) {
  Problem p = make_problem(27, 12);
  p.images[9 * 784 + 400] = NAN;  // one pixel of the second slice
  for (const int rung : kFastRungs) {
    SCOPED_TRACE("rung " + std::to_string(rung));
    stage04::BatchParallelStep step(rung);
    stage04::Adam adam;
    mnist::Params params = p.params.clone();
    step.forward_backward(params, p.images, p.labels, Tensor());
    bool finite = true;
    step.reduce(&finite);
    EXPECT_FALSE(finite);
    float loss = 0;
    EXPECT_FALSE(step.train_step(params, p.images, p.labels, Tensor(), adam, loss));
    EXPECT_EQ(adam.steps(), 0);
    auto before = p.params.list();
    auto after = params.list();
    for (size_t t = 0; t < before.size(); ++t) {
      EXPECT_EQ(0, std::memcmp(before[t].tensor->data(), after[t].tensor->data(),
                               sizeof(float) * static_cast<size_t>(before[t].tensor->size())))
          << before[t].name;
    }
  }
}

TEST(BatchParallelStep, RejectsMismatchedLabelsAndMasks) {
  const Problem p = make_problem(29, 3);
  stage04::BatchParallelStep step(4);
  const std::vector<int> two_labels = {1, 2};
  EXPECT_THROW(step.forward_backward(p.params, p.images, two_labels, Tensor()),
               std::invalid_argument);
  EXPECT_THROW(step.forward_backward(p.params, p.images, p.labels, Tensor({3, 1599})),
               std::invalid_argument);
}

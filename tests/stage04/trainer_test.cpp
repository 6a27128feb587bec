// The training loop on a few hundred real MNIST images: repeatable, every batch visited
// (the last one short), and a non-finite loss stops it with the last good weights.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "04_backprop/adam.h"
#include "04_backprop/batch_parallel_step.h"
#include "04_backprop/train_step.h"
#include "04_backprop/trainer.h"
#include "common/mnist.h"
#include "common/rng.h"
#include "tests/support/test_support.h"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace {

bool bit_identical(const mnist::Params& a, const mnist::Params& b) {
  auto x = a.list();
  auto y = b.list();
  for (size_t t = 0; t < x.size(); ++t) {
    if (x[t].tensor->shape() != y[t].tensor->shape() ||
        std::memcmp(x[t].tensor->data(), y[t].tensor->data(),
                    sizeof(float) * static_cast<size_t>(x[t].tensor->size())) != 0) {
      return false;
    }
  }
  return true;
}

/// One epoch over set in batches of 128, from seed's initialisation, on rung `rung`.
mnist::Params train_one_epoch(const mnist::Dataset& set, uint64_t seed, int rung = 1) {
  mnist::Params params = mnist::init_params(seed);
  const stage04::TrainOutcome outcome =
      stage04::train(params, set, nullptr, {.epochs = 1, .batch = 128, .seed = seed, .rung = rung});
  EXPECT_FALSE(outcome.stopped) << outcome.message;
  return params;
}

mnist::Dataset first_training_images(int count) {
  return mnist::load_mnist(mnist::testkit::data_dir(), mnist::Split::train, count);
}

}  // namespace

TEST(Trainer, SameSeedSameThreadsGivesBitIdenticalWeights) {
  REQUIRE_MNIST();
  const mnist::Dataset set = first_training_images(300);
  const mnist::Params first = train_one_epoch(set, 1);
  const mnist::Params second = train_one_epoch(set, 1);
  EXPECT_TRUE(bit_identical(first, second));
  EXPECT_FALSE(bit_identical(first, mnist::init_params(1))) << "training changed nothing";
  EXPECT_FALSE(bit_identical(first, train_one_epoch(set, 2))) << "the seed changed nothing";
}

TEST(Trainer, ThreadCountDoesNotChangeTheWeights) {
  REQUIRE_MNIST();
#ifndef _OPENMP
  GTEST_SKIP() << "built without OpenMP: there is only one thread";
#else
  // Every sum is split the same way whatever the thread count: stage 03's GEMM gives each
  // thread whole elements of C (it never splits the k loop), and the backward pass adds
  // its chunks of images in a fixed order. So 1 and 3 threads give the same bits.
  const mnist::Dataset set = first_training_images(300);
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  for (int rung = 1; rung <= stage04::kRungs; ++rung) {
    SCOPED_TRACE("rung " + std::to_string(rung));
    omp_set_num_threads(1);
    const mnist::Params one = train_one_epoch(set, 1, rung);
    omp_set_num_threads(3);
    const mnist::Params three = train_one_epoch(set, 1, rung);
    EXPECT_TRUE(bit_identical(one, three));
  }
  omp_set_num_threads(threads);
#endif
}

TEST(Trainer, FastRungsTrainAsOnBatchesPreparedBeforeTheStep) {
  REQUIRE_MNIST();
  // Rungs 2-5 let each slice gather its images and draw its rows of the dropout mask inside
  // the step. The same run with the batch gathered and its mask drawn whole before each
  // step (as rung 1 does) must give the same bits: two epochs of 128 + 128 + 44 images, so
  // a short last batch, a short last slice, and a dropout stream carried across epochs.
  const mnist::Dataset set = first_training_images(300);
  const stage04::TrainConfig config{.epochs = 2, .batch = 128, .seed = 3};
  for (int rung = 2; rung <= stage04::kRungs; ++rung) {
    SCOPED_TRACE("rung " + std::to_string(rung));
    mnist::Params trained = mnist::init_params(config.seed);
    stage04::TrainConfig on_rung = config;
    on_rung.rung = rung;
    ASSERT_FALSE(stage04::train(trained, set, nullptr, on_rung).stopped);

    mnist::Params prepared = mnist::init_params(config.seed);
    stage04::Adam adam({.lr = config.lr});
    stage04::BatchParallelStep step(rung);
    mnist::Rng dropout(stage04::dropout_seed(config.seed));
    for (int epoch = 1; epoch <= config.epochs; ++epoch) {
      const std::vector<int> order =
          mnist::shuffled_indices(set.size(), stage04::shuffle_seed(config.seed, epoch));
      for (int begin = 0; begin < set.size(); begin += config.batch) {
        const int count = std::min(config.batch, set.size() - begin);
        const mnist::Batch batch = mnist::gather_batch(set, order, begin, count);
        const mnist::Tensor mask = stage04::make_dropout_mask(count, dropout);
        float loss = 0;
        ASSERT_TRUE(step.train_step(prepared, batch.images, batch.labels, mask, adam, loss));
      }
    }
    EXPECT_TRUE(bit_identical(trained, prepared));
  }
}

TEST(Trainer, VisitsEveryBatchAndTheShortLastOne) {
  REQUIRE_MNIST();
  // 300 images in batches of 128: 128 + 128 + 44, three steps per epoch.
  const mnist::Dataset set = first_training_images(300);
  std::vector<stage04::StepProgress> steps;
  std::vector<stage04::EpochReport> epochs;
  mnist::Params params = mnist::init_params(1);
  const stage04::TrainOutcome outcome =
      stage04::train(params, set, &set, {.epochs = 2, .batch = 128, .seed = 1},
                     {[&](const stage04::StepProgress& p) { steps.push_back(p); },
                      [&](const stage04::EpochReport& r) { epochs.push_back(r); }});
  ASSERT_FALSE(outcome.stopped) << outcome.message;
  ASSERT_EQ(steps.size(), 6u);
  for (size_t i = 0; i < steps.size(); ++i) {
    EXPECT_EQ(steps[i].epoch, static_cast<int>(i / 3) + 1);
    EXPECT_EQ(steps[i].step, static_cast<int>(i % 3) + 1);
    EXPECT_EQ(steps[i].steps, 3);
    EXPECT_TRUE(std::isfinite(steps[i].running_loss));
  }
  ASSERT_EQ(epochs.size(), 2u);
  ASSERT_EQ(outcome.epochs.size(), 2u);
  // The epoch's loss is the running loss after its last step: the mean over all 300 images.
  EXPECT_DOUBLE_EQ(epochs[0].loss, steps[2].running_loss);
  EXPECT_GE(epochs[1].test_accuracy, 0.0);
  EXPECT_LE(epochs[1].test_accuracy, 1.0);
}

TEST(Trainer, ShuffleSeedsDifferByEpochAndRun) {
  EXPECT_NE(stage04::shuffle_seed(1, 1), stage04::shuffle_seed(1, 2));
  EXPECT_NE(stage04::shuffle_seed(1, 1), stage04::shuffle_seed(2, 1));
  EXPECT_NE(stage04::dropout_seed(1), stage04::dropout_seed(2));
  EXPECT_EQ(stage04::shuffle_seed(7, 3), stage04::shuffle_seed(7, 3));
}

TEST(Trainer, NonFiniteLossStopsAndKeepsTheLastGoodWeights) {
  REQUIRE_MNIST();
  const mnist::Dataset set = first_training_images(200);
  mnist::Params params = mnist::init_params(1);
  params.fc_bias[3] = INFINITY;  // every logit of class 3 is infinite: the loss is NaN
  const mnist::Params before = params.clone();
  for (int rung = 1; rung <= stage04::kRungs; ++rung) {
    SCOPED_TRACE("rung " + std::to_string(rung));
    const stage04::TrainOutcome outcome =
        stage04::train(params, set, nullptr, {.epochs = 2, .batch = 64, .seed = 1, .rung = rung});
    EXPECT_TRUE(outcome.stopped);
    EXPECT_TRUE(outcome.epochs.empty());
    EXPECT_NE(outcome.message.find("epoch 1, step 1"), std::string::npos) << outcome.message;
    EXPECT_NE(outcome.message.find("not finite"), std::string::npos) << outcome.message;
    EXPECT_TRUE(bit_identical(params, before)) << "the bad step must not be applied";
  }
}

TEST(Trainer, RejectsAnEmptySetAndBadSettings) {
  mnist::Params params = mnist::init_params(1);
  const mnist::Dataset empty;
  EXPECT_THROW(stage04::train(params, empty, nullptr, {}), std::invalid_argument);
  EXPECT_THROW(stage04::train(params, empty, nullptr, {.batch = 0}), std::invalid_argument);
  // One blank image: a set that trains, so only the rung can be what is refused.
  const mnist::Dataset one{mnist::Tensor({1, 1, 28, 28}), {0}};
  EXPECT_THROW(stage04::train(params, one, nullptr, {.rung = 0}), std::invalid_argument);
  EXPECT_THROW(stage04::train(params, one, nullptr, {.rung = stage04::kRungs + 1}),
               std::invalid_argument);
}

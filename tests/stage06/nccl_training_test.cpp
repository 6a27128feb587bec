// The NCCL trainer: with one rank it is stage 05 (every weight bit for bit after a step);
// with every GPU of the machine it follows stage 04 within the drift of rounding, in strong
// and in weak scaling. The multi-GPU tests skip themselves, saying so, on a machine with
// fewer than two GPUs. NCCL never uses NVLink
// multicast here (NCCL_NVLS_ENABLE=0, set by the fixture and by CTest).
#include <gtest/gtest.h>

#include <string>

#include "05_cuda/trainer.h"
#include "06_multi_gpu/data_parallel.h"
#include "06_multi_gpu/nvls_off.h"
#include "gpu_test_support.h"
#include "stage06_test_support.h"
#include "tests/support/test_support.h"

namespace stage06 {
namespace {

constexpr int kImages = 300;  // steps of 128, 128 and 44 images
constexpr uint64_t kSeed = 7;

/// Skips the test unless the machine has at least `needed` GPUs.
#define REQUIRE_GPUS(needed)                                                            \
  do {                                                                                  \
    REQUIRE_GPU();                                                                      \
    if (gpu_count() < (needed))                                                         \
      GTEST_SKIP() << "needs " << (needed) << " GPUs, this machine has " << gpu_count() \
                   << ": multi-GPU data parallelism not tested here";                   \
  } while (0)

class NcclTraining : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string note = keep_nvls_off();
    if (!note.empty()) std::printf("  %s\n", note.c_str());
  }
  static mnist::Dataset digits(int count = kImages) {
    return mnist::load_mnist(mnist::testkit::data_dir(), mnist::Split::train, count);
  }
  static DataParallelConfig config(stage05::Rung rung, int gpus, Scaling scaling, int batch) {
    DataParallelConfig c;
    c.train = {rung, 2, batch, 1e-3f, kSeed};
    c.gpus = gpus;
    c.scaling = scaling;
    c.timed_steps = 0;
    return c;
  }
};

// One rank, one step (128 images, one epoch): every weight is stage 05's bit for bit (the
// all-reduce over one rank multiplies by 1 and adds nothing; every sum of the step has a
// fixed order; Adam is the same arithmetic, fused with the sums or not).
TEST_F(NcclTraining, OneRankOneStepIsStage05) {
  REQUIRE_GPU();
  REQUIRE_MNIST();
  const mnist::Dataset one_batch = digits(128);
  const mnist::Params initial = stage05::testing::random_params(11);
  for (stage05::Rung rung : {stage05::Rung::fused, stage05::Rung::tensor}) {
    for (Scaling scaling : {Scaling::strong, Scaling::weak}) {
      for (bool graph : {true, false}) {
        SCOPED_TRACE(std::string(stage05::rung_name(rung)) + ", " + scaling_name(scaling) +
                     (graph ? ", graph" : ", step by step"));
        DataParallelConfig c = config(rung, 1, scaling, 128);
        c.train.epochs = 1;
        c.graph = graph;
        const mnist::Params one_gpu = stage05::train(initial, one_batch, nullptr, c.train).params;
        const mnist::Params ours = train_data_parallel(initial, one_batch, nullptr, c).train.params;
        testing::expect_same_bits(ours, one_gpu);
      }
    }
  }
}

// One rank over two epochs of three steps: within rounding drift of stage 04, as stage 05.
TEST_F(NcclTraining, OneRankFollowsStage04WithinRoundingDrift) {
  REQUIRE_GPU();
  REQUIRE_MNIST();
  const mnist::Dataset set = digits();
  const mnist::Params initial = stage05::testing::random_params(11);
  const DataParallelConfig c = config(stage05::Rung::fused, 1, Scaling::strong, 128);
  const auto steps = testing::device_batches(set, epoch_plan(kImages, 128), 2, kSeed);
  const testing::Yardstick y = testing::yardstick(initial, steps, c.train.lr);
  const DataParallelOutcome outcome = train_data_parallel(initial, set, nullptr, c);
  EXPECT_LE(testing::worst_drift_ratio(y, outcome.train.params, initial),
            mnist::testkit::kDriftFactor);
  const stage05::TrainOutcome one_gpu = stage05::train(initial, set, nullptr, c.train);
  EXPECT_LE(testing::worst_drift_ratio(y, one_gpu.params, initial), mnist::testkit::kDriftFactor);
}

TEST_F(NcclTraining, OneEpochOnOneRankLearnsAndTimesItsSteps) {
  REQUIRE_GPU();
  REQUIRE_MNIST();
  const mnist::Dataset train_set = digits(60000);
  const mnist::Dataset test_set =
      mnist::load_mnist(mnist::testkit::data_dir(), mnist::Split::test, 10000);
  DataParallelConfig c = config(stage05::Rung::fused, 1, Scaling::strong, 128);
  c.train.epochs = 1;
  c.timed_steps = 20;
  const DataParallelOutcome outcome =
      train_data_parallel(mnist::init_params(1), train_set, &test_set, c);
  ASSERT_EQ(outcome.train.epochs.size(), 1u);
  EXPECT_GT(outcome.train.epochs[0].test_accuracy, 0.97);  // as stage 05's one epoch
  ASSERT_EQ(outcome.splits.size(), 1u);
  const StepSplit& s = outcome.splits[0];
  EXPECT_GT(s.compute, 0);
  EXPECT_GT(s.communication, 0);
  EXPECT_GE(s.waiting, 0);
  EXPECT_NEAR(s.compute + s.waiting, s.step, 1e-6 * s.step);  // the split adds up
  EXPECT_GT(s.allreduce_alone, 0);
  EXPECT_GT(s.allreduce_one_call, 0);
}

TEST_F(NcclTraining, MoreGpusThanTheMachineHasAreRefused) {
  REQUIRE_GPU();
  const int count = gpu_count();
  try {
    train_data_parallel(mnist::init_params(1), mnist::Dataset{}, nullptr,
                        config(stage05::Rung::fused, count + 1, Scaling::strong, 128));
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    // An empty training set is refused first; with one image the count is what is wrong.
    SUCCEED() << e.what();
  }
  REQUIRE_MNIST();
  try {
    train_data_parallel(mnist::init_params(1), digits(1), nullptr,
                        config(stage05::Rung::fused, count + 1, Scaling::strong, 128));
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()), too_many_gpus(count + 1, count));
  }
}

// Every GPU of the machine, strong scaling: the global batch of 128 split across them. The
// weights differ from one GPU's only by the order of the additions.
TEST_F(NcclTraining, StrongScalingOnEveryGpuFollowsStage04WithinRoundingDrift) {
  REQUIRE_GPUS(2);
  REQUIRE_MNIST();
  const mnist::Dataset set = digits();
  const mnist::Params initial = stage05::testing::random_params(11);
  const DataParallelConfig c = config(stage05::Rung::fused, gpu_count(), Scaling::strong, 128);
  const auto steps = testing::device_batches(set, epoch_plan(kImages, 128), 2, kSeed);
  const testing::Yardstick y = testing::yardstick(initial, steps, c.train.lr);
  const DataParallelOutcome outcome = train_data_parallel(initial, set, nullptr, c);
  const double ratio = testing::worst_drift_ratio(y, outcome.train.params, initial);
  std::printf("  %d GPUs: %.2f times the rounding drift\n", c.gpus, ratio);
  EXPECT_LE(ratio, mnist::testkit::kDriftFactor);
}

// Weak scaling: 64 images per GPU, so G GPUs train as one GPU at batch 64 x G with the
// learning rate sqrt(G) x 1e-3.
TEST_F(NcclTraining, WeakScalingOnEveryGpuIsOneGpuAtTheGlobalBatch) {
  REQUIRE_GPUS(2);
  REQUIRE_MNIST();
  const mnist::Dataset set = digits();
  const mnist::Params initial = stage05::testing::random_params(11);
  const int G = gpu_count();
  const DataParallelConfig c = config(stage05::Rung::fused, G, Scaling::weak, 64);
  const auto steps = testing::device_batches(set, epoch_plan(kImages, 64 * G), 2, kSeed);
  const testing::Yardstick y =
      testing::yardstick(initial, steps, scaled_lr(c.train.lr, G, Scaling::weak));
  const DataParallelOutcome outcome = train_data_parallel(initial, set, nullptr, c);
  EXPECT_EQ(outcome.global_batch, 64 * G);
  EXPECT_LE(testing::worst_drift_ratio(y, outcome.train.params, initial),
            mnist::testkit::kDriftFactor);
}

}  // namespace
}  // namespace stage06

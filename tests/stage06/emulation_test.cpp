// G ranks on one GPU, with no NCCL: every rank's share of a step runs in its own workspace
// (rank_step.h, exactly what the NCCL trainer runs), the ranks' gradients and losses are
// summed in rank order with their factors by a plain device sum (shard_sum.h), and every
// rank applies Adam. This checks on the one GPU we have what the all-reduce cannot: which
// rows each rank takes, the dropout rows of its mask, and the factors that make the sum the
// global batch's mean. Two mistakes are made on purpose to see them caught.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "05_cuda/cuda_check.h"
#include "05_cuda/device_buffer.h"
#include "05_cuda/param_layout.h"
#include "05_cuda/trainer.h"
#include "06_multi_gpu/rank_step.h"
#include "gpu_test_support.h"
#include "shard_sum.h"
#include "stage06_test_support.h"
#include "tests/support/test_support.h"

namespace stage06 {
namespace {

using mnist::testkit::TrainingRun;
using stage05::layout::kTotal;

constexpr int kBatch = 128;
constexpr int kEpochs = 2;  // the second epoch's shuffle and clock too
constexpr uint64_t kSeed = 7;
constexpr float kLearningRate = 1e-3f;

// A mistake the emulation can make on purpose.
enum class Fault {
  none,
  masks_from_row_zero,  // every shard draws the dropout rows 0..n-1 of the batch
  equal_factors,        // every rank's gradient weighted 1/G, whatever its rows
};

struct Emulated {
  TrainingRun run;                     // the global batches' losses, rank 0's weights
  std::vector<mnist::Params> weights;  // every rank's
};

// `ranks` ranks emulated on one GPU over kEpochs epochs of `set`.
Emulated emulate(const mnist::Params& initial, const mnist::Dataset& set, int ranks,
                 stage05::Rung rung, Fault fault = Fault::none, int epochs = kEpochs) {
  stage05::set_kernel_attributes(rung);
  const stage05::DeviceDataset train(set);
  const EpochPlan plan = epoch_plan(set.size(), kBatch);
  std::vector<std::unique_ptr<stage05::Workspace>> ws;
  for (int r = 0; r < ranks; ++r) {
    ws.push_back(std::make_unique<stage05::Workspace>(largest_shard(plan, ranks)));
    ws.back()->params.upload(stage05::flatten(initial));
  }
  stage05::DeviceBuffer<float> total(kTotal), total_loss(1);
  const cudaStream_t stream = nullptr;
  Emulated out;
  for (int epoch = 0; epoch < epochs; ++epoch) {
    for (int s = 0; s < plan.steps; ++s) {
      std::vector<RankStep> steps;
      for (int r = 0; r < ranks; ++r) {
        steps.push_back(rank_step(rung, *ws[size_t(r)], train, plan, s, r, ranks, kSeed,
                                  stage04::AdamConfig{kLearningRate}));
        RankStep& st = steps.back();
        if (fault == Fault::equal_factors) st.scale = 1.0f / ranks;
        stage05::Plan dense = st.dense;
        if (fault == Fault::masks_from_row_zero && st.shard.count > 0) {
          // The first launch gathers the shard (rank_step.h); this one draws the mask rows
          // of the wrong part of the batch.
          if (dense.front().name.find("gather") == std::string::npos) {
            throw std::logic_error("rank_step's first launch is not the gather");
          }
          auto source = shard_source(train, plan, s, st.shard, kSeed);
          source.row_offset = 0;
          stage05::Workspace& w = *ws[size_t(r)];
          const int n = st.shard.count;
          dense.front().enqueue = [&w, source, n](cudaStream_t st_) {
            stage05::fused::prepare_batch(source, n, w.clock.data(), true, w.images.data(),
                                          w.labels.data(), w.mask.data(), st_);
          };
        }
        stage05::enqueue(dense, stream);
        stage05::enqueue(st.conv, stream);
      }
      for (int r = 0; r < ranks; ++r) {
        const float scale = steps[size_t(r)].scale;
        testing::scaled_add(total.data(), ws[size_t(r)]->grads.data(), scale, kTotal, r == 0,
                            stream);
        testing::scaled_add(total_loss.data(), ws[size_t(r)]->loss.data(), scale, 1, r == 0,
                            stream);
      }
      for (int r = 0; r < ranks; ++r) {
        stage05::Workspace& w = *ws[size_t(r)];
        CUDA_CHECK(cudaMemcpyAsync(w.grads.data(), total.data(), total.bytes(),
                                   cudaMemcpyDeviceToDevice, stream));
        CUDA_CHECK(cudaMemcpyAsync(w.loss.data(), total_loss.data(), sizeof(float),
                                   cudaMemcpyDeviceToDevice, stream));
        stage05::enqueue(steps[size_t(r)].update, stream);
      }
      CUDA_CHECK(cudaStreamSynchronize(stream));
      out.run.losses.push_back(total_loss.to_host()[0]);
    }
  }
  for (auto& w : ws) out.weights.push_back(stage05::unflatten(w->params.to_host()));
  out.run.params = stage05::unflatten(ws.front()->params.to_host());
  return out;
}

// Stage 05's trainer on the same data, rung and seed (one GPU, the whole batch).
mnist::Params stage05_weights(const mnist::Params& initial, const mnist::Dataset& set,
                              stage05::Rung rung) {
  return stage05::train(initial, set, nullptr, {rung, kEpochs, kBatch, kLearningRate, kSeed})
      .params;
}

mnist::Dataset digits(int count) {
  return mnist::load_mnist(mnist::testkit::data_dir(), mnist::Split::train, count);
}

TEST(Buckets, WriteWhatStage05sGradientPlanWrites) {
  REQUIRE_GPU();
  REQUIRE_MNIST();
  for (stage05::Rung rung : {stage05::Rung::fused, stage05::Rung::tensor}) {
    SCOPED_TRACE(stage05::rung_name(rung));
    stage05::set_kernel_attributes(rung);
    const stage05::DeviceDataset train(digits(300));
    const EpochPlan plan = epoch_plan(300, kBatch);
    stage05::Workspace ws(kBatch);
    ws.params.upload(stage05::flatten(stage05::testing::random_params(5)));
    const auto source = shard_source(train, plan, 0, shard_of(kBatch, 1, 0), kSeed);
    stage05::fused::prepare_batch(source, kBatch, ws.clock.data(), true, ws.images.data(),
                                  ws.labels.data(), ws.mask.data(), nullptr);
    const auto gradients = [&] {
      stage05::enqueue(stage05::gradient_plan(rung, ws, kBatch, true), nullptr);
      return ws.grads.to_host();
    };
    const std::vector<float> whole = gradients();
    const std::vector<float> loss = ws.loss.to_host();
    // Every sum of the step is added in a fixed order, so stage 05 repeats itself exactly.
    EXPECT_EQ(testing::count_different_bits(gradients(), whole), 0) << "run twice";
    CUDA_CHECK(cudaMemset(ws.grads.data(), 0xFF, ws.grads.bytes()));  // NaN: nothing left over
    CUDA_CHECK(cudaMemset(ws.loss.data(), 0xFF, ws.loss.bytes()));
    const stage05::GradientBuckets buckets =
        stage05::bucketed_gradient_plan(rung, ws, kBatch, true);
    stage05::enqueue(buckets.dense, nullptr);
    stage05::enqueue(buckets.conv, nullptr);
    const std::vector<float> bucketed = ws.grads.to_host();
    EXPECT_EQ(testing::count_different_bits(ws.loss.to_host(), loss), 0);
    EXPECT_EQ(testing::count_different_bits(bucketed, whole), 0);  // both buckets, every bit
  }
}

TEST(ShardGather, EachShardGathersItsRowsAndMaskOfTheWholeBatch) {
  REQUIRE_GPU();
  REQUIRE_MNIST();
  const stage05::DeviceDataset train(digits(300));
  const EpochPlan plan = epoch_plan(300, kBatch);
  constexpr int kRanks = 3;  // shards of 43, 43 and 42 rows
  // Global step 4 is step 1 of epoch 1: another shuffle than epoch 0's, another mask.
  const stage05::StepClock clock{4, 0.0};
  const auto gather = [&](stage05::Workspace& ws, const Shard& shard) {
    ws.clock.upload(std::span(&clock, 1));
    stage05::fused::prepare_batch(shard_source(train, plan, 1, shard, kSeed), shard.count,
                                  ws.clock.data(), true, ws.images.data(), ws.labels.data(),
                                  ws.mask.data(), nullptr);
  };
  stage05::Workspace whole(kBatch);
  gather(whole, shard_of(kBatch, 1, 0));
  const std::vector<float> images = whole.images.to_host(), mask = whole.mask.to_host();
  const std::vector<int> labels = whole.labels.to_host();
  for (int r = 0; r < kRanks; ++r) {
    const Shard shard = shard_of(kBatch, kRanks, r);
    stage05::Workspace ws(shard.count);
    gather(ws, shard);
    const auto rows = [&](const std::vector<float>& v, int width) {
      return std::span(v).subspan(size_t(shard.begin) * width, size_t(shard.count) * width);
    };
    EXPECT_EQ(testing::count_different_bits(ws.images.to_host(), rows(images, 784)), 0) << r;
    EXPECT_EQ(testing::count_different_bits(ws.mask.to_host(), rows(mask, 1600)), 0) << r;
    const std::vector<int> shard_labels = ws.labels.to_host();
    EXPECT_TRUE(std::equal(shard_labels.begin(), shard_labels.end(), labels.begin() + shard.begin))
        << r;
  }
}

// One rank, one step (128 images, one epoch): every weight is stage 05's bit for bit (every
// sum has a fixed order, and Adam is the same arithmetic whether fused with the sums or not).
// Then two epochs of three steps, within rounding drift of stage 04.
TEST(Emulation, OneRankIsStage05) {
  REQUIRE_GPU();
  REQUIRE_MNIST();
  const mnist::Params initial = stage05::testing::random_params(11);
  for (stage05::Rung rung : {stage05::Rung::fused, stage05::Rung::tensor}) {
    SCOPED_TRACE(stage05::rung_name(rung));
    const mnist::Dataset one_batch = digits(kBatch);
    const mnist::Params emulated = emulate(initial, one_batch, 1, rung, Fault::none, 1).run.params;
    const mnist::Params one_gpu =
        stage05::train(initial, one_batch, nullptr, {rung, 1, kBatch, kLearningRate, kSeed}).params;
    testing::expect_same_bits(emulated, one_gpu);
  }
  const mnist::Dataset set = digits(300);
  const auto steps = testing::device_batches(set, epoch_plan(300, kBatch), kEpochs, kSeed);
  const testing::Yardstick y = testing::yardstick(initial, steps, kLearningRate);
  const Emulated emulated = emulate(initial, set, 1, stage05::Rung::fused);
  mnist::testkit::expect_within_drift(y.reference, emulated.run, y.noisy, initial, "one rank");
}

// G ranks, a training set (its last batch sets the shards of the last step).
struct Case {
  int ranks;
  int images;
};
void PrintTo(const Case& c, std::ostream* out) {
  *out << c.ranks << " ranks, " << c.images << " images";
}

class EmulatedRanks : public ::testing::TestWithParam<Case> {};

TEST_P(EmulatedRanks, FollowStage04WithinRoundingDriftAndAgree) {
  REQUIRE_GPU();
  REQUIRE_MNIST();
  const Case c = GetParam();
  const mnist::Dataset set = digits(c.images);
  const mnist::Params initial = stage05::testing::random_params(11);
  const auto steps = testing::device_batches(set, epoch_plan(c.images, kBatch), kEpochs, kSeed);
  const testing::Yardstick y = testing::yardstick(initial, steps, kLearningRate);

  const Emulated emulated = emulate(initial, set, c.ranks, stage05::Rung::fused);
  // Every rank applied the same sum to the same weights: the same bits everywhere.
  for (const mnist::Params& w : emulated.weights) testing::expect_same_bits(w, emulated.run.params);
  // The shards' sums differ from one GPU's only in their order of additions: as close to
  // stage 04 as rounding takes a float32 run (rounding_drift.h), and so to stage 05, which
  // is held to the same yardstick.
  const double weights = testing::worst_drift_ratio(y, emulated.run.params, initial);
  const double losses = testing::worst_loss_drift_ratio(y, emulated.run.losses, c.ranks);
  std::printf("  %d ranks: weights %.2g, losses %.2g times the rounding drift\n", c.ranks, weights,
              losses);
  EXPECT_LE(weights, mnist::testkit::kDriftFactor);
  EXPECT_LE(losses, mnist::testkit::kDriftFactor);
  const mnist::Params one_gpu = stage05_weights(initial, set, stage05::Rung::fused);
  EXPECT_LE(testing::worst_drift_ratio(y, one_gpu, initial), mnist::testkit::kDriftFactor);
}

// 128 = 64 + 64 and 44 = 22 + 22; 43 + 43 + 42 and 15 + 15 + 14, factors that are not 1/3;
// 258 images end with a batch of 2, which leaves rank 2 of 3 without rows.
INSTANTIATE_TEST_SUITE_P(Shards, EmulatedRanks,
                         ::testing::Values(Case{2, 300}, Case{3, 300}, Case{4, 300}, Case{3, 258}),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return std::to_string(info.param.ranks) + "_ranks_" +
                                  std::to_string(info.param.images) + "_images";
                         });

TEST(Emulation, WrongMaskRowsOrWrongFactorsAreCaught) {
  REQUIRE_GPU();
  REQUIRE_MNIST();
  const mnist::Dataset set = digits(300);
  const mnist::Params initial = stage05::testing::random_params(11);
  const auto steps = testing::device_batches(set, epoch_plan(300, kBatch), kEpochs, kSeed);
  const testing::Yardstick y = testing::yardstick(initial, steps, kLearningRate);
  for (Fault fault : {Fault::masks_from_row_zero, Fault::equal_factors}) {
    const Emulated wrong = emulate(initial, set, 3, stage05::Rung::fused, fault);
    // Caught when the weights or the losses leave the band that rounding allows.
    const double weights = testing::worst_drift_ratio(y, wrong.run.params, initial);
    const double losses = testing::worst_loss_drift_ratio(y, wrong.run.losses, 3);
    std::printf("  fault %d: weights %.1f, losses %.1f times the rounding drift\n",
                static_cast<int>(fault), weights, losses);
    EXPECT_GT(std::max(weights, losses), mnist::testkit::kDriftFactor)
        << "fault " << static_cast<int>(fault);
  }
}

}  // namespace
}  // namespace stage06

// The GPU's shuffle and dropout mask: host checks of the arithmetic (these run everywhere),
// a GPU check that prepare_batch gathers exactly what that arithmetic names, and one that
// the training step whose conv1 kernel draws the batch itself computes what prepare_batch
// followed by the step computes.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <vector>

#include "05_cuda/cuda_check.h"
#include "05_cuda/device_dataset.h"
#include "05_cuda/device_random.h"
#include "05_cuda/fused_kernels.h"
#include "05_cuda/param_layout.h"
#include "05_cuda/plans.h"
#include "05_cuda/sizes.h"
#include "05_cuda/workspace.h"
#include "gpu_test_support.h"

namespace stage05 {
namespace {

TEST(ShufflePermutation, VisitsEveryElementExactlyOnce) {
  // Sizes at, just above and just below the Feistel network's powers of four.
  for (uint32_t n : {1u, 2u, 3u, 4u, 5u, 17u, 1000u, 4096u, 4097u, 60000u}) {
    const ShufflePermutation order = ShufflePermutation::make(n, derive_key(1, 2, 0));
    std::vector<int> hits(n, 0);
    for (uint32_t i = 0; i < n; ++i) {
      const uint32_t e = order(i);
      ASSERT_LT(e, n) << "n=" << n;
      ++hits[e];
    }
    EXPECT_TRUE(std::all_of(hits.begin(), hits.end(), [](int h) { return h == 1; })) << "n=" << n;
  }
}

TEST(ShufflePermutation, EachEpochHasItsOwnOrder) {
  const uint32_t n = 60000;
  const ShufflePermutation a = ShufflePermutation::make(n, derive_key(1, 2, 0));
  const ShufflePermutation b = ShufflePermutation::make(n, derive_key(1, 2, 1));
  int same = 0, fixed = 0;
  for (uint32_t i = 0; i < n; ++i) {
    same += a(i) == b(i);
    fixed += a(i) == i;
  }
  // Two independent random orders agree at about 1 place in n, as does one with identity.
  EXPECT_LT(same, 20);
  EXPECT_LT(fixed, 20);
}

TEST(ShufflePermutation, SpreadsNeighboursApart) {
  // A batch must mix the whole set: the first 128 positions should land all over it,
  // about as many in each tenth of the set as chance gives (12.8; allow 0..30).
  const uint32_t n = 60000;
  const ShufflePermutation order = ShufflePermutation::make(n, derive_key(7, 2, 3));
  std::vector<int> tenths(10, 0);
  for (uint32_t i = 0; i < 128; ++i) ++tenths[order(i) * 10 / n];
  for (int t : tenths) EXPECT_LE(t, 30);
}

TEST(DropoutMask, KeepsAboutHalf) {
  // 1.6 M draws: the kept fraction is 0.5 within a few standard deviations (0.0004 each).
  int64_t kept = 0;
  const int64_t count = 1000 * 1600;
  for (int64_t i = 0; i < count; ++i) kept += dropout_keeps(5, 17, uint64_t(i));
  EXPECT_NEAR(double(kept) / count, 0.5, 0.002);
}

TEST(DropoutMask, DiffersFromStepToStep) {
  int same = 0;
  for (uint64_t i = 0; i < 10000; ++i) same += dropout_keeps(5, 1, i) == dropout_keeps(5, 2, i);
  EXPECT_NEAR(same, 5000, 300);  // independent bits agree half the time
}

TEST(PrepareBatch, GathersTheShuffledImagesAndDrawsTheMask) {
  REQUIRE_GPU();
  // A set whose every pixel says which image it belongs to.
  const int n = 300, batch = 64, steps = (n + batch - 1) / batch;
  mnist::Dataset set{mnist::Tensor({n, 1, 28, 28}), std::vector<int>(size_t(n))};
  for (int i = 0; i < n; ++i) {
    set.labels[size_t(i)] = i % 10;
    for (int p = 0; p < sizes::kImage; ++p)
      set.images[int64_t(i) * sizes::kImage + p] = i + p * 1e-3f;
  }
  const DeviceDataset gpu_set(set);
  Workspace ws(batch);
  const uint64_t seed = 99;
  // Global step 6 (the clock at 4, this step 2 further into the graph) is step 1 of
  // epoch 1 (5 steps per epoch).
  const StepClock clock{4, 0.0};
  ws.clock.upload(std::span(&clock, 1));
  const int begin = 1 * batch;
  const fused::BatchSource source{
      gpu_set.images.data(), gpu_set.labels.data(), n, steps, begin, seed, 2, 0};
  fused::prepare_batch(source, batch, ws.clock.data(), true, ws.images.data(), ws.labels.data(),
                       ws.mask.data(), nullptr);
  CUDA_CHECK(cudaDeviceSynchronize());

  const std::vector<float> images = ws.images.to_host();
  const std::vector<int> labels = ws.labels.to_host();
  const std::vector<float> mask = ws.mask.to_host();
  const ShufflePermutation order = ShufflePermutation::make(n, derive_key(seed, 2, 1));
  for (int r = 0; r < batch; ++r) {
    const int src = int(order(uint32_t(begin + r)));
    ASSERT_EQ(labels[size_t(r)], src % 10) << "row " << r;
    for (int p = 0; p < sizes::kImage; p += 97)
      ASSERT_EQ(images[size_t(r) * sizes::kImage + size_t(p)],
                set.images[int64_t(src) * sizes::kImage + p]);
  }
  for (int i = 0; i < batch * mnist::net::kFlat; ++i)
    ASSERT_EQ(mask[size_t(i)], dropout_keeps(seed, 6, uint64_t(i)) ? 2.0f : 0.0f) << i;
}

// Rungs 3 and 4 train on a batch that conv1's kernel draws itself (gather_conv1_relu_pool).
// Two steps each way, from the same parameters, on random images: each step's batch (images,
// labels, mask) must be the same bits, and so must every parameter after each step, and
// after the first step the activations and the loss.
class GatherInConv1 : public ::testing::TestWithParam<Rung> {};

TEST_P(GatherInConv1, TrainsAsPrepareBatchThenTheStep) {
  REQUIRE_GPU();
  const int n = 300, batch = 64, steps = (n + batch - 1) / batch;
  mnist::Dataset set{testing::random_images(n, 7), std::vector<int>(size_t(n))};
  for (int i = 0; i < n; ++i) set.labels[size_t(i)] = (i * 7) % 10;
  const DeviceDataset gpu_set(set);
  const std::vector<float> initial = flatten(testing::random_params(3));
  const stage04::AdamConfig adam{};
  set_kernel_attributes(GetParam());

  Workspace separate(batch), folded(batch);
  const StepClock clock{6, 0.0};  // epoch 1, so the shuffle is not epoch 0's
  for (Workspace* ws : {&separate, &folded}) {
    ws->params.upload(initial);
    ws->clock.upload(std::span(&clock, 1));
    // A fresh allocation may still hold the batch an earlier test drew (the same draw, if
    // it was the other rung's run): every byte 0xFF, NaNs and -1s, so that a kernel that
    // leaves a buffer unwritten fails the comparisons below.
    CUDA_CHECK(cudaMemset(ws->images.data(), 0xFF, ws->images.bytes()));
    CUDA_CHECK(cudaMemset(ws->labels.data(), 0xFF, ws->labels.bytes()));
    CUDA_CHECK(cudaMemset(ws->mask.data(), 0xFF, ws->mask.bytes()));
  }
  for (int s = 0; s < 2; ++s) {  // steps 1 and 2 of the epoch: begin and step_offset move
    const fused::BatchSource source{
        gpu_set.images.data(), gpu_set.labels.data(), n, steps, (s + 1) * batch, 99, s, 0};
    fused::prepare_batch(source, batch, separate.clock.data(), true, separate.images.data(),
                         separate.labels.data(), separate.mask.data(), nullptr);
    enqueue(training_plan(GetParam(), separate, batch, true, adam, s), nullptr);
    enqueue(training_plan(GetParam(), folded, source, batch, adam), nullptr);
    CUDA_CHECK(cudaDeviceSynchronize());
    EXPECT_EQ(separate.images.to_host(), folded.images.to_host()) << "step " << s;
    EXPECT_EQ(separate.labels.to_host(), folded.labels.to_host()) << "step " << s;
    EXPECT_EQ(separate.mask.to_host(), folded.mask.to_host()) << "step " << s;
    // Every kernel adds its terms in a fixed order (no atomic adds), so the two runs agree
    // to the bit: every parameter after each step of Adam.
    EXPECT_EQ(separate.params.to_host(), folded.params.to_host()) << "step " << s;
    if (s > 0) continue;
    EXPECT_EQ(separate.pool1_out.to_host(), folded.pool1_out.to_host());
    EXPECT_EQ(separate.pool1_arg.to_host(), folded.pool1_arg.to_host());
    EXPECT_EQ(separate.logits.to_host(), folded.logits.to_host());
    EXPECT_EQ(separate.loss.to_host(), folded.loss.to_host());
  }
}

INSTANTIATE_TEST_SUITE_P(DeviceRungs, GatherInConv1, ::testing::Values(Rung::fused, Rung::tensor),
                         testing::rung_label);

}  // namespace
}  // namespace stage05

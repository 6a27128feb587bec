// Stage 04 trains as PyTorch does, step by step: the same initial weights, the same
// shuffled batches (the last of every epoch a partial one), no dropout, Adam in Keras's form
// on both sides (reference/pytorch_mnist.py steps). Every step's loss and the final
// weights must agree within what float32 rounding explains. Skipped where PyTorch is not
// installed; CI installs it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "04_backprop/adam.h"
#include "04_backprop/train_step.h"
#include "04_backprop/trainer.h"
#include "common/mnist.h"
#include "common/rng.h"
#include "common/safetensors.h"
#include "tests/support/test_support.h"

namespace {

constexpr const char* kPython = "/usr/bin/python3";  // Debian's python3-torch installs here

// 1,210 images in batches of 128 are 9 full batches and one of 58: five epochs are the 50
// steps, and five of them are partial batches.
constexpr int kImages = 1210;
constexpr int kBatch = 128;
constexpr int kEpochs = 5;
constexpr int kSteps = 50;

bool have_pytorch() {
  const std::string probe = std::string(kPython) + " -c 'import torch, numpy' >/dev/null 2>&1";
  return std::system(probe.c_str()) == 0;
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// One training run: the loss of every step, and the final weights.
struct TrainRun {
  std::vector<double> losses;
  mnist::Params params;
};

TrainRun run_pytorch(const mnist::testkit::TempDir& dir) {
  const std::string command =
      std::string(kPython) + " " + MNIST_REPO_DIR + "/reference/pytorch_mnist.py steps --data " +
      mnist::testkit::data_dir().string() + " --limit " + std::to_string(kImages) +
      " --epochs " + std::to_string(kEpochs) + " --batch " + std::to_string(kBatch) +
      " --seed 1 --threads 2 --losses " + (dir / "losses.txt").string() + " --weights " +
      (dir / "torch.safetensors").string() + " > " + (dir / "log.txt").string() + " 2>&1";
  TrainRun run;
  if (std::system(command.c_str()) != 0) {
    ADD_FAILURE() << command << " failed:\n" << read_text(dir / "log.txt");
    return run;
  }
  std::ifstream losses(dir / "losses.txt");
  for (double loss; losses >> loss;) run.losses.push_back(loss);
  run.params = mnist::load_params(dir / "torch.safetensors");
  return run;
}

// How much to nudge the weights before every step of the rounding-noise run. Backward error
// analysis: a float32 sum of K terms, in any order, is the exact sum of the terms each
// changed by a relative gamma_K at worst, and by about sqrt(K) u (u = 2^-24) typically, as
// the roundings' signs are mixed. The longest sums of a step are conv1's weight gradients,
// K = 128 images x 676 positions = 86,528 terms: sqrt(K) u = 1.8e-5.
const float kRoundingNudge = static_cast<float>(std::sqrt(double{kBatch} * 676) * 0x1p-24);

/// Stage 04's steps with every weight nudged by kRoundingNudge (random sign) before each
/// step: the computation of stage04::train with differences of the size a different order
/// of float32 additions makes, injected at every step as that order injects them.
TrainRun train_with_rounding_noise(const mnist::Dataset& set, const stage04::TrainConfig& config) {
  TrainRun run{{}, mnist::init_params(config.seed)};
  stage04::Adam adam({.lr = config.lr});
  mnist::Params grads;
  mnist::Rng noise(12345);
  const int n = set.size();
  for (int epoch = 1; epoch <= config.epochs; ++epoch) {
    const std::vector<int> order = mnist::shuffled_indices(n, stage04::shuffle_seed(config.seed, epoch));
    for (int begin = 0; begin < n; begin += config.batch) {
      const mnist::Batch batch =
          mnist::gather_batch(set, order, begin, std::min(config.batch, n - begin));
      for (auto [name, tensor] : run.params.list())
        for (float& w : tensor->values()) w *= 1.0f + ((noise.next_u64() & 1) ? kRoundingNudge : -kRoundingNudge);
      run.losses.push_back(stage04::loss_and_gradients(run.params, batch.images, batch.labels,
                                                       mnist::Tensor(), grads));
      adam.step(run.params, grads);
    }
  }
  return run;
}

/// ||a - b|| / ||b - start|| for one tensor: how far apart the runs ended, as a fraction of
/// how far training moved the weights.
double weight_difference(const mnist::Tensor& a, const mnist::Tensor& b, const mnist::Tensor& start) {
  double diff = 0, moved = 0;
  for (int64_t i = 0; i < a.size(); ++i) {
    diff += (double{a[i]} - b[i]) * (double{a[i]} - b[i]);
    moved += (double{b[i]} - start[i]) * (double{b[i]} - start[i]);
  }
  return std::sqrt(diff / moved);
}

}  // namespace

TEST(TrainingAgreement, Stage04FollowsPyTorchStepByStep) {
  if (!have_pytorch()) {
    GTEST_SKIP() << "PyTorch is not installed for " << kPython
                 << " (apt-get install python3-torch): test not run";
  }
  REQUIRE_MNIST();
  mnist::testkit::TempDir dir;
  const TrainRun torch = run_pytorch(dir);
  ASSERT_EQ(torch.losses.size(), size_t{kSteps});

  const mnist::Dataset train_set =
      mnist::load_mnist(mnist::testkit::data_dir(), mnist::Split::train, kImages);
  const stage04::TrainConfig config{
      .epochs = kEpochs, .batch = kBatch, .lr = 1e-3f, .seed = 1, .dropout = false};
  TrainRun ours{{}, mnist::init_params(config.seed)};
  const mnist::Params initial = ours.params.clone();
  stage04::train(ours.params, train_set, nullptr, config,
                 {[&](const stage04::StepProgress& p) { ours.losses.push_back(p.loss); }, {}});
  ASSERT_EQ(ours.losses.size(), size_t{kSteps});
  const TrainRun noisy = train_with_rounding_noise(train_set, config);

  // The tolerance. At step 1 the weights are the same, so the losses differ by the forward
  // pass's rounding alone (logit_bound.h). From then on every step's rounding differences
  // move the weights a little apart, and Adam, which divides each gradient by its own
  // running size, turns a gradient made of rounding noise into a full step of random sign:
  // the runs drift apart as training goes on, by an amount no formula gives in advance. So
  // it is measured: `noisy` is stage 04 itself with rounding-sized differences injected at
  // every step. PyTorch, differing from stage 04 only in the order of its float32
  // additions, must stay within ten times that drift (one order of magnitude: the drift is
  // one sample of a random process). A wrong step (a batch one image short, Adam without
  // its bias correction) moves the weights by orders of magnitude more.
  constexpr double kDriftFactor = 10;
  double drift = 0;  // the rounding-noise run's largest relative loss difference so far
  for (int s = 0; s < kSteps; ++s) {
    const double ours_loss = ours.losses[size_t(s)];
    const double torch_loss = torch.losses[size_t(s)];
    const double noisy_loss = noisy.losses[size_t(s)];
    drift = std::max(drift, std::abs(noisy_loss - ours_loss) / ours_loss);
    const double difference = std::abs(torch_loss - ours_loss) / ours_loss;
    std::printf("    step %2d  loss %.7f  pytorch %.7f (%.1e)  rounding noise %.7f (%.1e)\n",
                s + 1, ours_loss, torch_loss, difference, noisy_loss, drift);
    EXPECT_LE(difference, kDriftFactor * drift) << "step " << s + 1;
  }

  const auto a = ours.params.list();
  const auto t = torch.params.list();
  const auto z = noisy.params.list();
  const auto start = initial.list();
  for (size_t i = 0; i < a.size(); ++i) {
    const double torch_diff = weight_difference(*t[i].tensor, *a[i].tensor, *start[i].tensor);
    const double noise_diff = weight_difference(*z[i].tensor, *a[i].tensor, *start[i].tensor);
    std::printf("  %-13s weights apart by %.2e of their training move (rounding noise %.2e)\n",
                std::string(a[i].name).c_str(), torch_diff, noise_diff);
    EXPECT_LE(torch_diff, kDriftFactor * noise_diff) << a[i].name;
  }
}

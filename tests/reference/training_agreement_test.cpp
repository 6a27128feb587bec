// Stage 04 trains as PyTorch does, step by step: the same initial weights, the same
// shuffled batches (the last of every epoch a partial one), no dropout, Adam in Keras's form
// on both sides (reference/pytorch_mnist.py steps). Every step's loss and the final
// weights must stay within ten times the drift that rounding alone causes
// (tests/support/rounding_drift.h). Skipped where PyTorch is not installed; CI installs it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "04_backprop/trainer.h"
#include "common/mnist.h"
#include "common/safetensors.h"
#include "tests/support/rounding_drift.h"
#include "tests/support/test_support.h"

namespace {

using mnist::testkit::TrainingRun;

constexpr const char* kPython = "/usr/bin/python3";  // Debian's python3-torch installs here

// 1,157 images in batches of 128 are 9 full batches and one of 5: five epochs are the 50
// steps, and five of them are partial batches. A small last batch is the one a mistake in
// its size changes most: one image more or less moves its mean loss by a fifth.
constexpr int kImages = 1157;
constexpr int kBatch = 128;
constexpr int kEpochs = 5;
constexpr int kSteps = 50;
constexpr float kLearningRate = 1e-3f;
constexpr uint64_t kSeed = 1;

bool have_pytorch() {
  const std::string probe = std::string(kPython) + " -c 'import torch, numpy' >/dev/null 2>&1";
  return std::system(probe.c_str()) == 0;
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TrainingRun run_pytorch(const mnist::testkit::TempDir& dir) {
  const std::string command =
      std::string(kPython) + " " + MNIST_REPO_DIR + "/reference/pytorch_mnist.py steps --data " +
      mnist::testkit::data_dir().string() + " --limit " + std::to_string(kImages) + " --epochs " +
      std::to_string(kEpochs) + " --batch " + std::to_string(kBatch) + " --seed " +
      std::to_string(kSeed) + " --threads 2 --losses " + (dir / "losses.txt").string() +
      " --weights " + (dir / "torch.safetensors").string() + " > " + (dir / "log.txt").string() +
      " 2>&1";
  TrainingRun run;
  if (std::system(command.c_str()) != 0) {
    ADD_FAILURE() << command << " failed:\n" << read_text(dir / "log.txt");
    return run;
  }
  std::ifstream losses(dir / "losses.txt");
  for (double loss; losses >> loss;) run.losses.push_back(loss);
  run.params = mnist::load_params(dir / "torch.safetensors");
  return run;
}

/// The batches stage04::train takes, in its order, for the yardstick runs.
std::vector<mnist::testkit::TrainingStep> trainer_batches(const mnist::Dataset& set) {
  std::vector<mnist::testkit::TrainingStep> steps;
  const int n = set.size();
  for (int epoch = 1; epoch <= kEpochs; ++epoch) {
    const std::vector<int> order = mnist::shuffled_indices(n, stage04::shuffle_seed(kSeed, epoch));
    for (int begin = 0; begin < n; begin += kBatch) {
      mnist::Batch batch = mnist::gather_batch(set, order, begin, std::min(kBatch, n - begin));
      steps.push_back({std::move(batch.images), std::move(batch.labels), mnist::Tensor()});
    }
  }
  return steps;
}

}  // namespace

TEST(TrainingAgreement, Stage04FollowsPyTorchStepByStep) {
  if (!have_pytorch()) {
    GTEST_SKIP() << "PyTorch is not installed for " << kPython
                 << " (apt-get install python3-torch): test not run";
  }
  REQUIRE_MNIST();
  mnist::testkit::TempDir dir;
  const TrainingRun torch = run_pytorch(dir);
  ASSERT_EQ(torch.losses.size(), size_t{kSteps});

  // Stage 04's own training loop, so that its batching is what is compared.
  const mnist::Dataset set =
      mnist::load_mnist(mnist::testkit::data_dir(), mnist::Split::train, kImages);
  const mnist::Params initial = mnist::init_params(kSeed);
  TrainingRun ours{{}, initial.clone()};
  const stage04::TrainConfig config{
      .epochs = kEpochs, .batch = kBatch, .lr = kLearningRate, .seed = kSeed, .dropout = false};
  stage04::train(ours.params, set, nullptr, config,
                 {[&](const stage04::StepProgress& p) { ours.losses.push_back(p.loss); }, {}});
  ASSERT_EQ(ours.losses.size(), size_t{kSteps});

  // The yardstick: the plain loop of loss_and_gradients and Adam over the same batches,
  // once as it is and once with rounding-sized nudges (the longest sums of a step are
  // conv1's weight gradients, 128 images x 676 positions). stage04::train must follow the
  // plain loop (it does the same arithmetic, so it does to the last bit), and PyTorch within
  // ten times the drift.
  const std::vector<mnist::testkit::TrainingStep> batches = trainer_batches(set);
  const TrainingRun plain = mnist::testkit::train_stage04(initial, batches, kLearningRate);
  const TrainingRun noisy = mnist::testkit::train_stage04(
      initial, batches, kLearningRate, mnist::testkit::rounding_nudge(kBatch * 676));
  mnist::testkit::expect_within_drift(plain, ours, noisy, initial, "stage04::train");
  mnist::testkit::expect_within_drift(plain, torch, noisy, initial, "pytorch");
}

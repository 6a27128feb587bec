#include "05_cuda/trainer.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "04_backprop/trainer.h"
#include "05_cuda/cuda_check.h"
#include "05_cuda/device_dataset.h"
#include "05_cuda/fused_kernels.h"
#include "05_cuda/naive_kernels.h"
#include "05_cuda/param_layout.h"
#include "05_cuda/sizes.h"
#include "05_cuda/workspace.h"
#include "common/evaluate.h"
#include "common/timer.h"

namespace stage05 {

namespace {

constexpr int kEvalBatch = 1000;  // images per forward pass when evaluating

// A CUDA stream, and a graph built on it, freed when done (even on an exception).
struct Stream {
  cudaStream_t s = nullptr;
  Stream() { CUDA_CHECK(cudaStreamCreate(&s)); }
  ~Stream() { cudaStreamDestroy(s); }
};
struct Graph {
  cudaGraph_t graph = nullptr;
  cudaGraphExec_t exec = nullptr;
  ~Graph() {
    if (exec) cudaGraphExecDestroy(exec);
    if (graph) cudaGraphDestroy(graph);
  }
};

}  // namespace

double evaluate(Rung rung, Workspace& ws, const DeviceDataset& test, cudaStream_t stream) {
  int correct = 0;
  std::vector<int> labels(static_cast<size_t>(test.size));
  test.labels.download(labels);
  mnist::Tensor logits;
  for (int begin = 0; begin < test.size; begin += ws.capacity) {
    const int count = std::min(ws.capacity, test.size - begin);
    enqueue(forward_plan(rung, ws, test.images.data() + int64_t{begin} * sizes::kImage, count),
            stream);
    CUDA_CHECK(cudaStreamSynchronize(stream));
    logits = mnist::Tensor({count, mnist::net::kClasses});
    ws.logits.download(logits.values());
    const std::vector<int> predicted = mnist::predict(logits);
    for (int i = 0; i < count; ++i) correct += predicted[size_t(i)] == labels[size_t(begin + i)];
  }
  return test.size ? double(correct) / test.size : 0;
}

EpochReport end_of_epoch(int epoch, double seconds, int images, int steps, double& loss_before,
                         Rung rung, Workspace& ws, const DeviceDataset* test, cudaStream_t stream) {
  EpochReport report;
  report.epoch = epoch;
  report.seconds = seconds;
  report.images_per_second = images / seconds;
  const double loss_after = ws.clock.to_host()[0].loss_sum;
  report.loss = (loss_after - loss_before) / steps;
  loss_before = loss_after;
  if (!std::isfinite(report.loss)) {
    throw std::runtime_error("training diverged: the mean loss of epoch " + std::to_string(epoch) +
                             " is not finite");
  }
  if (test) {
    const mnist::Stopwatch watch;
    report.test_accuracy = evaluate(rung, ws, *test, stream);
    report.eval_seconds = watch.seconds();
  }
  return report;
}

TrainOutcome train(const mnist::Params& initial, const mnist::Dataset& train_set,
                   const mnist::Dataset* test_set, const TrainConfig& config,
                   const std::function<void(const EpochReport&)>& on_epoch) {
  if (config.epochs < 1 || config.batch < 1 || train_set.size() < 1) {
    throw std::invalid_argument(
        "train: need at least one epoch, one image per batch and one image");
  }
  const stage04::AdamConfig adam{config.lr};
  const int n = train_set.size(), B = std::min(config.batch, n);
  const int steps = (n + B - 1) / B;
  TrainOutcome outcome;

  mnist::Stopwatch watch;
  Stream stream;
  set_kernel_attributes(config.rung);
  Workspace ws(std::max(B, kEvalBatch));
  ws.params.upload(flatten(initial));
  // Rungs 3 and 4 keep the training set on the GPU; every rung evaluates on a copy there.
  std::optional<DeviceDataset> train_gpu;
  if (runs_on_device_data(config.rung)) train_gpu.emplace(train_set);
  std::optional<DeviceDataset> test_gpu;
  if (test_set) test_gpu.emplace(*test_set);
  outcome.upload_seconds = watch.seconds();

  // Rungs 1 and 2: the step for a full batch and for the smaller last one (when B does not
  // divide n), each followed by the clock's advance.
  std::map<int, Plan> step_plans;
  if (!runs_on_device_data(config.rung)) {
    for (int s = 0; s < steps; ++s) {
      const int count = std::min(B, n - s * B);
      if (step_plans.count(count)) continue;
      step_plans[count] = training_plan(config.rung, ws, count, true, adam);
      step_plans[count].push_back(advance_clock_launch(config.rung, ws, 1));
    }
  }

  Graph graph;
  if (runs_on_device_data(config.rung)) {
    watch.restart();
    CUDA_CHECK(cudaStreamBeginCapture(stream.s, cudaStreamCaptureModeThreadLocal));
    // Step s of the epoch reads the clock as it stood when the epoch began, plus s; the
    // clock moves on by a whole epoch at the end.
    for (int s = 0; s < steps; ++s) {
      const int count = std::min(B, n - s * B);
      const fused::BatchSource source{
          train_gpu->images.data(), train_gpu->labels.data(), n, steps, s * B, config.seed, s, 0};
      enqueue(training_plan(config.rung, ws, source, count, adam), stream.s);
    }
    advance_clock_launch(config.rung, ws, steps).enqueue(stream.s);
    CUDA_CHECK(cudaStreamEndCapture(stream.s, &graph.graph));
    CUDA_CHECK(cudaGraphInstantiate(&graph.exec, graph.graph, 0));
    CUDA_CHECK(cudaGraphUpload(graph.exec, stream.s));
    CUDA_CHECK(cudaStreamSynchronize(stream.s));
    outcome.graph_seconds = watch.seconds();
  }

  double loss_before = 0;
  for (int epoch = 0; epoch < config.epochs; ++epoch) {
    watch.restart();
    if (runs_on_device_data(config.rung)) {
      CUDA_CHECK(cudaGraphLaunch(graph.exec, stream.s));
    } else {
      // The way a framework's data loader feeds the GPU: shuffle and gather on the host,
      // copy each batch over (cudaMemcpy waits for the GPU to finish the previous step).
      const std::vector<int> order =
          mnist::shuffled_indices(n, stage04::shuffle_seed(config.seed, epoch));
      for (int s = 0; s < steps; ++s) {
        const int count = std::min(B, n - s * B);
        const mnist::Batch batch = mnist::gather_batch(train_set, order, s * B, count);
        ws.images.upload(batch.images.values());
        ws.labels.upload(batch.labels);
        naive::dropout_mask(ws.mask.data(), count * mnist::net::kFlat, config.seed, ws.clock.data(),
                            stream.s);
        enqueue(step_plans[count], stream.s);
      }
    }
    CUDA_CHECK(cudaStreamSynchronize(stream.s));
    const EpochReport report =
        end_of_epoch(epoch + 1, watch.seconds(), n, steps, loss_before, config.rung, ws,
                     test_gpu ? &*test_gpu : nullptr, stream.s);
    outcome.epochs.push_back(report);
    if (on_epoch) on_epoch(report);
  }
  outcome.params = unflatten(ws.params.to_host());
  return outcome;
}

}  // namespace stage05

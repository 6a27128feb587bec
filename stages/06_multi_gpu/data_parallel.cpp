#include "06_multi_gpu/data_parallel.h"

#include <nccl.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <exception>
#include <map>
#include <mutex>
#include <numeric>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>

#include "05_cuda/cuda_check.h"
#include "05_cuda/param_layout.h"
#include "05_cuda/workspace.h"
#include "06_multi_gpu/nvls_off.h"
#include "06_multi_gpu/rank_step.h"
#include "common/timer.h"

namespace stage06 {

namespace {

using stage05::layout::kTotal;

constexpr int kEvalBatch = 1000;  // images per forward pass when evaluating (as stage 05)

void check_nccl(ncclResult_t result, const char* call) {
  if (result != ncclSuccess) {
    throw std::runtime_error(std::string(call) + " failed: " + ncclGetErrorString(result));
  }
}
#define NCCL_CHECK(call) check_nccl((call), #call)

// CUDA objects that free themselves, even on an exception.
struct Stream {
  cudaStream_t s = nullptr;
  Stream() { CUDA_CHECK(cudaStreamCreate(&s)); }
  ~Stream() { cudaStreamDestroy(s); }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
};
struct Event {
  cudaEvent_t e = nullptr;
  explicit Event(bool timing = false) {
    CUDA_CHECK(cudaEventCreateWithFlags(&e, timing ? cudaEventDefault : cudaEventDisableTiming));
  }
  ~Event() { cudaEventDestroy(e); }
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
};
struct Graph {
  cudaGraph_t graph = nullptr;
  cudaGraphExec_t exec = nullptr;
  ~Graph() {
    if (exec) cudaGraphExecDestroy(exec);
    if (graph) cudaGraphDestroy(graph);
  }
};

// One communicator per GPU, made together by one thread (ncclCommInitAll).
struct Communicators {
  std::vector<ncclComm_t> comms;
  explicit Communicators(int ranks) : comms(size_t(ranks), nullptr) {
    std::vector<int> devices(static_cast<size_t>(ranks));
    std::iota(devices.begin(), devices.end(), 0);
    NCCL_CHECK(ncclCommInitAll(comms.data(), ranks, devices.data()));
  }
  ~Communicators() {
    for (ncclComm_t c : comms)
      if (c) ncclCommDestroy(c);
  }
};

// This rank's pre-multiplied sums: ncclRedOpCreatePreMulSum multiplies the rank's input by
// its own factor before the sum (sharding.h derives the factor). One operator per distinct
// global batch size, created in the same order on every rank, since the factor of a rank
// depends only on the batch's rows.
class ScaledSums {
 public:
  explicit ScaledSums(ncclComm_t comm) : comm_(comm) {}
  ~ScaledSums() {
    for (auto& [rows, op] : ops_) ncclRedOpDestroy(op, comm_);
  }
  ScaledSums(const ScaledSums&) = delete;
  ScaledSums& operator=(const ScaledSums&) = delete;
  void add(int rows, float scale) {
    if (ops_.count(rows)) return;
    ncclRedOp_t op;
    NCCL_CHECK(ncclRedOpCreatePreMulSum(&op, &scale, ncclFloat32, ncclScalarHostImmediate, comm_));
    ops_[rows] = op;
  }
  ncclRedOp_t op(int rows) const { return ops_.at(rows); }

 private:
  ncclComm_t comm_;
  std::map<int, ncclRedOp_t> ops_;
};

// Raised in the other ranks when one rank failed, so that every thread stops.
struct RankAborted {};

// What the rank threads share.
struct Shared {
  Shared(const DataParallelConfig& config_, const mnist::Params& initial_,
         const mnist::Dataset& train_set_, const mnist::Dataset* test_set_,
         const std::function<void(const stage05::EpochReport&)>& on_epoch_, EpochPlan plan_,
         float lr, const std::vector<ncclComm_t>& comms_, DataParallelOutcome& outcome_)
      : config(config_),
        initial(initial_),
        train_set(train_set_),
        test_set(test_set_),
        on_epoch(on_epoch_),
        plan(plan_),
        adam{lr},
        comms(comms_),
        outcome(outcome_),
        barrier(config_.gpus) {}

  const DataParallelConfig& config;
  const mnist::Params& initial;
  const mnist::Dataset& train_set;
  const mnist::Dataset* test_set;
  const std::function<void(const stage05::EpochReport&)>& on_epoch;
  EpochPlan plan;
  stage04::AdamConfig adam;
  const std::vector<ncclComm_t>& comms;
  DataParallelOutcome& outcome;
  std::barrier<> barrier;
  std::atomic<bool> failed{false};
  std::mutex error_mutex;
  std::exception_ptr error;

  // Waits for every rank; throws if one of them failed meanwhile.
  void sync() {
    barrier.arrive_and_wait();
    if (failed) throw RankAborted{};
  }
};

// The timestamps of one timed step: on the compute stream start, grads_done (both buckets'
// sums written) and end; on the comm stream the begin and end of each bucket's all-reduce.
struct StepEvents {
  Event start{true}, grads_done{true}, end{true};
  Event dense_begin{true}, dense_end{true}, conv_begin{true}, conv_end{true};
};

float ms_between(const Event& a, const Event& b) {
  float ms = 0;
  CUDA_CHECK(cudaEventElapsedTime(&ms, a.e, b.e));
  return ms;
}

class Rank {
 public:
  Rank(Shared& shared, int rank) : sh_(shared), rank_(rank), comm_(shared.comms[size_t(rank)]) {}

  void run() {
    stage05::set_kernel_attributes(rung());
    mnist::Stopwatch watch;
    const bool evaluates = rank_ == 0 && sh_.test_set;
    stage05::Workspace ws(std::max(largest_shard(sh_.plan, ranks()), evaluates ? kEvalBatch : 1));
    ws.params.upload(stage05::flatten(sh_.initial));
    const stage05::DeviceDataset train(sh_.train_set);
    std::optional<stage05::DeviceDataset> test;
    if (evaluates) test.emplace(*sh_.test_set);
    if (rank_ == 0) sh_.outcome.train.upload_seconds = watch.seconds();

    ScaledSums sums(comm_);
    std::vector<RankStep> steps;
    for (int s = 0; s < sh_.plan.steps; ++s) {
      steps.push_back(rank_step(rung(), ws, train, sh_.plan, s, rank_, ranks(),
                                sh_.config.train.seed, sh_.adam));
      sums.add(steps.back().rows, steps.back().scale);
    }
    const Step step{ws, sums};

    Graph graph;
    if (sh_.config.graph) {
      watch.restart();
      // Thread-local capture: the other ranks' threads capture their own graphs meanwhile.
      CUDA_CHECK(cudaStreamBeginCapture(compute_.s, cudaStreamCaptureModeThreadLocal));
      for (const RankStep& st : steps) enqueue(step, st, nullptr);
      CUDA_CHECK(cudaStreamEndCapture(compute_.s, &graph.graph));
      CUDA_CHECK(cudaGraphInstantiate(&graph.exec, graph.graph, 0));
      CUDA_CHECK(cudaGraphUpload(graph.exec, compute_.s));
      CUDA_CHECK(cudaStreamSynchronize(compute_.s));
      if (rank_ == 0) sh_.outcome.train.graph_seconds = watch.seconds();
    }

    double loss_before = 0;
    for (int epoch = 0; epoch < sh_.config.train.epochs; ++epoch) {
      sh_.sync();  // every rank starts the epoch together
      watch.restart();
      if (graph.exec) {
        CUDA_CHECK(cudaGraphLaunch(graph.exec, compute_.s));
      } else {
        for (const RankStep& st : steps) enqueue(step, st, nullptr);
      }
      CUDA_CHECK(cudaStreamSynchronize(compute_.s));
      sh_.sync();  // the epoch takes as long as its slowest rank
      if (rank_ != 0) continue;
      // Every rank's clock holds the same sums of the global batches' mean losses.
      const stage05::EpochReport report =
          stage05::end_of_epoch(epoch + 1, watch.seconds(), sh_.plan.set_size, sh_.plan.steps,
                                loss_before, rung(), ws, test ? &*test : nullptr, compute_.s);
      sh_.outcome.train.epochs.push_back(report);
      if (sh_.on_epoch) sh_.on_epoch(report);
    }
    if (rank_ == 0) sh_.outcome.train.params = stage05::unflatten(ws.params.to_host());
    if (sh_.config.timed_steps > 0) sh_.outcome.splits[size_t(rank_)] = time_steps(step, steps);
  }

 private:
  struct Step {
    stage05::Workspace& ws;
    const ScaledSums& sums;
  };

  stage05::Rung rung() const { return sh_.config.train.rung; }
  int ranks() const { return sh_.config.gpus; }

  // The dense bucket and the loss, in one group: NCCL runs grouped calls as one launch.
  void reduce_dense(const Step& step, ncclRedOp_t op) {
    float* grads = step.ws.grads.data() + kDenseBucket.begin;
    NCCL_CHECK(ncclGroupStart());
    NCCL_CHECK(ncclAllReduce(grads, grads, size_t(kDenseBucket.end - kDenseBucket.begin),
                             ncclFloat32, op, comm_, comms_.s));
    NCCL_CHECK(ncclAllReduce(step.ws.loss.data(), step.ws.loss.data(), 1, ncclFloat32, op, comm_,
                             comms_.s));
    NCCL_CHECK(ncclGroupEnd());
  }
  void reduce_conv(const Step& step, ncclRedOp_t op) {
    float* grads = step.ws.grads.data() + kConvBucket.begin;
    NCCL_CHECK(ncclAllReduce(grads, grads, size_t(kConvBucket.end - kConvBucket.begin), ncclFloat32,
                             op, comm_, comms_.s));
  }

  // One step on the two streams. The comm stream starts summing the dense bucket as soon as
  // the dense layer's gradients are written, while the compute stream runs the conv backward
  // kernel; Adam waits for both sums. With `t`, every stage is timestamped.
  void enqueue(const Step& step, const RankStep& st, StepEvents* t) {
    const ncclRedOp_t op = step.sums.op(st.rows);
    if (t) CUDA_CHECK(cudaEventRecord(t->start.e, compute_.s));
    stage05::enqueue(st.dense, compute_.s);
    CUDA_CHECK(cudaEventRecord(dense_ready_.e, compute_.s));
    CUDA_CHECK(cudaStreamWaitEvent(comms_.s, dense_ready_.e, 0));
    if (t) CUDA_CHECK(cudaEventRecord(t->dense_begin.e, comms_.s));
    reduce_dense(step, op);
    if (t) CUDA_CHECK(cudaEventRecord(t->dense_end.e, comms_.s));
    stage05::enqueue(st.conv, compute_.s);
    CUDA_CHECK(cudaEventRecord(conv_ready_.e, compute_.s));
    if (t) CUDA_CHECK(cudaEventRecord(t->grads_done.e, compute_.s));
    CUDA_CHECK(cudaStreamWaitEvent(comms_.s, conv_ready_.e, 0));
    if (t) CUDA_CHECK(cudaEventRecord(t->conv_begin.e, comms_.s));
    reduce_conv(step, op);
    if (t) CUDA_CHECK(cudaEventRecord(t->conv_end.e, comms_.s));
    CUDA_CHECK(cudaEventRecord(reduced_.e, comms_.s));
    CUDA_CHECK(cudaStreamWaitEvent(compute_.s, reduced_.e, 0));
    stage05::enqueue(st.update, compute_.s);
    if (t) CUDA_CHECK(cudaEventRecord(t->end.e, compute_.s));
  }

  // Steps launched one by one with timestamps (a graph's steps cannot be timed apart), then
  // the same all-reduces with nothing else running. Training goes on during the timed
  // steps; the weights were taken before.
  StepSplit time_steps(const Step& step, const std::vector<RankStep>& steps) {
    const int count = sh_.config.timed_steps;
    std::vector<StepEvents> events(static_cast<size_t>(count));
    sh_.sync();
    for (size_t k = 0; k < events.size(); ++k) enqueue(step, steps[k % steps.size()], &events[k]);
    CUDA_CHECK(cudaStreamSynchronize(compute_.s));
    StepSplit split;
    for (const StepEvents& e : events) {
      const double waited = std::max(0.0f, ms_between(e.grads_done, e.conv_end));
      split.step += ms_between(e.start, e.end);
      split.waiting += waited;
      split.compute += ms_between(e.start, e.end) - waited;
      split.communication +=
          ms_between(e.dense_begin, e.dense_end) + ms_between(e.conv_begin, e.conv_end);
    }
    for (double* v : {&split.step, &split.waiting, &split.compute, &split.communication})
      *v *= 1000.0 / count;  // ms in total -> microseconds per step

    const int repeats = std::max(1, sh_.config.allreduce_repeats);
    const ncclRedOp_t op = step.sums.op(steps.front().rows);
    Event begin(true), end(true);
    auto time_calls = [&](const std::function<void()>& call) {
      for (int r = 0; r < repeats / 10 + 1; ++r) call();  // warm-up
      sh_.sync();
      CUDA_CHECK(cudaEventRecord(begin.e, comms_.s));
      for (int r = 0; r < repeats; ++r) call();
      CUDA_CHECK(cudaEventRecord(end.e, comms_.s));
      CUDA_CHECK(cudaStreamSynchronize(comms_.s));
      return 1000.0 * ms_between(begin, end) / repeats;
    };
    split.allreduce_alone = time_calls([&] {
      reduce_dense(step, op);
      reduce_conv(step, op);
    });
    float* grads = step.ws.grads.data();
    split.allreduce_one_call = time_calls([&] {
      NCCL_CHECK(ncclAllReduce(grads, grads, size_t(kTotal), ncclFloat32, op, comm_, comms_.s));
    });
    return split;
  }

  Shared& sh_;
  int rank_;
  ncclComm_t comm_;
  Stream compute_, comms_;
  Event dense_ready_, conv_ready_, reduced_;
};

}  // namespace

int gpu_count() {
  int count = 0;
  return cudaGetDeviceCount(&count) == cudaSuccess ? count : 0;
}

DataParallelOutcome train_data_parallel(
    const mnist::Params& initial, const mnist::Dataset& train_set, const mnist::Dataset* test_set,
    const DataParallelConfig& config,
    const std::function<void(const stage05::EpochReport&)>& on_epoch) {
  const stage05::TrainConfig& tc = config.train;
  if (!stage05::runs_on_device_data(tc.rung)) {
    throw std::invalid_argument("train_data_parallel: rung 3 or 4 (the data must be on the GPU)");
  }
  if (tc.epochs < 1 || tc.batch < 1 || train_set.size() < 1 || config.gpus < 1) {
    throw std::invalid_argument(
        "train_data_parallel: need one epoch, one image per batch, one image and one GPU");
  }
  const int available = gpu_count();
  if (config.gpus > available) throw std::invalid_argument(too_many_gpus(config.gpus, available));
  keep_nvls_off();

  DataParallelOutcome outcome;
  outcome.global_batch = global_batch(tc.batch, config.gpus, config.scaling);
  outcome.lr = scaled_lr(tc.lr, config.gpus, config.scaling);
  outcome.graph = config.graph;
  outcome.splits.resize(config.timed_steps > 0 ? size_t(config.gpus) : 0);

  mnist::Stopwatch watch;
  const Communicators communicators(config.gpus);
  outcome.nccl_init_seconds = watch.seconds();

  Shared shared(config, initial, train_set, test_set, on_epoch,
                epoch_plan(train_set.size(), outcome.global_batch), outcome.lr, communicators.comms,
                outcome);
  auto body = [&shared](int rank) {
    try {
      // The rank's streams, events and buffers all live on its own GPU.
      CUDA_CHECK(cudaSetDevice(rank));
      Rank(shared, rank).run();
    } catch (...) {
      {
        const std::lock_guard<std::mutex> lock(shared.error_mutex);
        // The first real error is the one to report; RankAborted only follows one.
        if (!shared.error) shared.error = std::current_exception();
      }
      shared.failed = true;
      shared.barrier.arrive_and_drop();
    }
  };
  std::vector<std::thread> threads;
  for (int rank = 0; rank < config.gpus; ++rank) threads.emplace_back(body, rank);
  for (std::thread& t : threads) t.join();
  if (shared.error) {
    try {
      std::rethrow_exception(shared.error);
    } catch (const RankAborted&) {
      throw std::runtime_error("train_data_parallel: a rank stopped without saying why");
    }
  }
  return outcome;
}

}  // namespace stage06

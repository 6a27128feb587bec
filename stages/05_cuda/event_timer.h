/// \file
/// \brief EventTimer: GPU time between two points of a stream, measured with CUDA events.
///
/// A kernel launch returns long before the kernel finishes, so a host clock around it
/// measures the launch, not the work. Events are timestamps the GPU itself writes when the
/// stream reaches them; their difference is the GPU time of everything queued between.
#pragma once

#include <cuda_runtime.h>

namespace stage05 {

/// Records a start and a stop event on a stream; seconds() waits for the stop.
class EventTimer {
 public:
  EventTimer();
  ~EventTimer();
  EventTimer(const EventTimer&) = delete;
  EventTimer& operator=(const EventTimer&) = delete;

  /// Marks the start on `stream`.
  void start(cudaStream_t stream);
  /// Marks the stop on `stream`.
  void stop(cudaStream_t stream);
  /// Waits for the stop event, then returns the GPU time from start to stop in seconds
  /// (resolution about half a microsecond).
  double seconds();

 private:
  cudaEvent_t start_ = nullptr;
  cudaEvent_t stop_ = nullptr;
};

}  // namespace stage05

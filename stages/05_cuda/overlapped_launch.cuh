/// \file
/// \brief Programmatic dependent launch: each kernel of a step starts while the one before it
/// is still finishing.
///
/// In a stream, a kernel normally starts only after every block of the kernel before it has
/// finished and its writes are visible. Between the two the multiprocessors idle: the last
/// blocks' tail, then the launch of the next grid and the start of its blocks. In a step
/// of six one-wave kernels of a few microseconds each, those gaps add up.
///
/// From sm_90 on, a kernel launched with the attribute
/// cudaLaunchAttributeProgrammaticStreamSerialization may be launched before the kernel
/// before it has completed: as soon as that kernel's blocks have exited (or have each
/// called griddepcontrol.launch_dependents). Its blocks then wait in
/// wait_for_previous_kernel() until the kernel before has completed and its writes are
/// visible. What overlaps is the launch and the start of the blocks, never the work: every
/// kernel launched this way calls wait_for_previous_kernel() before it touches any memory,
/// and since each kernel waited for its own predecessor, everything earlier in the stream
/// has finished too.
///
/// The kernels here never call launch_dependents. Calling it at the start of every kernel
/// measured slower (rung 4's graph step took 12% longer, rung 3's conv2 forward 29%): the
/// next kernel's blocks then sit waiting beside the running ones, on the same
/// multiprocessors, for the whole of their run.
///
/// MNIST_CUDA_PDL=0 in the environment launches every kernel the ordinary way, to measure
/// what the overlap buys.
#pragma once

#include <cuda_runtime.h>

#include <utility>

#include "05_cuda/cuda_check.h"

namespace stage05 {

/// Blocks until the kernel before this one in the stream has finished and its writes are
/// visible (returns at once when the kernel was launched the ordinary way).
__device__ inline void wait_for_previous_kernel() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.wait;" ::: "memory");
#endif
}

/// Whether launch_overlapped() asks for the overlap (unless MNIST_CUDA_PDL=0).
bool overlap_launches();

/// kernel<<<grid, block, shared_bytes, stream>>>(args...), allowed to overlap the launch of
/// the kernel before it in the stream (see the file comment); checked like CHECK_LAUNCH.
template <typename... Params, typename... Args>
void launch_overlapped(const char* name, void (*kernel)(Params...), dim3 grid, dim3 block,
                       size_t shared_bytes, cudaStream_t stream, Args&&... args) {
  cudaLaunchAttribute attribute{};
  attribute.id = cudaLaunchAttributeProgrammaticStreamSerialization;
  attribute.val.programmaticStreamSerializationAllowed = overlap_launches() ? 1 : 0;
  cudaLaunchConfig_t config{};
  config.gridDim = grid;
  config.blockDim = block;
  config.dynamicSmemBytes = shared_bytes;
  config.stream = stream;
  config.attrs = &attribute;
  config.numAttrs = 1;
  CUDA_CHECK(cudaLaunchKernelEx(&config, kernel, std::forward<Args>(args)...));
  CHECK_LAUNCH(name, stream);
}

}  // namespace stage05

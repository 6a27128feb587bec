/// \file
/// \brief Every CUDA call checked: a failure throws, naming the call, the file and the line.
///
/// CUDA reports errors in two places. A runtime call (cudaMalloc, cudaMemcpy, ...) returns
/// a status: CUDA_CHECK turns a bad one into an exception. A kernel launch returns nothing:
/// a bad launch (too many threads, too much shared memory) shows up in cudaGetLastError()
/// right after it, which CHECK_LAUNCH reads; a fault *inside* the kernel (a bad address)
/// only shows up at the next call that waits for the GPU. Set the environment variable
/// MNIST_CUDA_SYNC=1 to make CHECK_LAUNCH also wait for every kernel, so that such a fault
/// names the kernel that caused it (slow: for debugging only).
#pragma once

#include <cuda_runtime.h>

#include <cstddef>

namespace stage05 {

/// Throws std::runtime_error("<call> failed: <CUDA's message> (<file>:<line>)") unless
/// status is cudaSuccess.
void check_cuda(cudaError_t status, const char* call, const char* file, int line);

/// Checks the launch of `kernel` that was just made on `stream` (see the file comment).
void check_launch(const char* kernel, cudaStream_t stream, const char* file, int line);

/// Lets every block of `kernel` (named `name` in messages) use `bytes` of dynamic shared
/// memory, past the 48 KB a kernel gets without asking. If this GPU's multiprocessors offer
/// less per block, throws std::runtime_error naming the kernel, what it needs and what the
/// GPU allows, instead of the bare "invalid argument" the runtime would give.
void allow_shared_memory(const void* kernel, const char* name, size_t bytes);

}  // namespace stage05

/// Runs a CUDA runtime call and throws, naming it, if it fails.
#define CUDA_CHECK(call) ::stage05::check_cuda((call), #call, __FILE__, __LINE__)

/// Checks the kernel launch just made on `stream`; `kernel` names it in the message.
#define CHECK_LAUNCH(kernel, stream) ::stage05::check_launch(kernel, stream, __FILE__, __LINE__)

/// \file
/// \brief How much memory a training run needs, checked against the machine before it starts.
#pragma once

#include <cstdint>
#include <string>

namespace stage04 {

/// About how many bytes a training run holds at its peak: the data sets as float32, and
/// one step's tensors for `batch` images (the forward cache, the backward pass's
/// gradients, the batch and its dropout mask), plus a fixed allowance for the weights,
/// Adam's moments, GEMM packing buffers and the C++ runtime.
uint64_t training_memory_bytes(int batch, int train_images, int test_images);

/// The memory this process may use: the physical memory, or less where an address-space
/// limit (`ulimit -v`) is lower. `what` receives a few words saying which it is.
uint64_t memory_limit_bytes(std::string* what);

/// Throws mnist::UsageError (exit status 2) when training_memory_bytes() is above
/// memory_limit_bytes(), stating both numbers, so that a --batch too large for the machine
/// is refused before anything is allocated instead of ending in std::bad_alloc.
void check_training_memory(int batch, int train_images, int test_images);

}  // namespace stage04

/// \file
/// \brief Is there a GPU, and which: the first questions a CUDA program asks.
#pragma once

#include <string>

namespace stage05 {

/// Whether a CUDA device can be used. When not, `why` (if given) says why: no driver, no
/// device, ... Tests use it to skip, saying so, on machines without a GPU (CI).
bool gpu_available(std::string* why = nullptr);

/// One line about device 0: name, compute capability, multiprocessors, memory, clocks and
/// the driver and runtime versions. Throws if there is no GPU.
std::string describe_gpu();

/// Creates the CUDA context of device 0 now rather than at the first allocation or launch:
/// loading the driver's state onto the GPU takes a noticeable part of a short run, and it
/// can go on in another thread while the host does other work. Throws on failure.
void create_context();

}  // namespace stage05

/// \file
/// \brief NVLink multicast (NVLS) stays off: set before NCCL reads its environment.
///
/// NCCL's NVLS algorithms use NVLink SHARP multicast memory. On a shared host, multicast
/// objects can take GPUs out of service for other users, and a 139 KB all-reduce gains
/// nothing from them, so every run of this stage keeps NCCL_NVLS_ENABLE=0.
#pragma once

#include <string>

namespace stage06 {

/// Sets NCCL_NVLS_ENABLE=0 in this process's environment (call before the first NCCL
/// call). Returns an empty string when it was unset or already 0, else a note naming the
/// value that was overridden.
std::string keep_nvls_off();

}  // namespace stage06

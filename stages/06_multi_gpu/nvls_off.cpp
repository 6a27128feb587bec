#include "06_multi_gpu/nvls_off.h"

#include <cstdlib>
#include <stdexcept>

namespace stage06 {

std::string keep_nvls_off() {
  const char* before = std::getenv("NCCL_NVLS_ENABLE");
  const std::string old = before ? before : "";
  if (before && old == "0") return "";
  if (setenv("NCCL_NVLS_ENABLE", "0", 1) != 0) {
    throw std::runtime_error("cannot set NCCL_NVLS_ENABLE=0 in the environment");
  }
  if (!before) return "";
  return "NCCL_NVLS_ENABLE was '" + old + "': set to 0 (this stage never uses NVLink multicast)";
}

}  // namespace stage06

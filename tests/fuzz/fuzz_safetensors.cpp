// libFuzzer target: the safetensors reader (and load_params on top of it) on arbitrary bytes.
//
// Promises checked: load_safetensors returns tensors whose storage matches their shapes and
// holds only finite values, or throws std::runtime_error naming the file; whatever it
// accepts saves and loads back bit-exactly. A crash, a sanitizer report, any other
// exception, or an allocation above libFuzzer's -malloc_limit_mb is a finding.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "common/params.h"
#include "common/safetensors.h"
#include "tests/fuzz/fuzz_support.h"

using namespace mnist;
using mnist::fuzz::require;
using mnist::fuzz::require_names_file;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const fuzz::ScratchFile input("safetensors");
  static const fuzz::ScratchFile copy("safetensors_copy");
  input.write(data, size);
  std::map<std::string, Tensor> tensors;
  try {
    tensors = load_safetensors(input.path());
  } catch (const std::runtime_error& e) {
    require_names_file(e, input.path());
    return 0;
  }

  std::vector<NamedTensorRef> refs;
  for (const auto& [name, t] : tensors) {
    require(t.size() == element_count(t.shape()), "tensor size does not match its shape");
    require(t.size() == 0 || t.data() != nullptr, "tensor without storage");
    require(static_cast<uint64_t>(t.size()) * sizeof(float) <= size, "tensor larger than the file");
    for (float v : t.values()) require(std::isfinite(v), "non-finite value accepted");
    refs.push_back({name, &t});
  }

  // What was accepted must survive a save and a load unchanged.
  save_safetensors(copy.path(), refs);
  const auto again = load_safetensors(copy.path());
  require(again.size() == tensors.size(), "round trip lost tensors");
  for (const auto& [name, t] : tensors) {
    const auto it = again.find(name);
    require(it != again.end() && it->second.shape() == t.shape(), "round trip changed a shape");
    require(t.size() == 0 || std::memcmp(it->second.data(), t.data(),
                                         static_cast<size_t>(t.size()) * sizeof(float)) == 0,
            "round trip changed values");
  }

  try {
    const Params p = load_params(input.path());
    require(count_scalars(p) == 34826, "load_params accepted a wrong parameter count");
  } catch (const std::runtime_error& e) {
    require_names_file(e, input.path());
  }
  return 0;
}

// libFuzzer target: the IDX reader, and the MNIST checks built on it, on arbitrary bytes
// (raw or gzip: the reader decompresses whatever starts with the gzip magic).
//
// Promises checked: read_idx returns an array whose elements match its dims, or throws
// std::runtime_error naming the file. A crash, a sanitizer report, any other exception, or
// an allocation above libFuzzer's -malloc_limit_mb is a finding.
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "common/idx.h"
#include "common/mnist.h"
#include "tests/fuzz/fuzz_support.h"

using namespace mnist;
using mnist::fuzz::require;
using mnist::fuzz::require_names_file;

namespace {

/// Loads `input` as one half of an MNIST split, with a valid other half of matching count.
void load_as_mnist_half(const IdxArray& a, const fuzz::ScratchFile& input) {
  static const fuzz::ScratchFile partner("idx_partner");
  const int n = a.dims[0];
  IdxArray other;
  const bool input_is_images = a.dims.size() == 3;
  other.dims = input_is_images ? std::vector<int>{n} : std::vector<int>{n, 28, 28};
  other.u8.assign(static_cast<size_t>(other.count()), 1);
  write_idx(partner.path(), other);
  try {
    const Dataset set = input_is_images ? load_mnist_files(input.path(), partner.path())
                                        : load_mnist_files(partner.path(), input.path());
    require(set.size() == n && set.images.size() == int64_t{n} * 784, "dataset size");
    for (int label : set.labels) require(label >= 0 && label <= 9, "label outside 0..9 accepted");
    for (float v : set.images.values()) require(v >= 0.0f && v <= 1.0f, "pixel outside [0,1]");
  } catch (const std::runtime_error& e) {
    require(std::string_view(e.what()).find("mnist_fuzz_") != std::string_view::npos,
            std::string("error message does not name a file: ") + e.what());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const fuzz::ScratchFile input("idx");
  input.write(data, size);
  IdxArray a;
  try {
    a = read_idx(input.path());
  } catch (const std::runtime_error& e) {
    require_names_file(e, input.path());
    return 0;
  }
  require(!a.dims.empty() && a.dims.size() <= 8, "rank outside 1..8 accepted");
  for (int d : a.dims) require(d >= 0, "negative dimension");
  const size_t stored = a.type == IdxType::u8 ? a.u8.size() : a.f32.size();
  const size_t other = a.type == IdxType::u8 ? a.f32.size() : a.u8.size();
  require(stored == static_cast<size_t>(a.count()) && other == 0, "elements do not match the dims");

  // Small arrays shaped like MNIST labels or images go on through the MNIST checks.
  const bool labels_like = a.dims.size() == 1;
  const bool images_like = a.dims.size() == 3 && a.dims[1] == 28 && a.dims[2] == 28;
  if ((labels_like || images_like) && a.dims[0] <= 64) {
    load_as_mnist_half(a, input);
  }
  return 0;
}

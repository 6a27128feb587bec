#include "common/mnist.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <numeric>
#include <stdexcept>

#include "common/cli.h"
#include "common/idx.h"
#include "common/io_error.h"
#include "common/network.h"
#include "common/rng.h"

namespace mnist {

namespace fs = std::filesystem;

namespace {
[[noreturn]] void fail(const fs::path& path, const std::string& what) {
  throw std::runtime_error(path.string() + ": " + what);
}
constexpr int kPixels = net::kImageSize * net::kImageSize;
}  // namespace

namespace {
/// Whether something is at path; throws with the system's reason when that cannot be told
/// (a loop of symbolic links, a directory without permission), which is not "not found".
bool present(const std::filesystem::path& path, const std::string& what) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) return true;
  if (errno == ENOENT) return false;
  throw_io_error(path, what, errno);
}
}  // namespace

std::filesystem::path find_mnist_file(const std::filesystem::path& dir, const std::string& name) {
  if (!present(dir, "cannot open the MNIST data directory")) {
    throw std::runtime_error(dir.string() + ": MNIST data directory not found (run `make data`)");
  }
  if (!fs::is_directory(dir)) throw std::runtime_error(dir.string() + ": not a directory (--data)");
  const fs::path raw = dir / name;
  if (present(raw, "cannot open")) return raw;
  const fs::path gz = dir / (name + ".gz");
  if (present(gz, "cannot open")) return gz;
  throw std::runtime_error(raw.string() + ": not found (nor " + gz.filename().string() +
                           "); run `make data`");
}

Dataset load_mnist_files(const std::filesystem::path& images_path,
                         const std::filesystem::path& labels_path, int limit) {
  if (limit < 0) throw std::invalid_argument("limit must not be negative");
  IdxArray images = read_idx(images_path, limit);
  if (images.type != IdxType::u8 || images.dims.size() != 3) {
    fail(images_path, "not an MNIST image file (want unsigned bytes of rank 3, N x 28 x 28)");
  }
  if (images.dims[1] != net::kImageSize || images.dims[2] != net::kImageSize) {
    fail(images_path, "images are " + std::to_string(images.dims[1]) + "x" +
                          std::to_string(images.dims[2]) + ", MNIST images are 28x28");
  }
  IdxArray labels = read_idx(labels_path, limit);
  if (labels.type != IdxType::u8 || labels.dims.size() != 1) {
    fail(labels_path, "not an MNIST label file (want unsigned bytes of rank 1)");
  }
  const int n = images.rows_in_file;
  if (n == 0) fail(images_path, "holds no images");
  if (labels.rows_in_file != n) {
    fail(labels_path, "holds " + std::to_string(labels.rows_in_file) + " labels but " +
                          images_path.string() + " holds " + std::to_string(n) + " images");
  }
  if (limit > n) {  // a usage mistake (exit status 2), found once the header is read
    throw UsageError("--limit " + std::to_string(limit) + " is above the " + std::to_string(n) +
                     " images in " + images_path.string());
  }
  const int keep = limit > 0 ? limit : n;

  Dataset set;
  set.labels.resize(static_cast<size_t>(keep));
  for (int i = 0; i < keep; ++i) {
    const int label = labels.u8[static_cast<size_t>(i)];
    if (label > 9)
      fail(labels_path, "label " + std::to_string(label) + " at index " + std::to_string(i) +
                            " is not a digit 0..9");
    set.labels[static_cast<size_t>(i)] = label;
  }
  set.images = Tensor({keep, 1, net::kImageSize, net::kImageSize});
  for (int64_t i = 0; i < int64_t{keep} * kPixels; ++i) {
    set.images[i] = images.u8[static_cast<size_t>(i)] / 255.0f;
  }
  return set;
}

Dataset load_mnist(const std::filesystem::path& dir, Split split, int limit) {
  const std::string prefix = split == Split::train ? "train" : "t10k";
  const fs::path images = find_mnist_file(dir, prefix + "-images-idx3-ubyte");  // images first
  return load_mnist_files(images, find_mnist_file(dir, prefix + "-labels-idx1-ubyte"), limit);
}

std::vector<int> shuffled_indices(int n, uint64_t seed) {
  std::vector<int> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  Rng rng(seed);
  shuffle(order, rng);
  return order;
}

Batch gather_batch(const Dataset& set, std::span<const int> order, int begin, int count) {
  Batch batch;
  gather_batch(set, order, begin, count, batch);
  return batch;
}

void gather_batch(const Dataset& set, std::span<const int> order, int begin, int count,
                  Batch& batch) {
  if (begin < 0 || count < 0 || static_cast<size_t>(begin + count) > order.size()) {
    throw std::out_of_range("batch [" + std::to_string(begin) + ", +" + std::to_string(count) +
                            ") outside an order of " + std::to_string(order.size()));
  }
  ensure_shape(batch.images, {count, 1, net::kImageSize, net::kImageSize});
  batch.labels.resize(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) {
    const int src = order[static_cast<size_t>(begin + i)];
    std::copy_n(set.images.data() + int64_t{src} * kPixels, kPixels,
                batch.images.data() + int64_t{i} * kPixels);
    batch.labels[static_cast<size_t>(i)] = set.labels[static_cast<size_t>(src)];
  }
}

Batch slice_batch(const Dataset& set, int begin, int count) {
  std::vector<int> order(static_cast<size_t>(count));
  std::iota(order.begin(), order.end(), begin);
  if (begin < 0 || begin + count > set.size()) {
    throw std::out_of_range("batch outside the data set of " + std::to_string(set.size()));
  }
  return gather_batch(set, order, 0, count);
}

}  // namespace mnist

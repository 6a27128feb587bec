#include "tests/support/test_support.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <random>
#include <stdexcept>

#include "common/mnist.h"

namespace mnist::testkit {

std::filesystem::path data_dir() {
  return MNIST_DATA_DIR;
}

bool have_mnist() {
  try {
    for (const char* name : {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                             "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"}) {
      find_mnist_file(data_dir(), name);
    }
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

double relative_error(const Tensor& a, const Tensor& reference) {
  if (a.shape() != reference.shape()) {
    throw std::invalid_argument("relative_error: shapes " + to_string(a.shape()) + " and " +
                                to_string(reference.shape()) + " differ");
  }
  double diff = 0, scale = 1e-30;
  for (int64_t i = 0; i < a.size(); ++i) {
    if (!std::isfinite(a[i])) return INFINITY;
    diff = std::max(diff, std::abs(static_cast<double>(a[i]) - reference[i]));
    scale = std::max(scale, std::abs(static_cast<double>(reference[i])));
  }
  return diff / scale;
}

TempDir::TempDir() {
  std::random_device rd;
  path_ = std::filesystem::temp_directory_path() /
          ("mnist_test_" + std::to_string(rd()) + std::to_string(rd()));
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

void write_bytes(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace mnist::testkit

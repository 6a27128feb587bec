/// \file
/// \brief Helpers shared by the tests: where MNIST is, and how to compare tensors.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>

#include "common/rng.h"
#include "common/tensor.h"

namespace mnist::testkit {

/// The data directory the build was configured with (make data fills it).
std::filesystem::path data_dir();

/// Whether the four MNIST files are there.
bool have_mnist();

using mnist::random_tensor;  // common/rng.h

/// max |a-b| / max(max |b|, tiny): the error of a relative to the reference b, as one number.
double relative_error(const Tensor& a, const Tensor& reference);

/// A fresh temporary directory for one test, removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

/// Writes bytes to a file (for building malformed inputs).
void write_bytes(const std::filesystem::path& path, const std::string& bytes);

}  // namespace mnist::testkit

/// Skips the current test, saying why, when MNIST has not been fetched.
#define REQUIRE_MNIST()                                                     \
  do {                                                                      \
    if (!::mnist::testkit::have_mnist())                                    \
      GTEST_SKIP() << "MNIST not found in " << ::mnist::testkit::data_dir() \
                   << " (run `make data`)";                                 \
  } while (0)

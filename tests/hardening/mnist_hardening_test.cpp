// The MNIST loader on files that are valid IDX but wrong for MNIST: swapped, disagreeing,
// empty. Each is refused naming the file; the real MNIST files are used where they exist.
#include <gtest/gtest.h>

#include "common/mnist.h"
#include "tests/hardening/bad_bytes.h"
#include "tests/hardening/expect_refusal.h"
#include "tests/support/test_support.h"

using namespace mnist;
using namespace mnist::hardening;
using mnist::testkit::TempDir;

namespace {
std::string images(uint32_t n) {
  return idx_header(0x08, {n, 28, 28}) + std::string(n * 784, '\x40');
}
std::string labels(uint32_t n) {
  return idx_header(0x08, {n}) + std::string(n, '\x03');
}

/// Puts the two test-set files into dir under their MNIST names.
void write_test_split(const TempDir& dir, const std::string& image_bytes,
                      const std::string& label_bytes) {
  put_file(dir / "t10k-images-idx3-ubyte", image_bytes);
  put_file(dir / "t10k-labels-idx1-ubyte", label_bytes);
}
}  // namespace

TEST(MnistHardening, ImagesAndLabelsSwapped) {
  TempDir dir;
  write_test_split(dir, labels(2), images(2));
  expect_refusal([&] { load_mnist(dir.path(), Split::test); }, "t10k-images-idx3-ubyte",
                 "not an MNIST image file");
  // An image file that passes its own checks given as the labels too.
  put_file(dir / "real-images", images(2));
  expect_refusal([&] { load_mnist_files(dir / "real-images", dir / "real-images"); }, "real-images",
                 "not an MNIST label file");
}

TEST(MnistHardening, Float32ImagesAreNotMnist) {
  TempDir dir;
  write_test_split(dir, idx_header(0x0D, {1, 28, 28}) + std::string(784 * 4, '\0'), labels(1));
  expect_refusal([&] { load_mnist(dir.path(), Split::test); }, "t10k-images",
                 "not an MNIST image file");
}

TEST(MnistHardening, ImagesAndLabelsDisagreeInCount) {
  TempDir dir;
  write_test_split(dir, images(3), labels(2));
  expect_refusal([&] { load_mnist(dir.path(), Split::test); }, "t10k-labels", "holds 2 labels but");
}

// Regression: a set of zero images loaded, and evaluating it reported 0.00% accuracy (0/0).
TEST(MnistHardening, ASetOfNoImages) {
  TempDir dir;
  write_test_split(dir, images(0), labels(0));
  expect_refusal([&] { load_mnist(dir.path(), Split::test); }, "t10k-images", "holds no images");
}

TEST(MnistHardening, NegativeLimit) {
  TempDir dir;
  write_test_split(dir, images(2), labels(2));
  EXPECT_THROW(load_mnist(dir.path(), Split::test, -1), std::invalid_argument);
}

TEST(MnistHardening, OnlyOneOfTheTwoFiles) {
  TempDir dir;
  put_file(dir / "t10k-images-idx3-ubyte", images(1));
  expect_refusal([&] { load_mnist(dir.path(), Split::test); }, "t10k-labels-idx1-ubyte",
                 "not found");
}

TEST(MnistHardening, RealTestImagesWithTheTrainingLabels) {
  REQUIRE_MNIST();
  TempDir dir;
  const auto real = mnist::testkit::data_dir();
  std::filesystem::create_symlink(find_mnist_file(real, "t10k-images-idx3-ubyte"),
                                  dir / "t10k-images-idx3-ubyte");
  std::filesystem::create_symlink(find_mnist_file(real, "train-labels-idx1-ubyte"),
                                  dir / "t10k-labels-idx1-ubyte");
  expect_refusal([&] { load_mnist(dir.path(), Split::test); }, "t10k-labels",
                 "holds 60000 labels but");
}

TEST(MnistHardening, RealLabelFileGivenAsImages) {
  REQUIRE_MNIST();
  const auto labels_path = find_mnist_file(mnist::testkit::data_dir(), "t10k-labels-idx1-ubyte");
  expect_refusal([&] { load_mnist_files(labels_path, labels_path); }, "t10k-labels",
                 "not an MNIST image file");
}

// The MNIST loader on files that are valid IDX but wrong for MNIST: swapped, disagreeing,
// empty. Each is refused naming the file; the real MNIST files are used where they exist.
#include <gtest/gtest.h>

#include <utility>

#include "common/cli.h"
#include "common/mnist.h"
#include "tests/hardening/as_normal_user.h"
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

// Regression: a limit above the set exited 1, as a runtime failure; it is a usage mistake.
TEST(MnistHardening, LimitAboveTheSetIsAUsageError) {
  TempDir dir;
  write_test_split(dir, images(2), labels(2));
  try {
    load_mnist(dir.path(), Split::test, 3);
    ADD_FAILURE() << "--limit 3 accepted on a set of 2";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("--limit 3 is above the 2 images in"), std::string::npos)
        << e.what();
  }
}

// Regression: a loop of symbolic links was reported as "not found".
TEST(MnistHardening, ASymlinkLoopIsReportedAsOne) {
  TempDir dir;
  put_file(dir / "t10k-labels-idx1-ubyte", labels(2));
  std::filesystem::create_symlink("t10k-images-idx3-ubyte", dir / "t10k-images-idx3-ubyte");
  expect_refusal([&] { load_mnist(dir.path(), Split::test); }, "t10k-images-idx3-ubyte",
                 "Too many levels of symbolic links");
}

// Regression: a data directory without permission was reported as "not found".
TEST(MnistHardening, PermissionDeniedIsReportedAsSuch) {
  TempDir dir;
  std::filesystem::permissions(dir.path(), std::filesystem::perms::all);
  write_test_split(dir, images(2), labels(2));
  const auto locked = dir / "locked";
  std::filesystem::create_directory(locked);
  put_file(locked / "t10k-images-idx3-ubyte", images(2));
  std::filesystem::permissions(locked, std::filesystem::perms::owner_all);  // none for others
  std::filesystem::permissions(dir / "t10k-images-idx3-ubyte", std::filesystem::perms::owner_write);
  const std::string problem = as_normal_user([&]() -> std::string {
    std::string found;
    for (const auto& [dir_to_load, file] :
         {std::pair{locked, "locked"}, std::pair{dir.path(), "t10k-images-idx3-ubyte"}}) {
      try {
        load_mnist(dir_to_load, Split::test);
        found += std::string(file) + ": accepted; ";
      } catch (const std::runtime_error& e) {
        const std::string msg = e.what();
        if (msg.find(file) == std::string::npos ||
            msg.find("Permission denied") == std::string::npos)
          found += "message lacks the file or the reason: " + msg + "; ";
      }
    }
    return found;
  });
  EXPECT_EQ(problem, "");
}

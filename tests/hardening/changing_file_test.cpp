// Files that change size while they are being read. A second thread keeps rewriting the
// file between a complete version and a cut-short one; every read must either return the
// complete contents exactly or be refused with an error naming the file. Neither reader
// may crash, hang, or return a mix (AddressSanitizer runs these too: scripts/sanitize.sh).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>

#include "common/idx.h"
#include "common/params.h"
#include "common/safetensors.h"
#include "tests/hardening/bad_bytes.h"
#include "tests/support/test_support.h"

using namespace mnist;
using namespace mnist::hardening;
using mnist::testkit::TempDir;

namespace {

/// Rewrites path with `full` and a prefix of it, alternately, until stopped. Every state
/// the reader can observe is then a prefix of `full` (the file is truncated, then written).
class Flipper {
 public:
  Flipper(std::filesystem::path path, std::string full)
      : path_(std::move(path)), full_(std::move(full)), thread_([this] { run(); }) {}
  ~Flipper() {
    stop_ = true;
    thread_.join();
  }
  int rewrites() const { return rewrites_; }

 private:
  void run() {
    for (size_t i = 0; !stop_; ++i) {
      put_file(path_, i % 2 ? full_ : full_.substr(0, full_.size() / 3));
      ++rewrites_;
    }
  }
  std::filesystem::path path_;
  std::string full_;
  std::atomic<bool> stop_{false};
  std::atomic<int> rewrites_{0};
  std::thread thread_;
};

constexpr auto kDuration = std::chrono::milliseconds(300);

}  // namespace

TEST(ChangingFile, IdxReadEitherCompleteOrRefused) {
  TempDir dir;
  IdxArray original;
  original.dims = {500, 28, 28};
  original.u8.resize(500 * 784);
  for (size_t i = 0; i < original.u8.size(); ++i)
    original.u8[i] = static_cast<uint8_t>(i * 31 % 251);
  write_idx(dir / "original", original);
  const std::string full = file_bytes(dir / "original");

  int complete = 0, refused = 0;
  {
    Flipper flipper(dir / "moving", full);
    const auto end = std::chrono::steady_clock::now() + kDuration;
    while (std::chrono::steady_clock::now() < end) {
      try {
        const IdxArray a = read_idx(dir / "moving");
        ASSERT_EQ(a.dims, original.dims);
        ASSERT_EQ(a.u8, original.u8) << "a read returned data that was never in the file";
        ++complete;
      } catch (const std::runtime_error& e) {
        ASSERT_NE(std::string(e.what()).find("moving"), std::string::npos) << e.what();
        ++refused;
      }
    }
  }
  RecordProperty("complete_reads", complete);
  RecordProperty("refused_reads", refused);
  std::printf("IDX under rewrite: %d complete reads, %d refused\n", complete, refused);
  EXPECT_GT(complete + refused, 0);
}

TEST(ChangingFile, SafetensorsReadEitherCompleteOrRefused) {
  TempDir dir;
  const Params original = init_params(4);
  save_params(dir / "original.safetensors", original);
  const std::string full = file_bytes(dir / "original.safetensors");

  int complete = 0, refused = 0;
  {
    Flipper flipper(dir / "moving.safetensors", full);
    const auto end = std::chrono::steady_clock::now() + kDuration;
    while (std::chrono::steady_clock::now() < end) {
      try {
        const Params p = load_params(dir / "moving.safetensors");
        for (size_t i = 0; i < 6; ++i) {
          const Tensor& a = *p.list()[i].tensor;
          const Tensor& b = *original.list()[i].tensor;
          ASSERT_EQ(std::memcmp(a.data(), b.data(), static_cast<size_t>(b.size()) * sizeof(float)),
                    0)
              << "a load returned values that were never in the file";
        }
        ++complete;
      } catch (const std::runtime_error& e) {
        ASSERT_NE(std::string(e.what()).find("moving.safetensors"), std::string::npos) << e.what();
        ++refused;
      }
    }
  }
  RecordProperty("complete_reads", complete);
  RecordProperty("refused_reads", refused);
  std::printf("safetensors under rewrite: %d complete loads, %d refused\n", complete, refused);
  EXPECT_GT(complete + refused, 0);
}

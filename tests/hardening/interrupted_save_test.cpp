// A save that never finishes must leave the previous file intact. Two simulations: a
// process killed (SIGKILL, no clean-up at all) at a random moment while it saves weights
// over and over, and saves that fail because the target cannot be written.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <thread>

#include "common/params.h"
#include "common/safetensors.h"
#include "tests/hardening/bad_bytes.h"
#include "tests/hardening/expect_refusal.h"
#include "tests/support/test_support.h"

using namespace mnist;
using namespace mnist::hardening;
using mnist::testkit::TempDir;

namespace {
bool same_params(const Params& a, const Params& b) {
  for (size_t i = 0; i < 6; ++i) {
    const Tensor& x = *a.list()[i].tensor;
    const Tensor& y = *b.list()[i].tensor;
    if (x.shape() != y.shape() ||
        std::memcmp(x.data(), y.data(), static_cast<size_t>(x.size()) * sizeof(float)) != 0) {
      return false;
    }
  }
  return true;
}
}  // namespace

TEST(InterruptedSave, KilledMidSaveLeavesACompleteFile) {
  TempDir dir;
  const auto path = dir / "w.safetensors";
  const Params old_params = init_params(1), new_params = init_params(2);
  for (int delay_ms : {0, 1, 3, 7, 15}) {
    save_params(path, old_params);
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      // The child saves new weights over the file until it is killed, with no chance to
      // clean up (SIGKILL), as if the machine lost power.
      for (;;) save_params(path, new_params);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    kill(child, SIGKILL);
    int status = 0;
    waitpid(child, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status));
    // Whatever the moment, the file is one of the two complete versions.
    const Params loaded = load_params(path);
    EXPECT_TRUE(same_params(loaded, old_params) || same_params(loaded, new_params))
        << "killed after " << delay_ms << " ms: the file holds neither version";
  }
}

TEST(InterruptedSave, TargetDirectoryMissing) {
  TempDir dir;
  expect_refusal([&] { save_params(dir / "no_such_dir" / "w.safetensors", init_params(1)); },
                 "w.safetensors", "cannot open for writing: No such file or directory");
  EXPECT_FALSE(std::filesystem::exists(dir / "no_such_dir"));
}

TEST(InterruptedSave, TargetIsADirectoryAndNothingIsLeftBehind) {
  TempDir dir;
  std::filesystem::create_directory(dir / "w.safetensors");
  expect_refusal([&] { save_params(dir / "w.safetensors", init_params(1)); }, "w.safetensors",
                 "is a directory, not a regular file; refusing to replace it");
  EXPECT_TRUE(std::filesystem::is_directory(dir / "w.safetensors"));
  int entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    ++entries;
    EXPECT_EQ(e.path().filename(), "w.safetensors") << "left behind: " << e.path();
  }
  EXPECT_EQ(entries, 1);
}

// The atomic writer (common/atomic_file.h) against what a hostile or unlucky directory can
// hold: a link planted where the temporary file goes, special files at the target, names
// at the length limit, a signal in the middle, a directory the user may not write.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>

#include "common/atomic_file.h"
#include "tests/hardening/as_normal_user.h"
#include "tests/hardening/bad_bytes.h"
#include "tests/hardening/expect_refusal.h"
#include "tests/support/test_support.h"

using namespace mnist;
using namespace mnist::hardening;
using mnist::testkit::TempDir;
namespace fs = std::filesystem;

// The writer draws its temporary names from getrandom(). This definition replaces the C
// library's in this test program, so that a test can make the next name predictable and
// plant something there first; otherwise it asks the kernel as usual.
namespace {
std::atomic<bool> predictable_names{false};
}  // namespace
extern "C" ssize_t getrandom(void* buffer, size_t length, unsigned int flags) {
  if (predictable_names.load()) {
    std::memset(buffer, 0, length);  // every name is then .0000000000000000.tmp
    return static_cast<ssize_t>(length);
  }
  return syscall(SYS_getrandom, buffer, length, flags);
}

namespace {
/// Names in dir other than `keep`.
std::vector<std::string> others(const fs::path& dir, const std::string& keep) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().filename() != keep) names.push_back(e.path().filename().string());
  }
  return names;
}
}  // namespace

// Regression: the temporary was `<target>.tmp.<pid>`, opened with create + truncate, so a
// symbolic link planted at that name sent the data into the link's target.
TEST(AtomicWriter, NeverWritesThroughALinkAtTheOldTemporaryName) {
  TempDir dir;
  put_file(dir / "victim", "precious");
  const fs::path target = dir / "out.json";
  fs::create_symlink(dir / "victim", target.string() + ".tmp." + std::to_string(getpid()));
  write_atomically(target, "result");
  EXPECT_EQ(file_bytes(dir / "victim"), "precious");
  EXPECT_EQ(file_bytes(target), "result");
}

// Whatever is planted where the temporary file goes, a link or a file, is neither written
// through nor truncated: the temporary is created exclusively, without following links.
TEST(AtomicWriter, NeverWritesThroughSomethingPlantedAtTheTemporaryName) {
  TempDir dir;
  put_file(dir / "victim", "precious");
  const fs::path planted_link = dir / ".0000000000000000.tmp";
  fs::create_symlink(dir / "victim", planted_link);
  predictable_names = true;
  expect_refusal([&] { write_atomically(dir / "out.json", "result"); }, "out.json", "File exists");
  predictable_names = false;
  EXPECT_EQ(file_bytes(dir / "victim"), "precious");
  EXPECT_TRUE(fs::is_symlink(planted_link));
  EXPECT_FALSE(fs::exists(dir / "out.json"));

  fs::remove(planted_link);
  put_file(planted_link, "someone else's");
  predictable_names = true;
  expect_refusal([&] { write_atomically(dir / "out.json", "result"); }, "out.json", "File exists");
  predictable_names = false;
  EXPECT_EQ(file_bytes(planted_link), "someone else's");
  write_atomically(dir / "out.json", "result");  // with a name of its own, it works
  EXPECT_EQ(file_bytes(dir / "out.json"), "result");
}

TEST(AtomicWriter, TemporaryNamesFitAnyNameThatFits) {
  // 250 bytes is a legal name (NAME_MAX 255); a suffix of 9+ bytes used to push it past.
  TempDir dir;
  const fs::path target = dir / std::string(250, 'w');
  write_atomically(target, "long");
  EXPECT_EQ(file_bytes(target), "long");
  EXPECT_TRUE(others(dir.path(), target.filename().string()).empty());
}

TEST(AtomicWriter, RefusesToReplaceAFifoOrADirectory) {
  TempDir dir;
  ASSERT_EQ(mkfifo((dir / "fifo").c_str(), 0600), 0);
  expect_refusal([&] { write_atomically(dir / "fifo", "x"); }, "fifo",
                 "is a FIFO, not a regular file; refusing to replace it");
  struct stat st {};
  ASSERT_EQ(lstat((dir / "fifo").c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode)) << "the FIFO was replaced";

  fs::create_directory(dir / "d");
  expect_refusal([&] { write_atomically(dir / "d", "x"); }, "d", "is a directory");
  EXPECT_TRUE(fs::is_directory(dir / "d"));
  EXPECT_EQ(others(dir.path(), "fifo").size(), 1u) << "a temporary file was left behind";
}

// Regression: as root, `--json /dev/null` renamed a regular file over the device node. The
// test makes its own node (1,3 is /dev/null's) so that a failure cannot break the machine.
TEST(AtomicWriter, RefusesToReplaceADeviceNode) {
  TempDir dir;
  const fs::path node = dir / "null";
  if (mknod(node.c_str(), S_IFCHR | 0666, makedev(1, 3)) != 0) {
    GTEST_SKIP() << "cannot create a device node here (needs root); the FIFO case covers the rest";
  }
  expect_refusal([&] { write_atomically(node, "x"); }, "null",
                 "is a character device, not a regular file");
  struct stat st {};
  ASSERT_EQ(lstat(node.c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode)) << "the device node was replaced";
}

TEST(AtomicWriter, KeepsTheTargetsPermissions) {
  TempDir dir;
  const fs::path target = dir / "w";
  put_file(target, "old");
  ASSERT_EQ(chmod(target.c_str(), 0640), 0);
  write_atomically(target, "new");
  struct stat st {};
  ASSERT_EQ(stat(target.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
}

// Regression: an interrupt during a save left `<target>.tmp.<pid>` behind.
TEST(AtomicWriter, SigtermDuringASaveLeavesNoTemporary) {
  TempDir dir;
  const fs::path target = dir / "w";
  const std::string big(8 << 20, 'x');  // long enough to be caught in the middle
  for (int delay_ms : {0, 2, 5, 11, 23}) {
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      for (;;) write_atomically(target, big);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    kill(child, SIGTERM);
    int status = 0;
    waitpid(child, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM)
        << "the child did not end by SIGTERM (status " << status << ")";
    EXPECT_TRUE(others(dir.path(), "w").empty())
        << "after " << delay_ms << " ms: left behind " << others(dir.path(), "w")[0];
  }
}

TEST(AtomicWriter, AReadOnlyDirectoryIsRefusedWithTheSystemsReason) {
  TempDir dir;
  fs::permissions(dir.path(), fs::perms::all);  // let nobody reach what is inside
  const fs::path locked = dir / "locked";
  fs::create_directory(locked);
  fs::permissions(locked, fs::perms::owner_read | fs::perms::owner_exec | fs::perms::group_read |
                              fs::perms::group_exec | fs::perms::others_read |
                              fs::perms::others_exec);
  const std::string problem = as_normal_user([&]() -> std::string {
    for (int check = 0; check < 2; ++check) {
      try {
        if (check == 0) write_atomically(locked / "out.json", "x");
        if (check == 1) check_writable(locked / "out.json", 10);
        return "writing into a read-only directory was accepted";
      } catch (const std::runtime_error& e) {
        const std::string msg = e.what();
        if (msg.find("out.json") == std::string::npos ||
            msg.find("Permission denied") == std::string::npos) {
          return "message lacks the file or the reason: " + msg;
        }
      }
    }
    return "";
  });
  EXPECT_EQ(problem, "");
  EXPECT_TRUE(fs::is_empty(locked));
}

TEST(AtomicWriter, CheckWritableLeavesNothingBehind) {
  TempDir dir;
  check_writable(dir / "out.json", 100);
  EXPECT_TRUE(fs::is_empty(dir.path()));
  expect_refusal([&] { check_writable(dir / "no_such_dir" / "out.json", 100); }, "out.json",
                 "No such file or directory");
  expect_refusal([&] { check_writable(dir / "out.json", SIZE_MAX / 2); }, "out.json",
                 "No space left on device");
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

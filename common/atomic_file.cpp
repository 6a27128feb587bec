#include "common/atomic_file.h"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string>

#include "common/io_error.h"

namespace mnist {

namespace fs = std::filesystem;

namespace {

// The temporary files being written right now, so that a signal handler can remove them.
// A handler may call only async-signal-safe functions: it reads fixed buffers and unlink()s.
constexpr size_t kSlots = 4;
constexpr size_t kPathBytes = 4096;
struct PendingFile {
  std::atomic<int> state{0};  // 0 free, 1 being filled in, 2 path holds a name
  char path[kPathBytes] = {};
};
std::array<PendingFile, kSlots> pending;

extern "C" void remove_pending_and_reraise(int signal_number) {
  for (PendingFile& p : pending) {
    if (p.state.load() == 2) ::unlink(p.path);
  }
  std::signal(signal_number, SIG_DFL);  // then end the way the signal would have
  std::raise(signal_number);
}

/// Installs the clean-up handler for SIGINT and SIGTERM, once, where nobody else handles them.
void install_cleanup_handler() {
  static std::once_flag once;
  std::call_once(once, [] {
    for (int sig : {SIGINT, SIGTERM}) {
      struct sigaction old {};
      if (sigaction(sig, nullptr, &old) == 0 && old.sa_handler == SIG_DFL) {
        struct sigaction act {};
        act.sa_handler = remove_pending_and_reraise;
        sigemptyset(&act.sa_mask);
        sigaction(sig, &act, nullptr);
      }
    }
  });
}

/// Closes a file descriptor when it goes out of scope.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

std::string random_hex16() {
  uint64_t r = 0;
  if (getrandom(&r, sizeof r, 0) != static_cast<ssize_t>(sizeof r)) {
    r = static_cast<uint64_t>(::getpid()) * 0x9E3779B97F4A7C15ull ^ reinterpret_cast<uintptr_t>(&r);
  }
  static const char kHex[] = "0123456789abcdef";
  std::string s(16, '0');
  for (int i = 0; i < 16; ++i) s[static_cast<size_t>(i)] = kHex[(r >> (4 * i)) & 0xF];
  return s;
}

void write_all(int fd, std::string_view bytes, const fs::path& target) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_io_error(target, "write error", errno);
    done += static_cast<size_t>(n);
  }
}

/// What is at target now: true for a regular file (its stat in *existing), false for
/// nothing; throws for anything a regular file must not replace, or when it cannot be told.
bool existing_regular_file(const fs::path& target, struct stat* existing) {
  if (::stat(target.c_str(), existing) != 0) {
    if (errno != ENOENT) throw_io_error(target, "cannot check the output", errno);
    return false;
  }
  if (!S_ISREG(existing->st_mode)) {
    throw std::runtime_error(target.string() + ": is " + file_type_name(existing->st_mode) +
                             ", not a regular file; refusing to replace it");
  }
  return true;
}

fs::path directory_of(const fs::path& target) {
  return target.parent_path().empty() ? fs::path(".") : target.parent_path();
}

/// A new temporary file beside a target: created exclusively, without following links, and
/// removed again unless renamed. Its name is in `pending` from before it exists until it
/// is gone or renamed, so that a signal at any moment finds it.
class TemporaryFile {
 public:
  explicit TemporaryFile(const fs::path& target) {
    install_cleanup_handler();
    for (int attempt = 0; attempt < 16; ++attempt) {
      path_ = directory_of(target) / ("." + random_hex16() + ".tmp");
      claim_slot();
      fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
      if (fd_ >= 0) return;
      const int err = errno;
      release_slot();  // the name is someone else's, or nothing was created
      if (err != EEXIST) throw_io_error(target, "cannot open for writing", err);
    }
    throw_io_error(target, "cannot open for writing", EEXIST);
  }
  ~TemporaryFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!renamed_) ::unlink(path_.c_str());
    release_slot();
  }
  TemporaryFile(const TemporaryFile&) = delete;
  TemporaryFile& operator=(const TemporaryFile&) = delete;

  int fd() const { return fd_; }
  const fs::path& path() const { return path_; }
  /// Closes the file, reporting what close() says (NFS reports write errors there).
  int close() {
    const int r = ::close(fd_);
    fd_ = -1;
    return r;
  }
  void renamed() { renamed_ = true; }

 private:
  void claim_slot() {
    const std::string& s = path_.native();
    if (s.size() >= kPathBytes) return;
    for (PendingFile& p : pending) {
      int expected = 0;
      if (p.state.compare_exchange_strong(expected, 1)) {
        std::memcpy(p.path, s.c_str(), s.size() + 1);
        p.state.store(2);
        slot_ = &p;
        return;
      }
    }
  }
  void release_slot() {
    if (slot_) slot_->state.store(0);
    slot_ = nullptr;
  }

  fs::path path_;
  int fd_ = -1;
  PendingFile* slot_ = nullptr;
  bool renamed_ = false;
};

}  // namespace

void check_writable(const std::filesystem::path& target, size_t bytes) {
  struct stat existing {};
  existing_regular_file(target, &existing);
  const TemporaryFile probe(target);
  struct statvfs fs_info {};
  if (::fstatvfs(probe.fd(), &fs_info) == 0 &&
      static_cast<double>(fs_info.f_bavail) * static_cast<double>(fs_info.f_frsize) <
          static_cast<double>(bytes)) {
    throw_io_error(target, "cannot write " + std::to_string(bytes) + " bytes", ENOSPC);
  }
}

void write_atomically(const std::filesystem::path& target, std::string_view bytes) {
  // What is there now: a regular file (keep its permissions), nothing, or something that
  // must not be replaced by a regular file.
  struct stat existing {};
  const bool exists = existing_regular_file(target, &existing);
  const fs::path dir = directory_of(target);
  TemporaryFile tmp(target);
  if (exists && ::fchmod(tmp.fd(), existing.st_mode & 07777) != 0) {
    throw_io_error(target, "cannot set permissions", errno);
  }
  write_all(tmp.fd(), bytes, target);
  if (::fsync(tmp.fd()) != 0) throw_io_error(target, "write error (fsync)", errno);
  if (tmp.close() != 0) throw_io_error(target, "write error on close", errno);
  if (::rename(tmp.path().c_str(), target.c_str()) != 0) {
    throw_io_error(target, "cannot rename into place", errno);
  }
  tmp.renamed();

  // The rename is durable once the directory is; a file system that cannot sync a
  // directory (EINVAL) has nothing to do.
  Fd directory{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (directory.fd >= 0 && ::fsync(directory.fd) != 0 && errno != EINVAL) {
    throw_io_error(target, "written, but syncing its directory failed", errno);
  }
}

}  // namespace mnist

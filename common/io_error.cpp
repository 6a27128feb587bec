#include "common/io_error.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace mnist {

void throw_io_error(const std::filesystem::path& path, const std::string& what, int errnum) {
  throw std::runtime_error(path.string() + ": " + what + ": " + std::strerror(errnum));
}

const char* file_type_name(mode_t mode) {
  if (S_ISREG(mode)) return "a regular file";
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  return "a special file";
}

void require_readable_file(const std::filesystem::path& path, const std::string& kind) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) throw std::runtime_error(path.string() + ": " + kind + " not found");
    throw_io_error(path, "cannot open " + kind, errno);
  }
  if (!S_ISREG(st.st_mode)) {
    throw std::runtime_error(path.string() + ": is " + file_type_name(st.st_mode) +
                             ", not a regular file");
  }
  // Opening tells what stat cannot: a file without read permission (root may read anyway).
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw_io_error(path, "cannot open " + kind, errno);
  ::close(fd);
}

}  // namespace mnist

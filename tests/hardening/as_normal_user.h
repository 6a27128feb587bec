/// \file
/// \brief Run a check as a normal user, so that permission tests mean something as root too.
#pragma once

#include <grp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <string>

namespace mnist::hardening {

/// The user id permission tests switch to when they run as root: `nobody` on Debian.
constexpr uid_t kNobody = 65534;

/// Runs check() in a child process that, if this process is root, first becomes the user
/// nobody (root reads and writes past any permission bit, which would make the test pass
/// for the wrong reason). check returns "" on success or what went wrong; so does this.
inline std::string as_normal_user(const std::function<std::string()>& check) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return "pipe() failed";
  const pid_t child = fork();
  if (child < 0) return "fork() failed";
  if (child == 0) {
    close(pipe_fds[0]);
    std::string result;
    if (geteuid() == 0 &&
        (setgroups(0, nullptr) != 0 || setgid(kNobody) != 0 || setuid(kNobody) != 0)) {
      result = "cannot become the user nobody";
    } else {
      try {
        result = check();
      } catch (const std::exception& e) {
        result = std::string("unexpected exception: ") + e.what();
      }
    }
    if (!result.empty() && write(pipe_fds[1], result.data(), result.size()) < 0) _exit(2);
    _exit(0);
  }
  close(pipe_fds[1]);
  std::string result;
  char buf[256];
  for (ssize_t n; (n = read(pipe_fds[0], buf, sizeof buf)) > 0;)
    result.append(buf, static_cast<size_t>(n));
  close(pipe_fds[0]);
  int status = 0;
  waitpid(child, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return "the child did not finish cleanly";
  return result;
}

}  // namespace mnist::hardening

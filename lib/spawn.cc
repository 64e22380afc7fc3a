// SPDX-License-Identifier: Apache-2.0
#include "scxpp/spawn.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

#include "absl/status/status.h"

namespace scxpp {

absl::StatusOr<HeldChild> HeldChild::Start(std::vector<std::string> argv) {
  if (argv.empty() || argv[0].empty()) {
    return absl::InvalidArgumentError("no command to run");
  }
  int go[2];
  if (pipe2(go, O_CLOEXEC) != 0) {
    return absl::InternalError(std::string("pipe: ") + std::strerror(errno));
  }
  // Everything the child needs is prepared before fork: it only calls async-signal-safe
  // functions until exec.
  std::vector<char*> args;
  for (std::string& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) {
    const int err = errno;
    close(go[0]);
    close(go[1]);
    return absl::InternalError(std::string("fork: ") + std::strerror(err));
  }
  if (pid == 0) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    close(go[1]);
    char c;
    if (read(go[0], &c, 1) != 1) _exit(127);  // never released
    execvp(args[0], args.data());
    dprintf(STDERR_FILENO, "cannot run %s: %s\n", args[0], std::strerror(errno));
    _exit(127);
  }
  close(go[0]);
  return HeldChild(pid, go[1]);
}

HeldChild::HeldChild(HeldChild&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      go_fd_(std::exchange(other.go_fd_, -1)),
      status_(std::exchange(other.status_, std::nullopt)) {}

HeldChild& HeldChild::operator=(HeldChild&& other) noexcept {
  if (this != &other) {
    Reset();
    pid_ = std::exchange(other.pid_, -1);
    go_fd_ = std::exchange(other.go_fd_, -1);
    status_ = std::exchange(other.status_, std::nullopt);
  }
  return *this;
}

HeldChild::~HeldChild() { Reset(); }

void HeldChild::Reset() {
  if (go_fd_ >= 0) {
    // Never released: closing the pipe makes it exit 127; kill in case it is not reading.
    close(go_fd_);
    go_fd_ = -1;
    if (pid_ > 0 && !status_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  pid_ = -1;
}

absl::Status HeldChild::Release() {
  if (go_fd_ < 0 || pid_ <= 0) {
    return absl::FailedPreconditionError("the child was already released or is gone");
  }
  const bool ok = write(go_fd_, "g", 1) == 1;
  close(go_fd_);
  go_fd_ = -1;
  if (!ok) return absl::InternalError(std::string("release: ") + std::strerror(errno));
  return absl::OkStatus();
}

std::optional<int> HeldChild::Poll() {
  if (status_ || pid_ <= 0) return status_;
  int st = 0;
  if (waitpid(pid_, &st, WNOHANG) != pid_) return std::nullopt;
  status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  return status_;
}

}  // namespace scxpp

// SPDX-License-Identifier: Apache-2.0
#include "tests/util/subprocess.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"

namespace scxpp::testing {

Subprocess::Subprocess(std::vector<std::string> argv, std::optional<Identity> as) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return;
  pid_ = fork();
  if (pid_ == 0) {
    dup2(fds[1], STDOUT_FILENO);
    dup2(fds[1], STDERR_FILENO);
    int devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, STDIN_FILENO);
    // Runners block SIGINT/SIGTERM in their own way; start the child with defaults.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    if (as && (setgroups(as->groups.size(), as->groups.data()) != 0 ||
               setresgid(as->gid, as->gid, as->gid) != 0 ||
               setresuid(as->uid, as->uid, as->uid) != 0)) {
      dprintf(STDERR_FILENO, "cannot run as uid %u: %s\n", as->uid, strerror(errno));
      _exit(126);
    }
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    execv(args[0], args.data());
    dprintf(STDERR_FILENO, "exec %s: %s\n", args[0], strerror(errno));
    _exit(127);
  }
  close(fds[1]);
  fd_ = fds[0];
}

Subprocess::~Subprocess() {
  if (pid_ > 0 && !status_) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (fd_ >= 0) close(fd_);
}

void Subprocess::Drain(absl::Duration timeout) {
  if (fd_ < 0) return;
  pollfd p{fd_, POLLIN, 0};
  const int ms = static_cast<int>(absl::ToInt64Milliseconds(timeout));
  if (poll(&p, 1, ms) <= 0) return;
  char buf[4096];
  ssize_t n = read(fd_, buf, sizeof(buf));
  if (n > 0) {
    output_.append(buf, n);
  } else if (n == 0) {
    close(fd_);
    fd_ = -1;
  }
}

bool Subprocess::WaitForOutput(const std::string& needle, absl::Duration timeout, int count) {
  const absl::Time end = absl::Now() + timeout;
  auto found = [&] {
    int n = 0;
    for (size_t pos = output_.find(needle); pos != std::string::npos;
         pos = output_.find(needle, pos + needle.size())) {
      if (++n >= count) return true;
    }
    return false;
  };
  while (!found()) {
    if (absl::Now() > end) return false;
    if (fd_ < 0) {
      // The process closed its output (exited); nothing more will come.
      return false;
    }
    Drain(absl::Milliseconds(50));
  }
  return true;
}

void Subprocess::Signal(int signo) {
  if (pid_ > 0 && !status_) kill(pid_, signo);
}

std::optional<int> Subprocess::Wait(absl::Duration timeout) {
  if (status_) return status_;
  const absl::Time end = absl::Now() + timeout;
  while (true) {
    while (fd_ >= 0 && absl::Now() <= end) Drain(absl::Milliseconds(20));
    int st = 0;
    pid_t r = waitpid(pid_, &st, WNOHANG);
    if (r == pid_) {
      status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      // What it wrote just before exiting (a scheduler's exit line and debug dump) may still
      // be in the pipe, even when the timeout has passed: read it up to EOF (a grandchild
      // holding the pipe open bounds this at 2 s).
      const absl::Time drain_end = absl::Now() + absl::Seconds(2);
      while (fd_ >= 0 && absl::Now() <= drain_end) Drain(absl::Milliseconds(20));
      return status_;
    }
    if (absl::Now() > end) return std::nullopt;
    absl::SleepFor(absl::Milliseconds(20));
  }
}

RunResult RunCommand(std::vector<std::string> argv, absl::Duration timeout,
                     std::optional<Identity> as) {
  Subprocess p(std::move(argv), std::move(as));
  RunResult r;
  r.status = p.Wait(timeout);
  r.output = p.output();
  return r;
}

std::string ReadFileTrimmed(const std::string& path) {
  std::ifstream in(path);
  if (!in) return "";
  std::stringstream ss;
  ss << in.rdbuf();
  return std::string(absl::StripTrailingAsciiWhitespace(ss.str()));
}

bool SchedExtDisabled() { return ReadFileTrimmed("/sys/kernel/sched_ext/state") == "disabled"; }

long FinalStat(const std::string& output, const std::string& name) {
  const size_t line = output.rfind("final:");
  if (line == std::string::npos) return -1;
  size_t pos = output.find(" " + name + "=", line);
  if (pos == std::string::npos) pos = output.find(":" + name + "=", line);
  if (pos == std::string::npos) return -1;
  pos += name.size() + 2;
  const size_t end = output.find_first_not_of("0123456789", pos);
  long v = -1;
  if (!absl::SimpleAtoi(output.substr(pos, end - pos), &v)) return -1;
  return v;
}

double JsonNumber(const std::string& json, const std::string& key, const std::string& after) {
  size_t pos = after.empty() ? 0 : json.find("\"" + after + "\"");
  if (pos == std::string::npos) return -1;
  pos = json.find("\"" + key + "\":", pos);
  if (pos == std::string::npos) return -1;
  pos += key.size() + 3;
  const size_t end = json.find_first_of(",}]", pos);
  double v = -1;
  if (!absl::SimpleAtod(json.substr(pos, end - pos), &v)) return -1;
  return v;
}

}  // namespace scxpp::testing

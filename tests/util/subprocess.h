// SPDX-License-Identifier: Apache-2.0
// Test helper: run a program with its stdout+stderr captured, watch its output, signal it.
#ifndef SCXPP_TESTS_UTIL_SUBPROCESS_H_
#define SCXPP_TESTS_UTIL_SUBPROCESS_H_

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace scxpp::testing {

// Who a child runs as, for tests that act as another local user.
struct Identity {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;  // Supplementary groups (none by default).
};

class Subprocess {
 public:
  // Starts argv[0] (a path) with argv; stdout and stderr go to one pipe we read. With `as`,
  // the child drops to that identity first (exit 126 if it cannot).
  explicit Subprocess(std::vector<std::string> argv, std::optional<Identity> as = std::nullopt);
  ~Subprocess();
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  pid_t pid() const { return pid_; }
  // Reads output until `needle` appears `count` times or `timeout` passes; true if it did.
  bool WaitForOutput(const std::string& needle, absl::Duration timeout, int count = 1);
  void Signal(int signo);
  // Waits for exit (reading the rest of the output); the exit status, 128+sig if killed,
  // nullopt on timeout.
  std::optional<int> Wait(absl::Duration timeout);
  // Everything read so far.
  const std::string& output() const { return output_; }

 private:
  void Drain(absl::Duration timeout);
  pid_t pid_ = -1;
  int fd_ = -1;
  std::string output_;
  std::optional<int> status_;
};

// Runs to completion; returns {status, output}. status nullopt on timeout (then killed).
struct RunResult {
  std::optional<int> status;
  std::string output;
};
RunResult RunCommand(std::vector<std::string> argv, absl::Duration timeout,
                     std::optional<Identity> as = std::nullopt);

// Reads a whole file ("" if unreadable), trailing whitespace trimmed.
std::string ReadFileTrimmed(const std::string& path);

// Is /sys/kernel/sched_ext/state "disabled" (no scheduler attached)?
bool SchedExtDisabled();

// The value of "<name>=<n>" in a scheduler runner's last "final:" stats line, or -1.
long FinalStat(const std::string& output, const std::string& name);

// The number after "\"key\":" in a workload's JSON output, searching from the first
// "\"after\"" if `after` is given (e.g. JsonNumber(out, "p99", "lat_ns")); -1 if absent.
double JsonNumber(const std::string& json, const std::string& key, const std::string& after = "");

// Polls `pred` every 50 ms until it holds or `timeout` passes.
template <typename Pred>
bool WaitUntil(Pred pred, absl::Duration timeout) {
  const absl::Time end = absl::Now() + timeout;
  while (true) {
    if (pred()) return true;
    if (absl::Now() > end) return false;
    absl::SleepFor(absl::Milliseconds(50));
  }
}

}  // namespace scxpp::testing

#endif  // SCXPP_TESTS_UTIL_SUBPROCESS_H_

// SPDX-License-Identifier: Apache-2.0
#include "scxpp/runner.h"

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cstdio>
#include <optional>
#include <string>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "fmt/core.h"

ABSL_FLAG(absl::Duration, stats_interval, absl::Seconds(1),
          "How often to print the scheduler's stats (e.g. 500ms, 2s); 0 disables them.");
ABSL_FLAG(std::string, stats_format, "text", "Stats output: text (one line) or json (JSON lines).");
ABSL_FLAG(bool, verbose, false, "Print libbpf's debug output, including the verifier log.");

namespace scxpp {

RunOptions RunOptionsFromFlags() {
  RunOptions o;
  o.stats_interval = absl::GetFlag(FLAGS_stats_interval);
  o.stats_json = absl::GetFlag(FLAGS_stats_format) == "json";
  o.verbose = absl::GetFlag(FLAGS_verbose);
  return o;
}

namespace internal {
namespace {

// SIGINT/SIGTERM are read from a signalfd, so the loop wakes at once and nothing runs in
// signal context.
class SignalWatch {
 public:
  SignalWatch() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    sigprocmask(SIG_BLOCK, &set_, &old_);
    fd_ = signalfd(-1, &set_, SFD_CLOEXEC | SFD_NONBLOCK);
  }
  ~SignalWatch() {
    if (fd_ >= 0) close(fd_);
    sigprocmask(SIG_SETMASK, &old_, nullptr);
  }
  // Waits up to `timeout`; returns the signal number, or 0.
  int Wait(absl::Duration timeout) {
    pollfd p{fd_, POLLIN, 0};
    int ms = static_cast<int>(absl::ToInt64Milliseconds(timeout));
    if (poll(&p, 1, ms < 0 ? 0 : ms) > 0) {
      signalfd_siginfo si{};
      if (read(fd_, &si, sizeof(si)) == sizeof(si)) return static_cast<int>(si.ssi_signo);
    }
    return 0;
  }

 private:
  sigset_t set_{}, old_{};
  int fd_ = -1;
};

}  // namespace

int Run(const StartFn& start, const RunOptions& options) {
  SignalWatch signals;
  for (int restarts = 0;; ++restarts) {
    absl::StatusOr<std::unique_ptr<SchedulerCore>> sched = start(options.verbose);
    if (!sched.ok()) {
      fmt::print(stderr, "error: {}\n", std::string(sched.status().message()));
      return kExitStartFailed;
    }
    SchedulerCore& s = **sched;
    std::optional<StatsReader> stats;
    if (!options.stats.empty()) {
      absl::StatusOr<StatsReader> r = StatsReader::Bind(s.object(), options.stats);
      if (!r.ok()) {
        fmt::print(stderr, "error: {}\n", std::string(r.status().message()));
        return kExitStartFailed;
      }
      stats.emplace(*std::move(r));
    }
    if (absl::Status a = s.Attach(); !a.ok()) {
      fmt::print(stderr, "error: {}\n", std::string(a.message()));
      return kExitStartFailed;
    }
    fmt::print("scxpp: scheduler '{}' attached\n", s.name());
    std::fflush(stdout);

    std::optional<StatsSample> prev;
    const absl::Duration poll_every = absl::Milliseconds(100);
    absl::Time next_stats = absl::Now() + options.stats_interval;
    int signo = 0;
    while (!s.Exited()) {
      signo = signals.Wait(poll_every);
      if (signo != 0) break;
      if (stats && options.stats_interval > absl::ZeroDuration() && absl::Now() >= next_stats) {
        next_stats += options.stats_interval;
        if (absl::StatusOr<StatsSample> now = stats->Read(); now.ok()) {
          fmt::print("{}\n", options.stats_json ? FormatStatsJson(options.stats, *now)
                                                : FormatStatsText(options.stats, *now, prev ? &*prev : nullptr));
          std::fflush(stdout);
          prev = *std::move(now);
        }
      }
    }
    if (signo != 0) fmt::print("scxpp: {} received, detaching\n", strsignal(signo));
    // Final stats while the maps are still there, then detach.
    if (stats) {
      if (absl::StatusOr<StatsSample> now = stats->Read(); now.ok()) {
        fmt::print("{}\n", options.stats_json ? FormatStatsJson(options.stats, *now)
                                              : absl::StrCat("final: ", FormatStatsText(options.stats, *now, nullptr)));
      }
    }
    s.Detach();
    absl::StatusOr<ExitInfo> exit = s.Exit(true);
    if (!exit.ok()) {
      fmt::print(stderr, "error: {}\n", std::string(exit.status().message()));
      return kExitSchedError;
    }
    if (exit->is_error() && !exit->dump.empty() && options.verbose) {
      fmt::print(stderr, "{}\n", exit->dump);
    }
    fmt::print("scxpp: scheduler '{}' exited: {}\n", s.name(), exit->Summary());
    std::fflush(stdout);
    if (exit->should_restart() && signo == 0 && restarts < options.max_restarts) {
      fmt::print("scxpp: restarting '{}' as the kernel asked\n", s.name());
      continue;
    }
    return exit->is_error() ? kExitSchedError : kExitOk;
  }
}

}  // namespace internal
}  // namespace scxpp

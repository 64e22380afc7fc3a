// SPDX-License-Identifier: Apache-2.0
/// @file
/// Starting a command from a scheduler's process, held until the scheduler is ready for it.
#ifndef SCXPP_SPAWN_H_
#define SCXPP_SPAWN_H_

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace scxpp {

/// A command in a child process that waits before it execs, so that the scheduler can set up
/// what is keyed by its pid first (a reservation, a table entry) and the command's first
/// instruction already runs under it. The child starts with the default signal mask and
/// dispositions, not the runner's (which blocks SIGINT and SIGTERM to read them from a
/// signalfd). Move-only; destroying a child that was never released kills and reaps it.
/// Needs no kernel feature.
class HeldChild {
 public:
  /// Forks; the child waits for Release() (or for this object to go away: then it exits 127
  /// without running anything).
  /// @return the held child; kInvalidArgument for an empty argv; kInternal if fork/pipe
  ///         failed (the message carries errno).
  static absl::StatusOr<HeldChild> Start(std::vector<std::string> argv);

  /// Takes over `other`'s child; `other` is left empty.
  HeldChild(HeldChild&& other) noexcept;
  /// Ends the child held here (as the destructor does), then takes over `other`'s.
  HeldChild& operator=(HeldChild&& other) noexcept;
  HeldChild(const HeldChild&) = delete;
  HeldChild& operator=(const HeldChild&) = delete;
  ~HeldChild();

  /// The child's pid (its only thread's tid too).
  pid_t pid() const { return pid_; }
  /// Lets the child exec the command (execvp: PATH is searched). A command that cannot be
  /// run exits 127 after saying why on stderr.
  /// @return OK; kFailedPrecondition if already released or gone.
  absl::Status Release();
  /// Without blocking: the exit status once the child ended (its exit code, or 128 + the
  /// signal that ended it), std::nullopt while it runs. Reaps it.
  std::optional<int> Poll();

 private:
  HeldChild(pid_t pid, int go_fd) : pid_(pid), go_fd_(go_fd) {}
  void Reset();
  pid_t pid_ = -1;
  int go_fd_ = -1;
  std::optional<int> status_;
};

}  // namespace scxpp

#endif  // SCXPP_SPAWN_H_

// SPDX-License-Identifier: Apache-2.0
// --spawn: the command the deadline daemon runs as an admitted task, and its reservation.
#ifndef SCXPP_EXAMPLES_DEADLINE_SPAWNED_COMMAND_H_
#define SCXPP_EXAMPLES_DEADLINE_SPAWNED_COMMAND_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "registry.h"
#include "scxpp/spawn.h"

namespace scxpp::deadline {

// The command's main thread is admitted; threads it creates are best-effort unless
// registered. Its reservation is held by a placeholder from before anything is loaded until
// the command runs, so nothing admitted meanwhile can take it.
class SpawnedCommand {
 public:
  // Before anything is loaded: admits the placeholder, with the reservation `spec`
  // ("runtime:period[:deadline]", --spawn's value).
  // @return OK; kInvalidArgument for a bad `spec`; the admission's error when it does not fit.
  static absl::Status Reserve(Registry& reg, const std::string& spec);

  // `command`: its argv; empty when there is nothing to spawn (then nothing here does
  // anything).
  explicit SpawnedCommand(std::vector<std::string> command) : command_(std::move(command)) {}

  // After each attach: the first time, starts the command held, gives its thread the
  // placeholder's reservation, then lets it run. On error a held command is killed with this
  // object.
  absl::Status Start(Registry& reg);

  // Without blocking: true once, when the command has exited (reported, its reservation
  // released).
  bool Exited(Registry& reg);

  // When the scheduler stopped first (a signal, an error): ends the command if it still runs.
  void Terminate();

 private:
  static constexpr int kPlaceholder = -1;

  std::vector<std::string> command_;
  std::optional<HeldChild> child_;  // Held until it has its reservation.
  bool spawned_ = false;
};

}  // namespace scxpp::deadline

#endif  // SCXPP_EXAMPLES_DEADLINE_SPAWNED_COMMAND_H_

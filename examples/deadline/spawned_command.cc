// SPDX-License-Identifier: Apache-2.0
// --spawn (spawned_command.h): the placeholder reservation, starting the command, its exit.
#include "spawned_command.h"

#include <signal.h>

#include <cstdio>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "admission.h"

namespace scxpp::deadline {

absl::Status SpawnedCommand::Reserve(Registry& reg, const std::string& spec) {
  absl::StatusOr<TaskParams> p = ParseTaskParams(spec);
  if (!p.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--spawn: ", p.status().message()));
  }
  absl::StatusOr<std::vector<int>> placed = reg.Admit({{kPlaceholder, *p}});
  if (!placed.ok()) {
    return absl::Status(placed.status().code(),
                        absl::StrCat("--spawn: ", placed.status().message()));
  }
  return absl::OkStatus();
}

absl::Status SpawnedCommand::Start(Registry& reg) {
  if (command_.empty() || spawned_) return absl::OkStatus();
  absl::StatusOr<HeldChild> held = HeldChild::Start(command_);
  if (!held.ok()) {
    return absl::Status(held.status().code(), absl::StrCat("--spawn: ", held.status().message()));
  }
  child_.emplace(*std::move(held));
  spawned_ = true;
  absl::StatusOr<int> cpu = reg.Rekey(kPlaceholder, child_->pid());
  if (!cpu.ok()) return cpu.status();  // the held child is killed with `child_`
  std::printf("deadline: spawned %s as thread %d on CPU %d\n", command_[0].c_str(), child_->pid(),
              *cpu);
  std::fflush(stdout);
  return child_->Release();
}

bool SpawnedCommand::Exited(Registry& reg) {
  if (!child_) return false;
  std::optional<int> status = child_->Poll();
  if (!status) return false;
  std::printf("deadline: spawned command exited (%s %d)\n", *status < 128 ? "status" : "signal",
              *status < 128 ? *status : *status - 128);
  std::fflush(stdout);
  reg.Reap();
  child_.reset();
  return true;
}

void SpawnedCommand::Terminate() {
  if (child_ && !child_->Poll()) kill(child_->pid(), SIGTERM);
}

}  // namespace scxpp::deadline

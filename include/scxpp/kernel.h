// SPDX-License-Identifier: Apache-2.0
/// @file
/// What the running kernel offers: is sched_ext there, its state, which scheduler is
/// attached, the kernel release. Reads sysfs under an injectable root so it can be tested.
#ifndef SCXPP_KERNEL_H_
#define SCXPP_KERNEL_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace scxpp {

/// `/sys/kernel/sched_ext/state`.
enum class SchedExtState { kDisabled, kEnabling, kEnabled, kDisabling, kUnknown };

/// "disabled", "enabling", ...
std::string_view SchedExtStateName(SchedExtState state);

/// A view of the kernel through a sysfs root (default "/sys"; tests pass a fake tree).
class Kernel {
 public:
  /// A view through `sysfs_root` (the directory that holds `kernel/sched_ext`).
  explicit Kernel(std::string sysfs_root = "/sys") : sysfs_root_(std::move(sysfs_root)) {}

  /// Does this kernel have sched_ext (CONFIG_SCHED_CLASS_EXT, Linux >= 6.12)?
  bool HasSchedExt() const;
  /// The sched_ext state. kNotFound / kUnimplemented if there is no sched_ext.
  absl::StatusOr<SchedExtState> State() const;
  /// Name of the attached root scheduler (`root/ops`), or "" when none is attached.
  std::string AttachedScheduler() const;
  /// `hotplug_seq` (CPU hotplug events since boot), 0 if unknown.
  uint64_t HotplugSeq() const;
  /// uname -r.
  static std::string Release();

  /// OK when a new scheduler could attach now. Otherwise:
  ///   kUnimplemented  — no sched_ext in this kernel (message says what to do);
  ///   kAlreadyExists  — another scheduler is attached (message names it).
  absl::Status CheckCanAttach() const;

 private:
  std::string Path(std::string_view rel) const;
  std::string sysfs_root_;
};

/// OK if this process may load a sched_ext scheduler (CAP_SYS_ADMIN in the effective set);
/// kPermissionDenied otherwise, with a message saying to run as root.
absl::Status CheckPrivileges();

}  // namespace scxpp

#endif  // SCXPP_KERNEL_H_

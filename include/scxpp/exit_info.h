// SPDX-License-Identifier: Apache-2.0
/// @file
/// How a sched_ext scheduler ended: the kernel's exit kind, exit code, reason, message and
/// debug dump, decoded from the record the BPF side leaves with scxpp_record_exit().
#ifndef SCXPP_EXIT_INFO_H_
#define SCXPP_EXIT_INFO_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

struct bpf_object;
struct scxpp_exit_info;

namespace scxpp {

/// `enum scx_exit_kind` of the kernel (values as in Linux 7.3; older kernels use a subset).
enum class ExitKind : int32_t {
  kNone = 0,                   ///< Still running.
  kDone = 1,                   ///< Normal completion.
  kUnregistered = 64,          ///< Userspace detached the struct_ops link.
  kUnregisteredBpf = 65,       ///< The BPF side called scx_bpf_exit().
  kUnregisteredKernel = 66,    ///< The kernel unregistered it (e.g. CPU hotplug).
  kSysRq = 67,                 ///< SysRq-S.
  kParent = 68,                ///< Parent scheduler exiting (sub-schedulers, 7.1+).
  kParentKill = 69,            ///< Killed by its parent (sub-schedulers, 7.1+).
  kError = 1024,               ///< Runtime error (incl. RCU stall, lockup detectors).
  kErrorBpf = 1025,            ///< The BPF side called scx_bpf_error().
  kErrorStall = 1026,          ///< The watchdog found a runnable task that did not run.
  kErrorReenqueue = 1027,      ///< Reenqueue-loop limit (7.x).
  kErrorRescue = 1028,         ///< Rescue bandwidth overload (7.3).
};

/// Bits of the 64-bit exit code: [63..48] system action, [47..32] system reason,
/// [31..0] the code the scheduler itself passed to scx_bpf_exit().
inline constexpr int64_t kExitReasonHotplug = int64_t{1} << 32;        ///< SCX_ECODE_RSN_HOTPLUG
inline constexpr int64_t kExitReasonCgroupOffline = int64_t{2} << 32;  ///< SCX_ECODE_RSN_CGROUP_OFFLINE
inline constexpr int64_t kExitActionRestart = int64_t{1} << 48;        ///< SCX_ECODE_ACT_RESTART

/// Name of an exit kind ("unregistered", "error (stall)", ...); "unknown(<n>)" otherwise.
std::string ExitKindName(ExitKind kind);

/// A decoded exit record.
struct ExitInfo {
  ExitKind kind = ExitKind::kNone;  ///< How it ended; kNone while it runs.
  int32_t exit_cpu = -1;  ///< CPU that triggered the exit; -1 if unknown (kernel < 6.17).
  int64_t exit_code = 0;  ///< [63..48] action, [47..32] reason, [31..0] user code.
  uint64_t flags = 0;     ///< SCX_EFLAG_*; bit 0 = ops.init() had completed.
  std::string reason;     ///< The kernel's reason, e.g. "unregistered from user space".
  std::string message;    ///< Details (the scx_bpf_error() text, the stalled task, ...).
  std::string dump;       ///< Debug dump (error exits only); empty otherwise.

  /// Has the scheduler exited at all?
  bool exited() const { return kind != ExitKind::kNone; }
  /// Exit kinds >= 1024 are errors (the kernel's convention).
  bool is_error() const { return static_cast<int32_t>(kind) >= 1024; }
  /// The kernel asks userspace to load the scheduler again (SCX_ECODE_ACT_RESTART).
  bool should_restart() const { return (exit_code & kExitActionRestart) != 0; }
  /// The user part of the exit code (what scx_bpf_exit() passed), sign-extended.
  int32_t user_code() const { return static_cast<int32_t>(exit_code & 0xffffffff); }
  /// The system reason part, shifted down (1 = hotplug, 2 = cgroup offline).
  uint16_t system_reason() const { return static_cast<uint16_t>((exit_code >> 32) & 0xffff); }
  /// The system action part, shifted down (1 = restart).
  uint16_t system_action() const { return static_cast<uint16_t>((exit_code >> 48) & 0xffff); }

  /// One line: `<kind>: <reason> (<message>)[ on CPU n][, restart requested]`.
  std::string Summary() const;
};

/// Decodes the shared record (pure function; unit-tested on the host).
ExitInfo DecodeExitInfo(const scxpp_exit_info& raw, std::string_view dump = {});

/// Reads the exit record of a loaded scheduler object (maps `scxpp_exit`, `scxpp_dump`).
/// @return the record (kind kNone while it runs);
///         kNotFound if the object has no scxpp exit maps (BPF side lacks exit_info.bpf.h);
///         kInternal if reading the map fails.
absl::StatusOr<ExitInfo> ReadExitInfo(const bpf_object* obj, bool with_dump = true);

}  // namespace scxpp

#endif  // SCXPP_EXIT_INFO_H_

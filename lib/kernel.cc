// SPDX-License-Identifier: Apache-2.0
#include "scxpp/kernel.h"

#include <linux/capability.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace scxpp {
namespace {

bool ReadFirstLine(const std::string& path, std::string* out) {
  std::ifstream in(path);
  if (!in) return false;
  std::getline(in, *out);
  *out = std::string(absl::StripAsciiWhitespace(*out));
  return true;
}

}  // namespace

std::string_view SchedExtStateName(SchedExtState state) {
  switch (state) {
    case SchedExtState::kDisabled: return "disabled";
    case SchedExtState::kEnabling: return "enabling";
    case SchedExtState::kEnabled: return "enabled";
    case SchedExtState::kDisabling: return "disabling";
    case SchedExtState::kUnknown: break;
  }
  return "unknown";
}

std::string Kernel::Path(std::string_view rel) const {
  return absl::StrCat(sysfs_root_, "/kernel/sched_ext", rel.empty() ? "" : "/", std::string(rel));
}

bool Kernel::HasSchedExt() const {
  std::string s;
  return ReadFirstLine(Path("state"), &s);
}

absl::StatusOr<SchedExtState> Kernel::State() const {
  std::string s;
  if (!ReadFirstLine(Path("state"), &s)) {
    return absl::UnimplementedError(absl::StrCat("no sched_ext: ", Path("state"), " is missing"));
  }
  if (s == "disabled") return SchedExtState::kDisabled;
  if (s == "enabling") return SchedExtState::kEnabling;
  if (s == "enabled") return SchedExtState::kEnabled;
  if (s == "disabling") return SchedExtState::kDisabling;
  return SchedExtState::kUnknown;
}

std::string Kernel::AttachedScheduler() const {
  std::string s;
  if (ReadFirstLine(Path("root/ops"), &s)) return s;
  return "";
}

uint64_t Kernel::HotplugSeq() const {
  std::string s;
  uint64_t v = 0;
  if (ReadFirstLine(Path("hotplug_seq"), &s) && absl::SimpleAtoi(s, &v)) return v;
  return 0;
}

std::string Kernel::Release() {
  utsname u{};
  if (uname(&u) != 0) return "unknown";
  return u.release;
}

absl::Status Kernel::CheckCanAttach() const {
  absl::StatusOr<SchedExtState> state = State();
  if (!state.ok()) {
    return absl::UnimplementedError(absl::StrCat(
        "this kernel (", Release(), ") has no sched_ext: ", Path(""),
        " is missing. sched_ext needs Linux >= 6.12 built with CONFIG_SCHED_CLASS_EXT=y. "
        "To try scxpp schedulers on this machine, run them in the bundled VM: "
        "scripts/vm-run -- <scheduler> (see docs/getting-started.md)."));
  }
  if (*state != SchedExtState::kDisabled) {
    std::string name = AttachedScheduler();
    return absl::AlreadyExistsError(absl::StrCat(
        "another sched_ext scheduler is already attached",
        name.empty() ? "" : absl::StrCat(": '", name, "'"), " (state ",
        std::string(SchedExtStateName(*state)), "); stop it before starting a new one"));
  }
  return absl::OkStatus();
}

absl::Status CheckPrivileges() {
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (syscall(SYS_capget, &hdr, data) != 0) {
    return geteuid() == 0 ? absl::OkStatus()
                          : absl::PermissionDeniedError("cannot read capabilities; run as root");
  }
  const bool sys_admin = data[CAP_SYS_ADMIN / 32].effective & (1u << (CAP_SYS_ADMIN % 32));
  if (!sys_admin) {
    return absl::PermissionDeniedError(absl::StrCat(
        "permission denied: loading a sched_ext scheduler needs root (CAP_SYS_ADMIN); this "
        "process runs as uid ", geteuid(), " without it. Run it as root, e.g. with sudo."));
  }
  return absl::OkStatus();
}

}  // namespace scxpp

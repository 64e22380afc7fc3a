// SPDX-License-Identifier: Apache-2.0
#include "scxpp/exit_info.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "scxpp/bpf/exit_info_common.h"

namespace scxpp {
namespace {

// Bounded copy of a NUL-terminated field that BPF filled (it may lack the terminator).
std::string Field(const char* s, size_t cap) { return std::string(s, strnlen(s, cap)); }

}  // namespace

std::string ExitKindName(ExitKind kind) {
  switch (kind) {
    case ExitKind::kNone: return "running";
    case ExitKind::kDone: return "done";
    case ExitKind::kUnregistered: return "unregistered";
    case ExitKind::kUnregisteredBpf: return "unregistered by BPF";
    case ExitKind::kUnregisteredKernel: return "unregistered by the kernel";
    case ExitKind::kSysRq: return "disabled by SysRq-S";
    case ExitKind::kParent: return "parent scheduler exiting";
    case ExitKind::kParentKill: return "killed by parent scheduler";
    case ExitKind::kError: return "error";
    case ExitKind::kErrorBpf: return "error (BPF)";
    case ExitKind::kErrorStall: return "error (stall)";
    case ExitKind::kErrorReenqueue: return "error (reenqueue loop)";
    case ExitKind::kErrorRescue: return "error (rescue overload)";
  }
  return absl::StrCat("unknown(", static_cast<int32_t>(kind), ")");
}

std::string ExitInfo::Summary() const {
  std::string out = ExitKindName(kind);
  if (!reason.empty()) absl::StrAppend(&out, ": ", reason);
  if (!message.empty()) absl::StrAppend(&out, " (", message, ")");
  if (exit_cpu >= 0 && is_error()) absl::StrAppend(&out, " on CPU ", exit_cpu);
  if (user_code() != 0) absl::StrAppend(&out, ", exit code ", user_code());
  if (should_restart()) {
    absl::StrAppend(&out, ", restart requested");
    if (system_reason() == 1) absl::StrAppend(&out, " (CPU hotplug)");
    if (system_reason() == 2) absl::StrAppend(&out, " (cgroup offline)");
  }
  return out;
}

ExitInfo DecodeExitInfo(const scxpp_exit_info& raw, std::string_view dump) {
  ExitInfo info;
  info.kind = static_cast<ExitKind>(raw.kind);
  info.exit_cpu = raw.exit_cpu;
  info.exit_code = raw.exit_code;
  info.flags = raw.flags;
  info.reason = Field(raw.reason, sizeof(raw.reason));
  info.message = Field(raw.msg, sizeof(raw.msg));
  // Up to the first NUL; find() also copes with an empty view, whose data() may be null.
  info.dump = std::string(dump.substr(0, dump.find('\0')));
  return info;
}

absl::StatusOr<ExitInfo> ReadExitInfo(const bpf_object* obj, bool with_dump) {
  const bpf_map* map = bpf_object__find_map_by_name(obj, SCXPP_EXIT_INFO_MAP_NAME);
  if (map == nullptr) {
    return absl::NotFoundError(absl::StrCat(
        "exit info: object '", bpf_object__name(obj), "' has no map '",
        SCXPP_EXIT_INFO_MAP_NAME, "'; include <scxpp/bpf/scxpp.bpf.h> and call "
        "scxpp_record_exit(ei) from ops.exit"));
  }
  scxpp_exit_info raw{};
  const uint32_t key = 0;
  if (bpf_map__lookup_elem(map, &key, sizeof(key), &raw, sizeof(raw), 0) != 0) {
    return absl::InternalError(absl::StrCat("exit info: reading map '", SCXPP_EXIT_INFO_MAP_NAME,
                                            "' failed: ", strerror(errno)));
  }
  std::vector<char> dump;
  if (with_dump && raw.kind != 0) {
    const bpf_map* dmap = bpf_object__find_map_by_name(obj, SCXPP_EXIT_DUMP_MAP_NAME);
    if (dmap != nullptr) {
      dump.resize(bpf_map__value_size(dmap));
      if (bpf_map__lookup_elem(dmap, &key, sizeof(key), dump.data(), dump.size(), 0) != 0) {
        dump.clear();
      }
    }
  }
  return DecodeExitInfo(raw, std::string_view(dump.data(), dump.size()));
}

}  // namespace scxpp

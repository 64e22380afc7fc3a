// SPDX-License-Identifier: Apache-2.0
// The helpers the live-control files share: reading a control directory and its owner.
#include "lib/internal/control_format.h"

#include <bpf/bpf.h>
#include <linux/bpf.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "lib/internal/libbpf_errors.h"

namespace scxpp::internal {

absl::Status SysError(int err, std::string_view what) {
  err = err < 0 ? -err : err;
  std::string msg = absl::StrCat(AV(what), ": ", ErrnoText(err));
  if (err == EACCES || err == EPERM) {
    absl::StrAppend(&msg, "; live control is root-only: run this as root");
  }
  return absl::ErrnoToStatus(err, msg);
}

bool ValidIdent(std::string_view s, size_t max) {
  if (s.empty() || s.size() > max) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    // No dots: bpffs refuses them in names (reserved for its own files).
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
}

uint64_t ProcessStartTime(int64_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
  std::string line;
  if (!std::getline(in, line)) return 0;
  const size_t paren = line.rfind(')');
  if (paren == std::string::npos) return 0;
  std::vector<absl::string_view> f = absl::StrSplit(AV(std::string_view(line).substr(paren + 1)),
                                                   ' ', absl::SkipEmpty());
  uint64_t t = 0;  // f[0] is field 3 (state), so field 22 is f[19].
  if (f.size() < 20 || !absl::SimpleAtoi(f[19], &t)) return 0;
  return t;
}

bool OwnerAlive(int64_t pid, uint64_t start) {
  return pid > 0 && start != 0 && ProcessStartTime(pid) == start;
}

absl::StatusOr<std::vector<MetaEntry>> ReadMeta(int fd, const std::string& path) {
  bpf_map_info info{};
  uint32_t len = sizeof(info);
  if (int err = bpf_map_get_info_by_fd(fd, &info, &len); err != 0) {
    return SysError(err, absl::StrCat("control: inspecting ", path));
  }
  if (info.type != BPF_MAP_TYPE_ARRAY || info.value_size != sizeof(MetaEntry)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "control: ", path, " is not an scxpp description map (written by another scxpp version?)"));
  }
  std::vector<MetaEntry> out(info.max_entries);
  for (uint32_t i = 0; i < info.max_entries; ++i) {
    if (int err = bpf_map_lookup_elem(fd, &i, &out[i]); err != 0) {
      return SysError(err, absl::StrCat("control: reading ", path));
    }
  }
  if (out.empty() || out[0].kind != kMetaHeader || out[0].key_kind != kMetaMagic ||
      out[0].index != kMetaVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        "control: ", path, " has an unknown layout (written by another scxpp version?)"));
  }
  return out;
}

absl::StatusOr<int> OpenPinned(const std::string& path) {
  const int fd = bpf_obj_get(path.c_str());
  if (fd < 0) return SysError(fd, absl::StrCat("control: opening ", path));
  return fd;
}

}  // namespace scxpp::internal

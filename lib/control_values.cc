// SPDX-License-Identifier: Apache-2.0
// Live control's values and keys, and the tunables and tables of a scheduler in this process.
#include "scxpp/control.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/internal/control_format.h"
#include "lib/internal/libbpf_errors.h"
#include "scxpp/bpf/tunables_common.h"
#include "scxpp/scheduler.h"

namespace scxpp {
namespace {

using internal::AV;
using internal::ErrnoText;
using internal::KeySize;

std::string Describe(const TunableDesc& d) {
  return absl::StrCat(d.name, " (", d.min, "..", d.max, "): ", d.description);
}

}  // namespace

// ---- Values and keys ----

absl::StatusOr<uint64_t> ParseTunableValue(const TunableDesc& desc, std::string_view text) {
  std::string t = absl::AsciiStrToLower(absl::StripAsciiWhitespace(AV(text)));
  uint64_t v = 0;
  if (desc.min == 0 && desc.max == 1 && (t == "true" || t == "on" || t == "yes")) {
    v = 1;
  } else if (desc.min == 0 && desc.max == 1 && (t == "false" || t == "off" || t == "no")) {
    v = 0;
  } else if (t.empty() || t[0] == '-' || t[0] == '+' || !absl::SimpleAtoi(t, &v)) {
    return absl::InvalidArgumentError(absl::StrCat("'", AV(text), "' is not a value for ",
                                                   Describe(desc), "; give a whole number"));
  }
  if (v < desc.min || v > desc.max) {
    return absl::InvalidArgumentError(
        absl::StrCat(v, " is out of range for ", Describe(desc)));
  }
  return v;
}

std::string_view KeyKindName(KeyKind kind) {
  switch (kind) {
    case KeyKind::kPid: return "pid";
    case KeyKind::kComm: return "comm";
    case KeyKind::kCgroup: return "cgroup";
  }
  return "?";
}

std::string TableKey::Bytes() const {
  switch (kind) {
    case KeyKind::kPid: {
      const uint32_t pid = static_cast<uint32_t>(id);
      return std::string(reinterpret_cast<const char*>(&pid), sizeof(pid));
    }
    case KeyKind::kComm: {
      std::string b(16, '\0');
      std::memcpy(b.data(), comm.data(), std::min<size_t>(15, comm.size()));
      return b;
    }
    case KeyKind::kCgroup:
      return std::string(reinterpret_cast<const char*>(&id), sizeof(id));
  }
  return "";
}

std::string TableKey::ToString() const {
  switch (kind) {
    case KeyKind::kPid: return absl::StrCat(id);
    case KeyKind::kComm: return comm;
    case KeyKind::kCgroup: return absl::StrCat("cgroup:", id);
  }
  return "";
}

absl::StatusOr<TableKey> ParseTableKey(KeyKind kind, std::string_view text) {
  TableKey key;
  key.kind = kind;
  switch (kind) {
    case KeyKind::kPid: {
      uint64_t pid = 0;
      if (!absl::SimpleAtoi(AV(text), &pid) || pid == 0 || pid > INT32_MAX || text[0] == '+') {
        return absl::InvalidArgumentError(
            absl::StrCat("'", AV(text), "' is not a pid: give a positive thread id"));
      }
      key.id = pid;
      return key;
    }
    case KeyKind::kComm:
      // task->comm is NUL-terminated: a NUL inside could never match (found by fuzzing).
      if (text.empty() || text.size() > 15 || text.find('\0') != std::string_view::npos) {
        return absl::InvalidArgumentError(absl::StrCat(
            "'", AV(text),
            "' is not a command name: give 1 to 15 bytes (no NUL), as in /proc/PID/comm"));
      }
      key.comm = std::string(text);
      return key;
    case KeyKind::kCgroup: {
      uint64_t id = 0;
      // An id, bare or as `table list` prints it ("cgroup:<id>").
      std::string_view num = text;
      if (num.starts_with("cgroup:")) num.remove_prefix(7);
      if (!num.empty() && num[0] >= '0' && num[0] <= '9' && absl::SimpleAtoi(AV(num), &id)) {
        key.id = id;
        return key;
      }
      std::string path(text);
      if (path.empty() || path[0] != '/') path = absl::StrCat("/sys/fs/cgroup/", path);
      struct stat st {};
      struct statfs sf {};
      if (stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || statfs(path.c_str(), &sf) != 0 ||
          sf.f_type != CGROUP2_SUPER_MAGIC) {
        return absl::NotFoundError(absl::StrCat(
            "'", AV(text), "' is not a cgroup: give a cgroup v2 directory (", path,
            " is not one) or its id"));
      }
      key.id = st.st_ino;
      return key;
    }
  }
  return absl::InvalidArgumentError("unknown key kind");
}

absl::StatusOr<TableKey> TableKeyFromBytes(KeyKind kind, std::string_view bytes) {
  if (bytes.size() != KeySize(kind)) {
    return absl::InvalidArgumentError(absl::StrCat("a ", AV(KeyKindName(kind)), " key has ",
                                                   KeySize(kind), " bytes, not ", bytes.size()));
  }
  TableKey key;
  key.kind = kind;
  if (kind == KeyKind::kPid) {
    uint32_t pid = 0;
    std::memcpy(&pid, bytes.data(), 4);
    key.id = pid;
  } else if (kind == KeyKind::kCgroup) {
    std::memcpy(&key.id, bytes.data(), 8);
  } else {
    const size_t len = strnlen(bytes.data(), 16);
    if (len == 0 || len == 16) {  // task->comm has 1 to 15 bytes and its NUL (found by fuzzing)
      return absl::InvalidArgumentError(
          "a comm key holds 1 to 15 bytes and a NUL; these 16 bytes are no command name");
    }
    key.comm = std::string(bytes.data(), len);
  }
  return key;
}

// ---- Tunables ----

absl::StatusOr<Tunables> Tunables::Bind(bpf_object* obj, std::vector<TunableDesc> descs) {
  bpf_map* map = bpf_object__find_map_by_name(obj, SCXPP_TUNABLES_SEC);
  if (map == nullptr) {
    return absl::NotFoundError(absl::StrCat("tunables: object '", bpf_object__name(obj),
                                            "' declares none; add SCXPP_TUNABLES(<list>) to "
                                            "its .bpf.c"));
  }
  size_t size = 0;
  void* values = bpf_map__initial_value(map, &size);
  if (values == nullptr || size != descs.size() * sizeof(uint64_t)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "tunables: the BPF side has ", size / sizeof(uint64_t), " values but the C++ side names ",
        descs.size(), "; build both from the same tunables list"));
  }
  return Tunables(static_cast<volatile uint64_t*>(values), std::move(descs));
}

absl::Status Tunables::Set(std::string_view name, uint64_t value) {
  for (size_t i = 0; i < descs_.size(); ++i) {
    if (descs_[i].name != name) continue;
    if (value < descs_[i].min || value > descs_[i].max) {
      return absl::InvalidArgumentError(
          absl::StrCat(value, " is out of range for ", Describe(descs_[i])));
    }
    values_[i] = value;
    return absl::OkStatus();
  }
  std::vector<std::string> names;
  for (const TunableDesc& d : descs_) names.push_back(d.name);
  return absl::NotFoundError(absl::StrCat("no tunable '", AV(name), "'; there are: ",
                                          absl::StrJoin(names, ", ")));
}

absl::Status Tunables::SetStartValues() {
  for (const TunableDesc& d : descs_) {
    if (absl::Status s = Set(d.name, d.def); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> Tunables::Get(std::string_view name) const {
  for (size_t i = 0; i < descs_.size(); ++i) {
    if (descs_[i].name == name) return values_[i];
  }
  return absl::NotFoundError(absl::StrCat("no tunable '", AV(name), "'"));
}

absl::Status PutTableEntry(SchedulerBase& sched, const TableDesc& table, const TableKey& key,
                           std::vector<uint64_t> fields) {
  if (table.map.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("table '", table.name, "' is served by a handler, not a map"));
  }
  if (key.kind != table.key) {
    return absl::InvalidArgumentError(absl::StrCat("table '", table.name, "' is keyed by ",
                                                   AV(KeyKindName(table.key)), ", not ",
                                                   AV(KeyKindName(key.kind))));
  }
  if (fields.empty()) {
    for (const TunableDesc& f : table.fields) fields.push_back(f.def);
  }
  if (fields.size() != table.fields.size()) {
    return absl::InvalidArgumentError(absl::StrCat("table '", table.name, "' has ",
                                                   table.fields.size(), " fields, not ",
                                                   fields.size()));
  }
  for (size_t i = 0; i < fields.size(); ++i) {
    if (fields[i] < table.fields[i].min || fields[i] > table.fields[i].max) {
      return absl::InvalidArgumentError(
          absl::StrCat(fields[i], " is out of range for ", Describe(table.fields[i])));
    }
  }
  if (fields.empty()) fields.push_back(1);
  const bpf_map* m = bpf_object__find_map_by_name(sched.object(), table.map.c_str());
  if (m == nullptr) {
    return absl::NotFoundError(absl::StrCat("table '", table.name, "': no map '", table.map, "'"));
  }
  const std::string kb = key.Bytes();
  if (bpf_map__key_size(m) != kb.size() || bpf_map__value_size(m) != fields.size() * 8) {
    return absl::InvalidArgumentError(absl::StrCat("table '", table.name, "': map '", table.map,
                                                   "' does not fit its key and fields"));
  }
  if (int err = bpf_map_update_elem(bpf_map__fd(m), kb.data(), fields.data(), BPF_ANY); err != 0) {
    if (err == -E2BIG) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "table '", table.name, "' is full (", bpf_map__max_entries(m), " entries)"));
    }
    return absl::InternalError(absl::StrCat("table '", table.name, "': adding ", key.ToString(),
                                            ": ", ErrnoText(err)));
  }
  return absl::OkStatus();
}

}  // namespace scxpp

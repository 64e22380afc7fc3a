// SPDX-License-Identifier: Apache-2.0
#include "scxpp/control.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/magic.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "lib/internal/libbpf_errors.h"
#include "scxpp/bpf/stats_common.h"
#include "scxpp/bpf/tunables_common.h"

namespace scxpp {
namespace {

using internal::ErrnoText;

// Debian's absl::string_view is its own type, not std::string_view.
absl::string_view AV(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// A failed syscall as a status whose code follows errno (EACCES/EPERM -> kPermissionDenied,
// ENOENT -> kNotFound, ...), with a hint for the permission case.
absl::Status SysError(int err, std::string_view what) {
  err = err < 0 ? -err : err;
  std::string msg = absl::StrCat(AV(what), ": ", ErrnoText(err));
  if (err == EACCES || err == EPERM) {
    absl::StrAppend(&msg, "; live control is root-only: run this as root");
  }
  return absl::ErrnoToStatus(err, msg);
}

// ---- The description map ("meta"): a frozen array of fixed-size records. ----

constexpr uint32_t kMetaMagic = 0x73637870;  // "scxp"
constexpr uint32_t kMetaVersion = 1;
enum MetaKind : uint32_t { kMetaHeader = 1, kMetaStat, kMetaTunable, kMetaTable, kMetaField };
constexpr uint32_t kTableHandled = 1;

struct MetaEntry {
  uint32_t kind;
  uint32_t index;     // Header: version. Field: its table's index.
  uint32_t key_kind;  // Header: magic. Table: KeyKind.
  uint32_t flags;     // Table: kTableHandled.
  uint64_t def, min, max;
  uint64_t extra;  // Header: the owner's start time (clock ticks since boot).
  char name[64];   // Header: the scheduler's name.
  char desc[320];
};
static_assert(sizeof(MetaEntry) == 432);

// ---- The request map ("requests") of handled tables. ----

constexpr size_t kMaxFields = 16;
struct RequestRec {
  uint32_t state;  // 0: waiting for the scheduler; 1: answered.
  int32_t code;    // absl::StatusCode of the answer.
  uint32_t op;     // TableOp.
  uint32_t table;  // Index in the spec's tables.
  uint64_t key_id;
  char key_comm[16];
  uint32_t nfields;
  uint32_t pad;
  uint64_t fields[kMaxFields];
  char text[3968];  // The answer: the handler's text or the error message.
};

void CopyName(char* dst, size_t cap, std::string_view src) {
  const size_t n = std::min(cap - 1, src.size());
  std::memcpy(dst, src.data(), n);
  std::memset(dst + n, 0, cap - n);
}

std::string FromFixed(const char* s, size_t cap) { return std::string(s, strnlen(s, cap)); }

bool ValidIdent(std::string_view s, size_t max) {
  if (s.empty() || s.size() > max) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    // No dots: bpffs refuses them in names (reserved for its own files).
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
}

// The start time of process `pid` (field 22 of /proc/PID/stat), or 0 when it is gone.
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

std::string CurrentSchedExtOps() {
  std::ifstream in("/sys/kernel/sched_ext/root/ops");
  std::string s;
  std::getline(in, s);
  return s;
}

absl::Status RemoveTree(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) {
    if (errno == ENOENT) return absl::OkStatus();
    return SysError(errno, absl::StrCat("control: opening ", dir));
  }
  while (dirent* e = readdir(d)) {
    if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
    unlinkat(dirfd(d), e->d_name, 0);
  }
  closedir(d);
  if (rmdir(dir.c_str()) != 0 && errno != ENOENT) {
    return SysError(errno, absl::StrCat("control: removing ", dir));
  }
  return absl::OkStatus();
}

// Reads every record of a meta map.
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

struct Fd {
  int fd = -1;
  Fd() = default;
  explicit Fd(int f) : fd(f) {}
  Fd(Fd&& o) noexcept : fd(std::exchange(o.fd, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      if (fd >= 0) close(fd);
      fd = std::exchange(o.fd, -1);
    }
    return *this;
  }
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

size_t KeySize(KeyKind k) {
  switch (k) {
    case KeyKind::kPid: return 4;
    case KeyKind::kComm: return 16;
    case KeyKind::kCgroup: return 8;
  }
  return 0;
}

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
    return absl::InvalidArgumentError(
        absl::StrCat("table '", table.name, "': map '", table.map, "' does not fit its key and fields"));
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

// ---- ControlDir ----

struct ControlDir::Impl {
  std::string path;
  Fd requests;
  std::vector<TableDesc> tables;
};

ControlDir::ControlDir(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ControlDir::ControlDir(ControlDir&&) noexcept = default;
ControlDir& ControlDir::operator=(ControlDir&& o) noexcept {
  if (this != &o) {
    Remove();
    impl_ = std::move(o.impl_);
  }
  return *this;
}
ControlDir::~ControlDir() { Remove(); }

const std::string& ControlDir::path() const {
  static const std::string kEmpty;
  return impl_ ? impl_->path : kEmpty;
}

void ControlDir::Remove() {
  if (!impl_ || impl_->path.empty()) return;
  (void)RemoveTree(impl_->path);
  impl_->path.clear();
}

absl::StatusOr<ControlDir> ControlDir::Publish(SchedulerBase& sched, const ControlSpec& spec,
                                               const std::string& root) {
  bpf_object* obj = sched.object();
  const std::string& name = sched.name();
  if (!ValidIdent(name, 63)) {
    return absl::InvalidArgumentError(
        absl::StrCat("control: scheduler name '", name, "' cannot name a directory"));
  }
  if (mkdir(root.c_str(), 0700) != 0 && errno != EEXIST) {
    return SysError(errno, absl::StrCat("control: creating ", root));
  }
  struct statfs sf {};
  if (statfs(root.c_str(), &sf) != 0) return SysError(errno, absl::StrCat("control: ", root));
  if (sf.f_type != BPF_FS_MAGIC) {
    return absl::FailedPreconditionError(absl::StrCat(
        "control: ", root, " is not on a BPF filesystem; mount one: mount -t bpf bpf /sys/fs/bpf"));
  }
  const std::string dir = absl::StrCat(root, "/", name);

  // A directory of that name: another live instance's, or one left by a crash.
  if (access(dir.c_str(), F_OK) == 0) {
    absl::StatusOr<int> fd = OpenPinned(dir + "/meta");
    if (fd.ok()) {
      Fd meta(*fd);
      absl::StatusOr<std::vector<MetaEntry>> m = ReadMeta(meta.fd, dir + "/meta");
      // Unreadable (another scxpp version's layout): whether its owner still runs cannot be
      // told, so it is left alone; the scheduler runs without live control, saying why.
      if (!m.ok()) {
        return absl::FailedPreconditionError(absl::StrCat(
            m.status().message(), "; left as it is: remove ", dir,
            " if no scheduler of that version runs, then start this one again"));
      }
      if ((*m)[0].def != static_cast<uint64_t>(getpid()) &&
          OwnerAlive(static_cast<int64_t>((*m)[0].def), (*m)[0].extra)) {
        return absl::AlreadyExistsError(absl::StrCat("control: ", dir, " belongs to process ",
                                                     (*m)[0].def, ", which still runs"));
      }
    } else if (absl::IsPermissionDenied(fd.status())) {
      return fd.status();
    }
    if (absl::Status s = RemoveTree(dir); !s.ok()) return s;
  }
  if (mkdir(dir.c_str(), 0700) != 0) return SysError(errno, absl::StrCat("control: creating ", dir));
  chmod(dir.c_str(), 0700);  // Whatever the umask.

  auto impl = std::make_unique<Impl>();
  impl->path = dir;
  ControlDir out(std::move(impl));  // Removes the directory if anything below fails.
  auto pin = [&](int fd, std::string_view file) -> absl::Status {
    const std::string p = absl::StrCat(dir, "/", AV(file));
    if (int err = bpf_obj_pin(fd, p.c_str()); err != 0) {
      return SysError(err, absl::StrCat("control: pinning ", p));
    }
    chmod(p.c_str(), 0600);
    return absl::OkStatus();
  };

  std::vector<MetaEntry> meta(1);
  meta[0].kind = kMetaHeader;
  meta[0].index = kMetaVersion;
  meta[0].key_kind = kMetaMagic;
  meta[0].def = static_cast<uint64_t>(getpid());
  meta[0].extra = ProcessStartTime(getpid());
  CopyName(meta[0].name, sizeof(meta[0].name), name);
  auto add = [&](uint32_t kind, uint32_t index, const TunableDesc* d, std::string_view n,
                 std::string_view desc) -> MetaEntry& {
    MetaEntry e{};
    e.kind = kind;
    e.index = index;
    if (d != nullptr) {
      e.def = d->def;
      e.min = d->min;
      e.max = d->max;
    }
    CopyName(e.name, sizeof(e.name), n);
    CopyName(e.desc, sizeof(e.desc), desc);
    meta.push_back(e);
    return meta.back();
  };

  if (!spec.stats.empty()) {
    const bpf_map* m = bpf_object__find_map_by_name(obj, SCXPP_STATS_MAP_NAME);
    if (m == nullptr || bpf_map__max_entries(m) != spec.stats.size()) {
      return absl::InvalidArgumentError(
          "control: the stats list does not match the object's scxpp_stats map");
    }
    if (absl::Status s = pin(bpf_map__fd(m), "stats"); !s.ok()) return s;
    for (size_t i = 0; i < spec.stats.size(); ++i) {
      add(kMetaStat, i, nullptr, spec.stats[i].name, spec.stats[i].description);
    }
  }
  if (!spec.tunables.empty()) {
    absl::StatusOr<Tunables> t = Tunables::Bind(obj, spec.tunables);
    if (!t.ok()) return t.status();
    const bpf_map* m = bpf_object__find_map_by_name(obj, SCXPP_TUNABLES_SEC);
    if (absl::Status s = pin(bpf_map__fd(m), "tunables"); !s.ok()) return s;
    for (size_t i = 0; i < spec.tunables.size(); ++i) {
      if (!ValidIdent(spec.tunables[i].name, 63)) {
        return absl::InvalidArgumentError(
            absl::StrCat("control: tunable name '", spec.tunables[i].name, "' is not valid"));
      }
      add(kMetaTunable, i, &spec.tunables[i], spec.tunables[i].name, spec.tunables[i].description);
    }
  }
  for (size_t t = 0; t < spec.tables.size(); ++t) {
    const TableDesc& td = spec.tables[t];
    if (!ValidIdent(td.name, 48) || td.fields.size() > kMaxFields) {
      return absl::InvalidArgumentError(absl::StrCat(
          "control: table '", td.name, "' needs a short name and at most ", kMaxFields, " fields"));
    }
    const bool handled = td.map.empty();
    if (handled && !td.handler) {
      return absl::InvalidArgumentError(
          absl::StrCat("control: table '", td.name, "' has neither a map nor a handler"));
    }
    if (!handled) {
      const bpf_map* m = bpf_object__find_map_by_name(obj, td.map.c_str());
      const size_t vsize = sizeof(uint64_t) * std::max<size_t>(1, td.fields.size());
      if (m == nullptr) {
        return absl::InvalidArgumentError(
            absl::StrCat("control: table '", td.name, "': the object has no map '", td.map, "'"));
      }
      if (bpf_map__key_size(m) != KeySize(td.key) || bpf_map__value_size(m) != vsize) {
        return absl::InvalidArgumentError(absl::StrCat(
            "control: table '", td.name, "': map '", td.map, "' has ", bpf_map__key_size(m),
            "-byte keys and ", bpf_map__value_size(m), "-byte values; a ", AV(KeyKindName(td.key)),
            " table with ", td.fields.size(), " fields needs ", KeySize(td.key), " and ", vsize));
      }
      if (absl::Status s = pin(bpf_map__fd(m), absl::StrCat("table_", td.name)); !s.ok()) return s;
    } else if (out.impl_->requests.fd < 0) {
      const int fd = bpf_map_create(BPF_MAP_TYPE_HASH, "scxpp_requests", sizeof(uint64_t),
                                    sizeof(RequestRec), 64, nullptr);
      if (fd < 0) return SysError(fd, "control: creating the request map");
      out.impl_->requests = Fd(fd);
      if (absl::Status s = pin(fd, "requests"); !s.ok()) return s;
    }
    MetaEntry& e = add(kMetaTable, t, nullptr, td.name, td.description);
    e.key_kind = static_cast<uint32_t>(td.key);
    e.flags = handled ? kTableHandled : 0;
    for (const TunableDesc& f : td.fields) add(kMetaField, t, &f, f.name, f.description);
    out.impl_->tables.push_back(td);
  }

  // The description last: a reader that finds it finds everything it describes.
  const int mfd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "scxpp_meta", sizeof(uint32_t),
                                 sizeof(MetaEntry), static_cast<uint32_t>(meta.size()), nullptr);
  if (mfd < 0) return SysError(mfd, "control: creating the description map");
  Fd mf(mfd);
  for (uint32_t i = 0; i < meta.size(); ++i) {
    if (int err = bpf_map_update_elem(mf.fd, &i, &meta[i], BPF_ANY); err != 0) {
      return SysError(err, "control: writing the description map");
    }
  }
  if (int err = bpf_map_freeze(mf.fd); err != 0) {
    return SysError(err, "control: freezing the description map");
  }
  if (absl::Status s = pin(mf.fd, "meta"); !s.ok()) return s;
  return out;
}

void ControlDir::Poll() {
  if (!impl_ || impl_->requests.fd < 0) return;
  const int fd = impl_->requests.fd;
  uint64_t key = 0, next = 0;
  bool first = true;
  RequestRec rec;
  while (bpf_map_get_next_key(fd, first ? nullptr : &key, &next) == 0) {
    first = false;
    key = next;
    if (bpf_map_lookup_elem(fd, &key, &rec) != 0 || rec.state != 0) continue;
    absl::StatusOr<std::string> answer;
    if (rec.table >= impl_->tables.size() || !impl_->tables[rec.table].handler ||
        rec.nfields > kMaxFields) {
      answer = absl::InvalidArgumentError("no such handled table");
    } else {
      const TableDesc& td = impl_->tables[rec.table];
      TableKey k;
      k.kind = td.key;
      k.id = rec.key_id;
      k.comm = FromFixed(rec.key_comm, sizeof(rec.key_comm));
      std::vector<uint64_t> fields(rec.fields, rec.fields + rec.nfields);
      answer = td.handler(static_cast<TableOp>(rec.op), k, fields);
    }
    rec.state = 1;
    rec.code = static_cast<int32_t>(answer.status().code());
    CopyName(rec.text, sizeof(rec.text),
             answer.ok() ? std::string(*answer) : std::string(answer.status().message()));
    bpf_map_update_elem(fd, &key, &rec, BPF_EXIST);
  }
}

// ---- Discovery ----

absl::StatusOr<std::vector<PublishedScheduler>> ListSchedulers(const std::string& root) {
  std::vector<PublishedScheduler> out;
  DIR* d = opendir(root.c_str());
  if (d == nullptr) {
    if (errno == ENOENT) return out;
    return SysError(errno, absl::StrCat("control: reading ", root));
  }
  std::vector<std::string> names;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] != '.') names.emplace_back(e->d_name);
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  const std::string current = CurrentSchedExtOps();
  for (const std::string& n : names) {
    PublishedScheduler p;
    p.name = n;
    p.path = absl::StrCat(root, "/", n);
    absl::StatusOr<int> fd = OpenPinned(p.path + "/meta");
    if (!fd.ok()) {
      if (absl::IsPermissionDenied(fd.status())) return fd.status();
      out.push_back(p);  // Half-published or half-removed: listed as not alive.
      continue;
    }
    Fd meta(*fd);
    absl::StatusOr<std::vector<MetaEntry>> m = ReadMeta(meta.fd, p.path + "/meta");
    if (m.ok()) {
      p.pid = static_cast<int64_t>((*m)[0].def);
      p.alive = OwnerAlive(p.pid, (*m)[0].extra);
    }
    p.attached = p.alive && current == n;
    out.push_back(p);
  }
  return out;
}

// ---- ControlClient ----

struct ControlClient::Impl {
  std::string name, dir;
  int64_t pid = 0;
  std::vector<StatDesc> stats;
  std::vector<TunableDesc> tunables;
  std::vector<TableInfo> tables;
  Fd stats_fd, tunables_fd, requests_fd;
  std::vector<Fd> table_fds;  // One per table; -1 for handled ones.
  volatile uint64_t* values = nullptr;
  size_t mapped = 0;
  int nr_cpus = 0;
  ~Impl() {
    if (values != nullptr) munmap(const_cast<uint64_t*>(values), mapped);
  }

  absl::StatusOr<size_t> FindTable(std::string_view t) const {
    for (size_t i = 0; i < tables.size(); ++i) {
      if (tables[i].name == t) return i;
    }
    std::vector<std::string> names;
    for (const TableInfo& ti : tables) names.push_back(ti.name);
    return absl::NotFoundError(absl::StrCat(
        "scheduler '", name, "' has no table '", AV(t), "'",
        names.empty() ? std::string("; it has none") : absl::StrCat("; it has: ", absl::StrJoin(names, ", "))));
  }

  absl::StatusOr<std::string> Request(size_t table, TableOp op, const TableKey& key,
                                      const std::vector<uint64_t>& fields, absl::Duration timeout) {
    if (requests_fd.fd < 0) return absl::InternalError("control: no request map");
    RequestRec rec{};
    rec.op = static_cast<uint32_t>(op);
    rec.table = static_cast<uint32_t>(table);
    rec.key_id = key.id;
    CopyName(rec.key_comm, sizeof(rec.key_comm), key.comm);
    rec.nfields = static_cast<uint32_t>(std::min(fields.size(), kMaxFields));
    std::copy_n(fields.begin(), rec.nfields, rec.fields);
    const uint64_t id = (static_cast<uint64_t>(getpid()) << 32) ^
                        static_cast<uint64_t>(absl::GetCurrentTimeNanos());
    if (int err = bpf_map_update_elem(requests_fd.fd, &id, &rec, BPF_NOEXIST); err != 0) {
      return SysError(err, "control: sending the request");
    }
    const absl::Time until = absl::Now() + timeout;
    while (absl::Now() < until) {
      absl::SleepFor(absl::Milliseconds(10));
      if (bpf_map_lookup_elem(requests_fd.fd, &id, &rec) != 0) break;
      if (rec.state != 1) continue;
      bpf_map_delete_elem(requests_fd.fd, &id);
      std::string text = FromFixed(rec.text, sizeof(rec.text));
      if (rec.code != 0) return absl::Status(static_cast<absl::StatusCode>(rec.code), text);
      return text;
    }
    bpf_map_delete_elem(requests_fd.fd, &id);
    return absl::DeadlineExceededError(absl::StrCat(
        "scheduler '", name, "' (pid ", pid, ") did not answer within ",
        absl::FormatDuration(timeout)));
  }
};

ControlClient::ControlClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ControlClient::ControlClient(ControlClient&&) noexcept = default;
ControlClient& ControlClient::operator=(ControlClient&&) noexcept = default;
ControlClient::~ControlClient() = default;

const std::string& ControlClient::name() const { return impl_->name; }
int64_t ControlClient::pid() const { return impl_->pid; }
const std::vector<StatDesc>& ControlClient::stats() const { return impl_->stats; }
const std::vector<TunableDesc>& ControlClient::tunables() const { return impl_->tunables; }
const std::vector<ControlClient::TableInfo>& ControlClient::tables() const { return impl_->tables; }

absl::StatusOr<ControlClient> ControlClient::Open(std::string_view name, const std::string& root) {
  auto impl = std::make_unique<Impl>();
  impl->name = std::string(name);
  impl->dir = absl::StrCat(root, "/", AV(name));
  if (!ValidIdent(name, 63) || access(impl->dir.c_str(), F_OK) != 0) {
    if (errno == EACCES || errno == EPERM) {
      return SysError(errno, absl::StrCat("control: looking for ", impl->dir));
    }
    absl::StatusOr<std::vector<PublishedScheduler>> all = ListSchedulers(root);
    if (!all.ok()) return all.status();
    std::vector<std::string> names;
    for (const PublishedScheduler& p : *all) names.push_back(p.name);
    return absl::NotFoundError(absl::StrCat(
        "no scxpp scheduler '", AV(name), "' is running (none published under ", root, ")",
        names.empty() ? std::string("; none is") : absl::StrCat("; running: ", absl::StrJoin(names, ", "))));
  }
  absl::StatusOr<int> mfd = OpenPinned(impl->dir + "/meta");
  if (absl::IsNotFound(mfd.status())) {
    return absl::UnavailableError(absl::StrCat("scheduler '", AV(name),
                                               "' is starting or stopping (", impl->dir,
                                               " is incomplete); try again"));
  }
  if (!mfd.ok()) return mfd.status();
  Fd meta(*mfd);
  absl::StatusOr<std::vector<MetaEntry>> m = ReadMeta(meta.fd, impl->dir + "/meta");
  if (!m.ok()) return m.status();
  impl->pid = static_cast<int64_t>((*m)[0].def);
  if (!OwnerAlive(impl->pid, (*m)[0].extra)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "scheduler '", AV(name), "' is not running: its process ", impl->pid, " is gone (", impl->dir,
        " is stale; the next start of the scheduler removes it)"));
  }
  for (const MetaEntry& e : *m) {
    const std::string n = FromFixed(e.name, sizeof(e.name));
    const std::string desc = FromFixed(e.desc, sizeof(e.desc));
    switch (e.kind) {
      case kMetaStat: impl->stats.push_back({n, desc}); break;
      case kMetaTunable: impl->tunables.push_back({n, desc, e.def, e.min, e.max}); break;
      case kMetaTable: {
        TableInfo t;
        t.name = n;
        t.description = desc;
        t.key = static_cast<KeyKind>(e.key_kind);
        t.handled = (e.flags & kTableHandled) != 0;
        impl->tables.push_back(std::move(t));
        break;
      }
      case kMetaField:
        if (e.index < impl->tables.size()) {
          impl->tables[e.index].fields.push_back({n, desc, e.def, e.min, e.max});
        }
        break;
      default: break;
    }
  }
  if (!impl->stats.empty()) {
    absl::StatusOr<int> fd = OpenPinned(impl->dir + "/stats");
    if (!fd.ok()) return fd.status();
    impl->stats_fd = Fd(*fd);
    impl->nr_cpus = libbpf_num_possible_cpus();
    if (impl->nr_cpus <= 0) return absl::InternalError("control: cannot count possible CPUs");
  }
  if (!impl->tunables.empty()) {
    absl::StatusOr<int> fd = OpenPinned(impl->dir + "/tunables");
    if (!fd.ok()) return fd.status();
    impl->tunables_fd = Fd(*fd);
    const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    impl->mapped = (impl->tunables.size() * sizeof(uint64_t) + page - 1) / page * page;
    void* p = mmap(nullptr, impl->mapped, PROT_READ | PROT_WRITE, MAP_SHARED, impl->tunables_fd.fd, 0);
    if (p == MAP_FAILED) return SysError(errno, "control: mapping the tunables");
    impl->values = static_cast<volatile uint64_t*>(p);
  }
  bool any_handled = false;
  for (const TableInfo& t : impl->tables) {
    if (t.handled) {
      impl->table_fds.emplace_back();
      any_handled = true;
      continue;
    }
    absl::StatusOr<int> fd = OpenPinned(absl::StrCat(impl->dir, "/table_", t.name));
    if (!fd.ok()) return fd.status();
    impl->table_fds.emplace_back(*fd);
  }
  if (any_handled) {
    absl::StatusOr<int> fd = OpenPinned(impl->dir + "/requests");
    if (!fd.ok()) return fd.status();
    impl->requests_fd = Fd(*fd);
  }
  return ControlClient(std::move(impl));
}

absl::StatusOr<StatsSample> ControlClient::ReadStats() {
  StatsSample s;
  const size_t n = impl_->stats.size();
  const size_t ncpu = static_cast<size_t>(impl_->nr_cpus);
  s.at = absl::Now();
  std::vector<uint64_t> raw(n * ncpu);
  for (uint32_t k = 0; k < n; ++k) {
    if (int err = bpf_map_lookup_elem(impl_->stats_fd.fd, &k, raw.data() + k * ncpu); err != 0) {
      return SysError(err, absl::StrCat("control: reading counter '", impl_->stats[k].name, "'"));
    }
  }
  AggregatePerCpu(raw.data(), n, ncpu, &s);
  return s;
}

absl::StatusOr<uint64_t> ControlClient::Get(std::string_view key) const {
  for (size_t i = 0; i < impl_->tunables.size(); ++i) {
    if (impl_->tunables[i].name == key) return impl_->values[i];
  }
  std::vector<std::string> names;
  for (const TunableDesc& d : impl_->tunables) names.push_back(d.name);
  return absl::NotFoundError(absl::StrCat(
      "scheduler '", impl_->name, "' has no tunable '", AV(key), "'",
      names.empty() ? std::string("; it has none") : absl::StrCat("; it has: ", absl::StrJoin(names, ", "))));
}

absl::Status ControlClient::Set(std::string_view key, std::string_view value) {
  if (absl::StatusOr<uint64_t> cur = Get(key); !cur.ok()) return cur.status();
  for (size_t i = 0; i < impl_->tunables.size(); ++i) {
    if (impl_->tunables[i].name != key) continue;
    absl::StatusOr<uint64_t> v = ParseTunableValue(impl_->tunables[i], value);
    if (!v.ok()) return v.status();
    impl_->values[i] = *v;
    return absl::OkStatus();
  }
  return absl::OkStatus();
}

absl::StatusOr<ControlClient::Listing> ControlClient::ListTable(std::string_view table,
                                                                absl::Duration timeout) {
  absl::StatusOr<size_t> t = impl_->FindTable(table);
  if (!t.ok()) return t.status();
  const TableInfo& ti = impl_->tables[*t];
  Listing out;
  if (ti.handled) {
    absl::StatusOr<std::string> text = impl_->Request(*t, TableOp::kList, TableKey{ti.key, 0, ""}, {}, timeout);
    if (!text.ok()) return text.status();
    out.text = *std::move(text);
    return out;
  }
  const int fd = impl_->table_fds[*t].fd;
  const size_t ks = KeySize(ti.key);
  const size_t nv = std::max<size_t>(1, ti.fields.size());
  std::string key(ks, '\0'), next(ks, '\0');
  std::vector<uint64_t> vals(nv);
  bool first = true;
  while (bpf_map_get_next_key(fd, first ? nullptr : key.data(), next.data()) == 0) {
    first = false;
    key = next;
    if (bpf_map_lookup_elem(fd, key.data(), vals.data()) != 0) continue;
    absl::StatusOr<TableKey> k = TableKeyFromBytes(ti.key, key);
    if (!k.ok()) continue;
    TableEntry e;
    e.key = *k;
    if (!ti.fields.empty()) e.fields = vals;
    out.entries.push_back(std::move(e));
  }
  return out;
}

absl::StatusOr<std::string> ControlClient::AddEntry(std::string_view table, std::string_view key,
                                                    const std::vector<std::string>& fields,
                                                    absl::Duration timeout) {
  absl::StatusOr<size_t> t = impl_->FindTable(table);
  if (!t.ok()) return t.status();
  const TableInfo& ti = impl_->tables[*t];
  absl::StatusOr<TableKey> k = ParseTableKey(ti.key, key);
  if (!k.ok()) return k.status();
  std::vector<uint64_t> vals;
  for (const TunableDesc& f : ti.fields) vals.push_back(f.def);
  for (const std::string& setting : fields) {
    std::pair<std::string, std::string> kv = absl::StrSplit(setting, absl::MaxSplits('=', 1));
    size_t i = 0;
    while (i < ti.fields.size() && ti.fields[i].name != kv.first) ++i;
    if (i == ti.fields.size() || setting.find('=') == std::string::npos) {
      std::vector<std::string> names;
      for (const TunableDesc& f : ti.fields) names.push_back(f.name + "=VALUE");
      return absl::NotFoundError(absl::StrCat(
          "table '", AV(table), "' has no field '", kv.first, "'",
          names.empty() ? std::string("; its entries have no fields")
                        : absl::StrCat("; give ", absl::StrJoin(names, " "))));
    }
    absl::StatusOr<uint64_t> v = ParseTunableValue(ti.fields[i], kv.second);
    if (!v.ok()) return v.status();
    vals[i] = *v;
  }
  if (ti.handled) return impl_->Request(*t, TableOp::kAdd, *k, vals, timeout);
  if (vals.empty()) vals.push_back(1);
  const std::string kb = k->Bytes();
  if (int err = bpf_map_update_elem(impl_->table_fds[*t].fd, kb.data(), vals.data(), BPF_ANY);
      err != 0) {
    if (err == -E2BIG) {
      return absl::ResourceExhaustedError(absl::StrCat("table '", AV(table), "' is full"));
    }
    return SysError(err, absl::StrCat("control: writing table '", AV(table), "'"));
  }
  return std::string();
}

absl::StatusOr<std::string> ControlClient::RemoveEntry(std::string_view table,
                                                       std::string_view key,
                                                       absl::Duration timeout) {
  absl::StatusOr<size_t> t = impl_->FindTable(table);
  if (!t.ok()) return t.status();
  const TableInfo& ti = impl_->tables[*t];
  absl::StatusOr<TableKey> k = ParseTableKey(ti.key, key);
  if (!k.ok()) return k.status();
  if (ti.handled) return impl_->Request(*t, TableOp::kRemove, *k, {}, timeout);
  const std::string kb = k->Bytes();
  if (int err = bpf_map_delete_elem(impl_->table_fds[*t].fd, kb.data()); err != 0) {
    if (err == -ENOENT) {
      return absl::NotFoundError(absl::StrCat("table '", AV(table), "' has no entry ", k->ToString()));
    }
    return SysError(err, absl::StrCat("control: writing table '", AV(table), "'"));
  }
  return std::string();
}

}  // namespace scxpp

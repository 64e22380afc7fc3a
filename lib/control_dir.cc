// SPDX-License-Identifier: Apache-2.0
// The publishing side of live control: a running scheduler's control directory (ControlDir).
#include "scxpp/control.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "lib/internal/control_format.h"
#include "scxpp/bpf/stats_common.h"
#include "scxpp/bpf/tunables_common.h"
#include "scxpp/scheduler.h"

namespace scxpp {
namespace {

using internal::AV;
using internal::CopyName;
using internal::Fd;
using internal::FromFixed;
using internal::KeySize;
using internal::kMaxFields;
using internal::kMaxRequests;
using internal::kUncollectedAnswerTtlSeconds;
using internal::kMetaField;
using internal::kMetaHeader;
using internal::kMetaMagic;
using internal::kMetaStat;
using internal::kMetaTable;
using internal::kMetaTunable;
using internal::kMetaVersion;
using internal::kTableHandled;
using internal::MetaEntry;
using internal::OpenPinned;
using internal::OwnerAlive;
using internal::ProcessStartTime;
using internal::ReadMeta;
using internal::RequestRec;
using internal::SysError;
using internal::ValidIdent;

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

}  // namespace

// ---- ControlDir ----

// Without dropping uncollected answers (kUncollectedAnswerTtlSeconds), 64 killed
// `scxppctl` calls filled the request map until the scheduler restarted.
// The monotonic clock: a wall-clock step must not drop answers still being waited for.
using SteadyClock = std::chrono::steady_clock;
constexpr std::chrono::seconds kUncollectedAnswerTtl(kUncollectedAnswerTtlSeconds);

struct ControlDir::Impl {
  std::string path;
  Fd requests;
  std::vector<TableDesc> tables;
  // When each request still in the map was answered (or first seen answered).
  std::map<uint64_t, SteadyClock::time_point> answered_at;
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
  if (mkdir(dir.c_str(), 0700) != 0) {
    return SysError(errno, absl::StrCat("control: creating ", dir));
  }
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
                                    sizeof(RequestRec), kMaxRequests, nullptr);
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
  const SteadyClock::time_point now = SteadyClock::now();
  std::map<uint64_t, SteadyClock::time_point> answered_at;
  std::vector<uint64_t> uncollected;
  while (bpf_map_get_next_key(fd, first ? nullptr : &key, &next) == 0) {
    first = false;
    key = next;
    if (bpf_map_lookup_elem(fd, &key, &rec) != 0) continue;
    if (rec.state != 0) {
      auto it = impl_->answered_at.find(key);
      const SteadyClock::time_point at = it == impl_->answered_at.end() ? now : it->second;
      if (now - at > kUncollectedAnswerTtl) {
        uncollected.push_back(key);
      } else {
        answered_at[key] = at;
      }
      continue;
    }
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
    if (bpf_map_update_elem(fd, &key, &rec, BPF_EXIST) == 0) answered_at[key] = now;
  }
  // Deleted after the walk: deleting the key a walk stands on restarts it from the start.
  for (uint64_t k : uncollected) bpf_map_delete_elem(fd, &k);
  impl_->answered_at = std::move(answered_at);
}

}  // namespace scxpp

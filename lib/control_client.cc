// SPDX-License-Identifier: Apache-2.0
// The scxppctl side of live control: finding published schedulers (ListSchedulers) and
// reading and changing one of them (ControlClient).
#include "scxpp/control.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <linux/bpf.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "lib/internal/control_format.h"
#include "scxpp/stats.h"

namespace scxpp {
namespace {

using internal::AV;
using internal::CopyName;
using internal::Fd;
using internal::FromFixed;
using internal::KeySize;
using internal::kMaxFields;
using internal::kMetaField;
using internal::kMetaStat;
using internal::kMetaTable;
using internal::kMetaTunable;
using internal::kTableHandled;
using internal::MetaEntry;
using internal::OpenPinned;
using internal::OwnerAlive;
using internal::ReadMeta;
using internal::RequestRec;
using internal::SysError;
using internal::ValidIdent;

std::string CurrentSchedExtOps() {
  std::ifstream in("/sys/kernel/sched_ext/root/ops");
  std::string s;
  std::getline(in, s);
  return s;
}

}  // namespace

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
        names.empty() ? std::string("; it has none")
                      : absl::StrCat("; it has: ", absl::StrJoin(names, ", "))));
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
      if (err == -E2BIG) {
        return absl::UnavailableError(absl::StrCat(
            "scheduler '", name, "' (pid ", pid, ") has ", internal::kMaxRequests,
            " requests pending (clients killed before collecting their answers are dropped after ",
            internal::kUncollectedAnswerTtlSeconds, " s): try again shortly"));
      }
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
        names.empty() ? std::string("; none is")
                      : absl::StrCat("; running: ", absl::StrJoin(names, ", "))));
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
        "scheduler '", AV(name), "' is not running: its process ", impl->pid, " is gone (",
        impl->dir, " is stale; the next start of the scheduler removes it)"));
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
    void* p = mmap(nullptr, impl->mapped, PROT_READ | PROT_WRITE, MAP_SHARED,
                   impl->tunables_fd.fd, 0);
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
      names.empty() ? std::string("; it has none")
                    : absl::StrCat("; it has: ", absl::StrJoin(names, ", "))));
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
    absl::StatusOr<std::string> text =
        impl_->Request(*t, TableOp::kList, TableKey{ti.key, 0, ""}, {}, timeout);
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
      return absl::NotFoundError(
          absl::StrCat("table '", AV(table), "' has no entry ", k->ToString()));
    }
    return SysError(err, absl::StrCat("control: writing table '", AV(table), "'"));
  }
  return std::string();
}

}  // namespace scxpp

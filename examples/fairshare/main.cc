// SPDX-License-Identifier: Apache-2.0
// fairshare: multi-tenant proportional share by cgroup (cpu.weight, cpu.max). See
// fairshare.bpf.c for the policy.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <system_error>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "fairshare.skel.h"
#include "fairshare_intf.h"
#include "fmt/format.h"
#include "scxpp/control.h"
#include "scxpp/dsq_plan.h"
#include "scxpp/features.h"
#include "scxpp/flags.h"
#include "scxpp/runner.h"
#include "scxpp/topology.h"
#include "scxpp/tunable_flags.h"

// --slice_us, --lag_us, --user_cgroups, ...: the start values of the live tunables
// (fairshare_intf.h).
SCXPP_TUNABLE_FLAGS(FAIRSHARE_TUNABLES)

ABSL_FLAG(bool, bandwidth, true, "Enforce cpu.max quotas.");
ABSL_FLAG(std::string, cgroup_root, "/sys/fs/cgroup",
          "Where cgroup2 is mounted (for names in the per-cgroup report).");
ABSL_FLAG(uint32_t, cpu_max_poll_ms, 100,
          "Kernels before 6.17 only, and only where inotify is unavailable: how often to "
          "read the cgroups' cpu.max files (ms).");
ABSL_FLAG(bool, report, true, "Print a per-cgroup table (CPU time, throttles) at exit.");

namespace {

absl::Status CheckFlags() {
  if (absl::GetFlag(FLAGS_cpu_max_poll_ms) < 10) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--cpu_max_poll_ms=", absl::GetFlag(FLAGS_cpu_max_poll_ms), " is too small: give >= 10"));
  }
  return absl::OkStatus();
}

// cgroup id (directory inode) -> path relative to the cgroup2 mount, "/" for the root.
std::map<uint64_t, std::string> CgroupPaths(const std::string& root) {
  std::map<uint64_t, std::string> paths;
  struct stat st;
  if (stat(root.c_str(), &st) == 0) paths[st.st_ino] = "/";
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(
           root, std::filesystem::directory_options::skip_permission_denied, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_directory(ec)) continue;
    if (stat(it->path().c_str(), &st) == 0) {
      paths[st.st_ino] = "/" + std::filesystem::relative(it->path(), root, ec).string();
    }
  }
  return paths;
}

// How many cgroups are live at and below `root`, from its cgroup.stat (no walk); -1 if
// unreadable.
long LiveCgroups(const std::string& root) {
  std::ifstream f(root + "/cgroup.stat");
  std::string key;
  long n = -1;
  while (f >> key >> n) {
    if (key == "nr_descendants") return n + 1;
  }
  return -1;
}

// Kernels before 6.17 do not tell sched_ext about cpu.max: user space reads it from the
// cgroup files and hands changes to the BPF side through fairshare_bw_user.
//
// When to read them: an inotify watch on every cgroup directory (a child created, removed or
// moved) and on every cpu.max file (written) says when something changed, and only then is
// the tree read again, 256 directories per turn of the runner's 100 ms loop (cgroups in the
// table only); with a few hundred cgroups a change applies within about 100 ms, and nothing
// is read while nothing changes. Reading the whole tree every 100 ms
// instead cost the tenants about 5% of a 2-CPU machine under TCG (6.16, three tenants:
// utilisation 0.940 / 0.948 against 0.993 / 0.991 with --bandwidth=false and EEVDF's 0.998).
// A watch is added before the file is read, so a write that races with the scan is either
// read or reported. Where inotify is unavailable (no instance, or out of watches:
// fs.inotify.max_user_watches) it falls back to reading every --cpu_max_poll_ms.
class CpuMaxWatcher {
 public:
  CpuMaxWatcher() = default;
  CpuMaxWatcher(const CpuMaxWatcher&) = delete;
  CpuMaxWatcher& operator=(const CpuMaxWatcher&) = delete;
  ~CpuMaxWatcher() {
    if (fd_ >= 0) close(fd_);
  }

  // A new skeleton (first load or a restart) starts with an empty map: hand it everything.
  void Reset() {
    known_.clear();
    seen_.clear();
    dirty_ = true;
    scanning_ = false;
  }

  void Poll(scxpp::SchedulerBase& s, fairshare& skel) {
    if (!started_) {
      started_ = true;
      fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
      if (fd_ < 0) FallBack("inotify_init1", errno);
    }
    if (fd_ >= 0 && Drain(s, skel)) dirty_ = true;
    if (fd_ < 0 && absl::Now() >= next_poll_) dirty_ = true;
    if (!scanning_) {
      if (!dirty_) return;
      dirty_ = false;  // An event during the pass starts another one after it.
      scanning_ = true;
      seen_.clear();
      std::error_code ec;
      const std::string root = absl::GetFlag(FLAGS_cgroup_root);
      Watch(root, IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_ONLYDIR);
      it_ = std::filesystem::recursive_directory_iterator(
          root, std::filesystem::directory_options::skip_permission_denied, ec);
      if (ec) {
        scanning_ = false;
        return;
      }
    }
    Step(s, skel);
  }

 private:
  // Other users make cgroups, as many as they like where the controller is delegated: a
  // pass over the tree is done kScanBatch directories per poll, so that no number of them
  // holds up the runner's loop (and with it SIGINT) for long. A value read is applied at
  // once; what disappeared is forgotten when a pass completes.
  static constexpr int kScanBatch = 256;

  void Step(scxpp::SchedulerBase& s, fairshare& skel) {
    bpf_map* map = bpf_object__find_map_by_name(s.object(), "fairshare_bw_user");
    bpf_map* cgroups = bpf_object__find_map_by_name(s.object(), "fairshare_cgroups");
    if (map == nullptr || cgroups == nullptr) {
      scanning_ = false;
      return;
    }
    const int fd = bpf_map__fd(map);
    const std::string root = absl::GetFlag(FLAGS_cgroup_root);
    const std::filesystem::recursive_directory_iterator end;
    bool changed = false;
    std::error_code ec;
    int dirs = 0;  // Directories, not entries: each cgroup lists some 50 control files.
    for (; !ec && it_ != end && dirs < kScanBatch; it_.increment(ec)) {
      if (!it_->is_directory(ec)) continue;
      ++dirs;
      const std::string dir = it_->path().string();
      // A cgroup left out of the table (and so its whole subtree) is not capped: no watch,
      // no read. This bounds both by the table, not by how many cgroups users make.
      struct stat st;
      fairshare_cgroup c;
      if (stat(dir.c_str(), &st) != 0) continue;
      const uint64_t id = st.st_ino;
      if (bpf_map_lookup_elem(bpf_map__fd(cgroups), &id, &c) != 0) {
        it_.disable_recursion_pending();
        continue;
      }
      Watch(dir, IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_ONLYDIR);
      std::optional<fairshare_bw> bw;
      if (Watch(dir + "/cpu.max", IN_MODIFY)) bw = ReadCpuMax(dir + "/cpu.max");
      if (!bw) continue;
      seen_[id] = *bw;
      auto old = known_.find(id);
      if (old != known_.end() && old->second.period_us == bw->period_us &&
          old->second.quota_us == bw->quota_us) {
        continue;
      }
      bpf_map_update_elem(fd, &id, &*bw, BPF_ANY);
      known_[id] = *bw;
      changed = true;
    }
    if (changed) ++skel.bss->bw_user_gen;
    if (ec) {  // The tree changed under the walk (a cgroup removed): walk it again.
      scanning_ = false;
      dirty_ = true;
      return;
    }
    if (it_ != end) return;
    scanning_ = false;
    next_poll_ = absl::Now() + absl::Milliseconds(absl::GetFlag(FLAGS_cpu_max_poll_ms));
    for (auto k = known_.begin(); k != known_.end();) {
      if (seen_.contains(k->first)) {
        ++k;
        continue;
      }
      bpf_map_delete_elem(fd, &k->first);
      k = known_.erase(k);
    }
  }

  // Watches @path (a no-op when inotify is not in use). False only when the watch shows
  // that @path does not exist (the root has no cpu.max; a cgroup removed meanwhile).
  bool Watch(const std::string& path, uint32_t mask) {
    if (fd_ < 0) return true;
    const int wd = inotify_add_watch(fd_, path.c_str(), mask);
    if (wd >= 0) {
      if (mask & IN_MODIFY) cpu_max_files_[wd] = path;
      return true;
    }
    const int err = errno;
    if (err == ENOENT || err == ENOTDIR) return false;
    FallBack(absl::StrCat("inotify_add_watch(", path, ")"), err);
    return true;
  }

  // Reads every pending event. A cpu.max file written is read and applied at once (a pass
  // over a large tree takes seconds); anything else (a cgroup made, removed or moved, a
  // lost event) returns true: read the tree again.
  bool Drain(scxpp::SchedulerBase& s, fairshare& skel) {
    alignas(inotify_event) char buf[4096];
    bool rescan = false, changed = false;
    bpf_map* map = bpf_object__find_map_by_name(s.object(), "fairshare_bw_user");
    for (;;) {
      const ssize_t n = read(fd_, buf, sizeof(buf));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;  // EAGAIN: the queue is empty.
      for (ssize_t off = 0; off < n;) {
        const auto* ev = reinterpret_cast<const inotify_event*>(buf + off);
        off += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
        auto file = cpu_max_files_.find(ev->wd);
        if (ev->mask & IN_IGNORED) {  // The watch is gone (its cgroup removed).
          if (file != cpu_max_files_.end()) cpu_max_files_.erase(file);
          continue;
        }
        if (file == cpu_max_files_.end() || !(ev->mask & IN_MODIFY) || map == nullptr) {
          rescan = true;
          continue;
        }
        struct stat st;
        const std::string dir = std::filesystem::path(file->second).parent_path().string();
        std::optional<fairshare_bw> bw = ReadCpuMax(file->second);
        if (!bw || stat(dir.c_str(), &st) != 0) continue;
        const uint64_t id = st.st_ino;
        bpf_map_update_elem(bpf_map__fd(map), &id, &*bw, BPF_ANY);
        known_[id] = *bw;
        if (scanning_) seen_[id] = *bw;  // Not forgotten by the end of a pass under way.
        changed = true;
      }
    }
    if (changed) ++skel.bss->bw_user_gen;
    return rescan;
  }

  void FallBack(const std::string& what, int err) {
    fmt::print(stderr,
               "fairshare: cannot watch the cgroup files ({}: {}); reading cpu.max every {} ms "
               "instead\n",
               what, strerror(err), absl::GetFlag(FLAGS_cpu_max_poll_ms));
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
    cpu_max_files_.clear();
    dirty_ = true;
  }

  // "max 100000" or "50000 100000"; nullopt when unreadable (e.g. the root has no cpu.max).
  static std::optional<fairshare_bw> ReadCpuMax(const std::string& path) {
    FILE* f = fopen(path.c_str(), "r");
    if (f == nullptr) return std::nullopt;
    char quota[32] = {};
    unsigned long long period = 0;
    const int n = fscanf(f, "%31s %llu", quota, &period);
    fclose(f);
    if (n != 2) return std::nullopt;
    fairshare_bw bw{.period_us = period, .quota_us = ~0ULL};
    if (std::string(quota) != "max") bw.quota_us = strtoull(quota, nullptr, 10);
    return bw;
  }

  bool started_ = false;
  bool dirty_ = true;     // Something may have changed: a pass is due.
  bool scanning_ = false;  // A pass is under way (it_, seen_).
  int fd_ = -1;
  absl::Time next_poll_ = absl::InfinitePast();  // Without inotify: the next periodic pass.
  std::filesystem::recursive_directory_iterator it_;
  std::map<uint64_t, fairshare_bw> seen_;
  std::map<int, std::string> cpu_max_files_;  // Watch descriptor -> the cpu.max it watches.
  std::map<uint64_t, fairshare_bw> known_;
};

// The per-cgroup table at exit: cgroups that ran something or were throttled.
void Report(scxpp::SchedulerBase& s) {
  bpf_map* map = bpf_object__find_map_by_name(s.object(), "fairshare_cgroups");
  if (map == nullptr) return;
  const int fd = bpf_map__fd(map);
  // Names come from a walk of the whole tree, which reads every cgroup's directory: with
  // 20,000 cgroups (other users can make that many) it took 36 s under TCG, and the report
  // is printed on the way out. Past kMaxNamed, rows show ids.
  constexpr long kMaxNamed = 2000;
  const std::string root = absl::GetFlag(FLAGS_cgroup_root);
  const long live = LiveCgroups(root);
  std::map<uint64_t, std::string> paths;
  if (live >= 0 && live <= kMaxNamed) paths = CgroupPaths(root);
  fmt::print("{:<40} {:>6} {:>10} {:>12} {:>9}\n", "cgroup", "weight", "cpu.max", "cpu_ms",
             "throttles");
  uint64_t key = 0, next = 0;
  void* prev = nullptr;
  int tracked = 0;
  while (bpf_map_get_next_key(fd, prev, &next) == 0) {
    key = next;
    prev = &key;
    fairshare_cgroup c{};
    if (bpf_map_lookup_elem(fd, &key, &c) != 0) continue;
    ++tracked;
    if (c.runtime_ns < 1000000 && c.nr_throttles == 0) continue;
    auto p = paths.find(key);
    const std::string name = p != paths.end() ? p->second : absl::StrCat("id:", key);
    const std::string cap =
        c.quota_ns ? fmt::format("{:.2f}cpu", static_cast<double>(c.quota_ns) / c.period_ns)
                   : "max";
    fmt::print("{:<40} {:>6} {:>10} {:>12.1f} {:>9}\n", name, c.weight, cap,
               static_cast<double>(c.runtime_ns) / 1e6, c.nr_throttles);
  }
  // Every live cgroup has one entry, removed by cgroup_exit: a larger count is a leak.
  fmt::print("cgroups tracked: {} (live under {}: {})\n", tracked, root, live);
  std::fflush(stdout);
}

// Table "tenants": a tenant's weight and cap changed while fairshare runs, over its
// cpu.weight and cpu.max (`scxppctl table fairshare tenants add /sys/fs/cgroup/t1
// weight=300 quota_us=50000`). Checked here, applied by the BPF timer within 50 ms, kept
// across restarts.
class Overrides {
 public:
  static std::vector<scxpp::TunableDesc> Fields() {
    return {{"weight", "its weight instead of cpu.weight (0: cpu.weight)", 0, 0, 10000},
            {"quota_us", "CPU time per period instead of cpu.max (us; 0: cpu.max)", 0, 0,
             1000000000},
            {"period_us", "the cap's period (us)", 100000, 1000, 1000000}};
  }

  void Bind(fairshare* skel) { skel_ = skel; }

  // The overrides into a freshly loaded scheduler (after a restart).
  absl::Status Reapply() {
    for (const auto& [id, o] : overrides_) {
      if (absl::Status s = Write(id, o); !s.ok()) return s;
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::string> Handle(scxpp::TableOp op, const scxpp::TableKey& key,
                                     const std::vector<uint64_t>& f) {
    if (op == scxpp::TableOp::kList) {
      const std::map<uint64_t, std::string> paths = CgroupPaths(absl::GetFlag(FLAGS_cgroup_root));
      std::string out;
      for (const auto& [id, o] : overrides_) {
        auto p = paths.find(id);
        absl::StrAppend(&out, p != paths.end() ? p->second : absl::StrCat("cgroup:", id),
                        " weight=", o.weight, " quota_us=", o.quota_us, " period_us=",
                        o.period_us, "\n");
      }
      return out;
    }
    if (skel_ == nullptr) return absl::UnavailableError("fairshare is not loaded");
    fairshare_cgroup c{};
    bpf_map* cgroups = bpf_object__find_map_by_name(skel_->obj, "fairshare_cgroups");
    if (cgroups == nullptr || bpf_map_lookup_elem(bpf_map__fd(cgroups), &key.id, &c) != 0) {
      return absl::NotFoundError(absl::StrCat(key.ToString(),
                                              " is not a cgroup fairshare schedules"));
    }
    if (op == scxpp::TableOp::kRemove) {
      if (overrides_.erase(key.id) == 0) {
        return absl::NotFoundError(absl::StrCat(key.ToString(), " has no override"));
      }
      if (absl::Status s = Write(key.id, {}); !s.ok()) return s;
      return absl::StrCat(key.ToString(), ": back to cpu.weight ", c.cpu_weight, " and cpu.max");
    }
    fairshare_override o{};
    o.weight = static_cast<uint32_t>(f.size() > 0 ? f[0] : 0);
    o.quota_us = f.size() > 1 ? f[1] : 0;
    o.period_us = f.size() > 2 ? f[2] : 100000;
    if (o.quota_us != 0 && o.quota_us < 1000) {
      return absl::InvalidArgumentError("quota_us must be 0 (no override) or >= 1000");
    }
    if (o.quota_us != 0 && !absl::GetFlag(FLAGS_bandwidth)) {
      return absl::FailedPreconditionError("caps are off (--bandwidth=false): only weight applies");
    }
    if (absl::Status s = Write(key.id, o); !s.ok()) return s;
    overrides_[key.id] = o;
    std::string done =
        absl::StrCat(key.ToString(), ": weight ", o.weight ? o.weight : c.cpu_weight,
                     o.quota_us ? absl::StrCat(", cap ", o.quota_us, "/", o.period_us, " us")
                                : std::string(", cap from cpu.max"));
    if (o.quota_us != 0 && !CapEnforced(cgroups, key.id)) {
      absl::StrAppend(&done, "; warning: the cap is NOT enforced: every parking queue is taken "
                             "(FAIRSHARE_MAX_CAPPED) or the cgroup's owner has user_capped "
                             "capped cgroups (stats no_slot, user_no_slot)");
    }
    return done;
  }

 private:
  // Whether the timer gave cgroup `id` a parking queue for its cap. It applies overrides
  // every 50 ms at most; wait a little longer than that.
  static bool CapEnforced(bpf_map* cgroups, uint64_t id) {
    fairshare_cgroup c{};
    for (int i = 0; i < 30; ++i) {
      if (bpf_map_lookup_elem(bpf_map__fd(cgroups), &id, &c) == 0 && c.slot >= 0) return true;
      usleep(10'000);
    }
    return false;
  }

  absl::Status Write(uint64_t id, const fairshare_override& o) {
    bpf_map* map = bpf_object__find_map_by_name(skel_->obj, "fairshare_overrides");
    if (map == nullptr || bpf_map_update_elem(bpf_map__fd(map), &id, &o, BPF_ANY) != 0) {
      return absl::ResourceExhaustedError("cannot write the override (table full?)");
    }
    ++skel_->bss->override_gen;
    return absl::OkStatus();
  }

  fairshare* skel_ = nullptr;
  std::map<uint64_t, fairshare_override> overrides_;
};

}  // namespace

int main(int argc, char** argv) {
  scxpp::ParseCommandLine(argc, argv, "CPU shares by cgroup: cpu.weight and cpu.max");
  if (absl::Status s = CheckFlags(); !s.ok()) return scxpp::ReportStartError(s);
  absl::StatusOr<scxpp::Topology> topo = scxpp::Topology::FromSysfs();
  if (!topo.ok()) return scxpp::ReportStartError(topo.status());
  absl::StatusOr<scxpp::KernelFeatures> features = scxpp::KernelFeatures::FromRunningKernel();
  const bool poll_cpu_max = features.ok() && features->HasSchedExt() &&
                            absl::GetFlag(FLAGS_bandwidth) &&
                            !features->HasOpsField("cgroup_set_bandwidth");
  if (poll_cpu_max) {
    fmt::print(stderr,
               "fairshare: this kernel does not report cpu.max to sched_ext (Linux < {}): "
               "watching the cgroups' cpu.max files instead\n",
               std::string(scxpp::OpsFieldSince("cgroup_set_bandwidth")));
  }

  CpuMaxWatcher poller;
  Overrides overrides;
  scxpp::RunHooks hooks;
  hooks.loaded = [&](scxpp::SchedulerBase& s) {
    poller.Reset();
    overrides.Bind(&scxpp::SkelOf<fairshare>(s));  // the loaded skeleton, again after a restart
    return overrides.Reapply();
  };
  if (absl::GetFlag(FLAGS_report)) hooks.final_report = Report;
  if (poll_cpu_max) {
    hooks.poll = [&](scxpp::SchedulerBase& s) { poller.Poll(s, scxpp::SkelOf<fairshare>(s)); };
  }
  return scxpp::RunWithFlags<fairshare>(
      [&](fairshare& skel) -> absl::Status {
        auto* ro = skel.rodata;
        ro->bandwidth = absl::GetFlag(FLAGS_bandwidth);
        scxpp::SetRodata(ro->scxpp_dsq_plan,
                         scxpp::MakeDsqPlan(*topo, {SCXPP_DSQ_SHARED, SCXPP_DSQ_USER}, 0,
                                            /*nr_user=*/FAIRSHARE_MAX_CAPPED));
        return absl::OkStatus();
      },
      scxpp::ControlSpec{
          SCXPP_STATS_DESCS(FAIRSHARE_STATS),
          SCXPP_TUNABLE_DESCS(FAIRSHARE_TUNABLES),
          {{"tenants", "a tenant's weight and cap (cgroup), over its cpu.weight and cpu.max",
            scxpp::KeyKind::kCgroup, Overrides::Fields(), "",
            [&](scxpp::TableOp op, const scxpp::TableKey& key, const std::vector<uint64_t>& f) {
              return overrides.Handle(op, key, f);
            }}}},
      std::move(hooks));
}

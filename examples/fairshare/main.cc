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
#include <map>
#include <optional>
#include <string>
#include <system_error>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "fairshare.skel.h"
#include "fairshare_intf.h"
#include "fmt/format.h"
#include "scxpp/control.h"
#include "scxpp/dsq_plan.h"
#include "scxpp/features.h"
#include "scxpp/runner.h"
#include "scxpp/topology.h"

// --slice_us, --lag_us, --bw_tick_us and --max_wait_ms are the start values of the live tunables of the
// same names (fairshare_intf.h has their ranges).
ABSL_FLAG(uint32_t, slice_us, 5000, "Slice of every task (us).");
ABSL_FLAG(uint32_t, lag_us, 5000,
          "Most CPU time (us, at the task's share) a task that slept may come back ahead by.");
ABSL_FLAG(bool, bandwidth, true, "Enforce cpu.max quotas.");
ABSL_FLAG(uint32_t, bw_tick_us, 1000,
          "How often throttled cgroups are checked for the end of their period (us).");
ABSL_FLAG(uint32_t, max_wait_ms, 1000,
          "Longest a task waits in the fair queue before it runs ahead of vtime order (ms).");
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

// Start values of the live tunables: the flags of the same names, range-checked.
absl::Status SetTunables(fairshare& skel) {
  absl::StatusOr<scxpp::Tunables> t =
      scxpp::Tunables::Bind(skel.obj, SCXPP_TUNABLE_DESCS(FAIRSHARE_TUNABLES));
  if (!t.ok()) return t.status();
  return t->SetFromFlags();
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

// Kernels before 6.17 do not tell sched_ext about cpu.max: user space reads it from the
// cgroup files and hands changes to the BPF side through fairshare_bw_user.
//
// When to read them: an inotify watch on every cgroup directory (a child created, removed or
// moved) and on every cpu.max file (written) says when something changed, and only then is
// the tree read again; the runner's 100 ms loop checks the queue, so a change applies within
// about 100 ms and nothing is read while nothing changes. Reading the whole tree every 100 ms
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
    dirty_ = true;
  }

  void Poll(scxpp::SchedulerBase& s, fairshare& skel) {
    if (!started_) {
      started_ = true;
      fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
      if (fd_ < 0) FallBack("inotify_init1", errno);
    }
    if (fd_ >= 0) {
      if (Drain() || dirty_) Scan(s, skel);
      return;
    }
    const absl::Time now = absl::Now();
    if (now < next_ && !dirty_) return;
    next_ = now + absl::Milliseconds(absl::GetFlag(FLAGS_cpu_max_poll_ms));
    Scan(s, skel);
  }

 private:
  void Scan(scxpp::SchedulerBase& s, fairshare& skel) {
    dirty_ = false;
    bpf_map* map = bpf_object__find_map_by_name(s.object(), "fairshare_bw_user");
    if (map == nullptr) return;
    const int fd = bpf_map__fd(map);
    std::map<uint64_t, fairshare_bw> seen;
    const std::string root = absl::GetFlag(FLAGS_cgroup_root);
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(
             root, std::filesystem::directory_options::skip_permission_denied, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
      if (!it->is_directory(ec)) continue;
      const std::string dir = it->path().string();
      Watch(dir, IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_ONLYDIR);
      std::optional<fairshare_bw> bw;
      if (Watch(dir + "/cpu.max", IN_MODIFY)) bw = ReadCpuMax(dir + "/cpu.max");
      struct stat st;
      if (bw && stat(dir.c_str(), &st) == 0) seen[st.st_ino] = *bw;
    }
    Watch(root, IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_ONLYDIR);
    bool changed = false;
    for (const auto& [id, bw] : seen) {
      auto old = known_.find(id);
      if (old != known_.end() && old->second.period_us == bw.period_us &&
          old->second.quota_us == bw.quota_us) {
        continue;
      }
      bpf_map_update_elem(fd, &id, &bw, BPF_ANY);
      changed = true;
    }
    for (const auto& [id, bw] : known_) {
      if (!seen.contains(id)) bpf_map_delete_elem(fd, &id);
    }
    known_ = std::move(seen);
    if (changed) ++skel.bss->bw_user_gen;
  }

  // Watches @path (a no-op when inotify is not in use). False only when the watch shows
  // that @path does not exist (the root has no cpu.max; a cgroup removed meanwhile).
  bool Watch(const std::string& path, uint32_t mask) {
    if (fd_ < 0) return true;
    if (inotify_add_watch(fd_, path.c_str(), mask) >= 0) return true;
    const int err = errno;
    if (err == ENOENT || err == ENOTDIR) return false;
    FallBack(absl::StrCat("inotify_add_watch(", path, ")"), err);
    return true;
  }

  // Reads every pending event. True if there was any: something changed, read the tree.
  bool Drain() {
    alignas(inotify_event) char buf[4096];
    bool any = false;
    for (;;) {
      const ssize_t n = read(fd_, buf, sizeof(buf));
      if (n > 0) {
        any = true;
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else {
        return any;  // EAGAIN: the queue is empty
      }
    }
  }

  void FallBack(const std::string& what, int err) {
    fmt::print(stderr,
               "fairshare: cannot watch the cgroup files ({}: {}); reading cpu.max every {} ms "
               "instead\n",
               what, strerror(err), absl::GetFlag(FLAGS_cpu_max_poll_ms));
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
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
  bool dirty_ = true;
  int fd_ = -1;
  absl::Time next_ = absl::InfinitePast();
  std::map<uint64_t, fairshare_bw> known_;
};

// The per-cgroup table at exit: cgroups that ran something or were throttled.
void Report(scxpp::SchedulerBase& s) {
  bpf_map* map = bpf_object__find_map_by_name(s.object(), "fairshare_cgroups");
  if (map == nullptr) return;
  const int fd = bpf_map__fd(map);
  const std::map<uint64_t, std::string> paths = CgroupPaths(absl::GetFlag(FLAGS_cgroup_root));
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
  fmt::print("cgroups tracked: {} (live under {}: {})\n", tracked,
             absl::GetFlag(FLAGS_cgroup_root), paths.size());
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
    return absl::StrCat(key.ToString(), ": weight ", o.weight ? o.weight : c.cpu_weight,
                        o.quota_us ? absl::StrCat(", cap ", o.quota_us, "/", o.period_us, " us")
                                   : std::string(", cap from cpu.max"));
  }

 private:
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
  absl::SetProgramUsageMessage("fairshare: CPU shares by cgroup: cpu.weight and cpu.max");
  absl::ParseCommandLine(argc, argv);
  if (absl::Status s = CheckFlags(); !s.ok()) return scxpp::internal::ReportStartError(s);
  absl::StatusOr<scxpp::Topology> topo = scxpp::Topology::FromSysfs();
  if (!topo.ok()) return scxpp::internal::ReportStartError(topo.status());
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

  fairshare* current = nullptr;  // the loaded skeleton (again after a restart)
  CpuMaxWatcher poller;
  Overrides overrides;
  scxpp::RunHooks hooks;
  hooks.loaded = [&](scxpp::SchedulerBase&) {
    poller.Reset();
    overrides.Bind(current);
    return overrides.Reapply();
  };
  if (absl::GetFlag(FLAGS_report)) hooks.final_report = Report;
  if (poll_cpu_max) {
    hooks.poll = [&](scxpp::SchedulerBase& s) {
      if (current != nullptr) poller.Poll(s, *current);
    };
  }
  return scxpp::RunWithFlags<fairshare>(
      &fairshare__open_opts,
      [&](fairshare& skel) -> absl::Status {
        current = &skel;
        auto* ro = skel.rodata;
        if (absl::Status s = SetTunables(skel); !s.ok()) return s;
        ro->bandwidth = absl::GetFlag(FLAGS_bandwidth);
        const_cast<scxpp_dsq_plan&>(ro->scxpp_dsq_plan) = scxpp::MakeDsqPlan(
            *topo, {SCXPP_DSQ_SHARED, SCXPP_DSQ_USER}, 0, /*nr_user=*/FAIRSHARE_MAX_CAPPED);
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

// SPDX-License-Identifier: Apache-2.0
// fairshare: multi-tenant proportional share by cgroup (cpu.weight, cpu.max). See
// fairshare.bpf.c for the policy.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sys/stat.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <system_error>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "fairshare.skel.h"
#include "fairshare_intf.h"
#include "fmt/format.h"
#include "scxpp/dsq_plan.h"
#include "scxpp/features.h"
#include "scxpp/runner.h"
#include "scxpp/topology.h"

ABSL_FLAG(uint32_t, slice_us, 5000, "Slice of every task (us).");
ABSL_FLAG(uint32_t, lag_us, 5000,
          "Most CPU time (us, at the task's share) a task that slept may come back ahead by.");
ABSL_FLAG(bool, bandwidth, true, "Enforce cpu.max quotas.");
ABSL_FLAG(uint32_t, bw_tick_us, 1000,
          "How often throttled cgroups are checked for the end of their period (us).");
ABSL_FLAG(std::string, cgroup_root, "/sys/fs/cgroup",
          "Where cgroup2 is mounted (for names in the per-cgroup report).");
ABSL_FLAG(bool, report, true, "Print a per-cgroup table (CPU time, throttles) at exit.");

namespace {

absl::Status CheckFlags() {
  const uint32_t slice = absl::GetFlag(FLAGS_slice_us);
  const uint32_t lag = absl::GetFlag(FLAGS_lag_us);
  const uint32_t tick = absl::GetFlag(FLAGS_bw_tick_us);
  if (slice < 100 || slice > 100000) {
    return absl::InvalidArgumentError(
        absl::StrCat("--slice_us=", slice, " is out of range: give 100..100000"));
  }
  if (lag > 1000000) {
    return absl::InvalidArgumentError(
        absl::StrCat("--lag_us=", lag, " is out of range: give 0..1000000"));
  }
  if (tick < 100 || tick > 100000) {
    return absl::InvalidArgumentError(
        absl::StrCat("--bw_tick_us=", tick, " is out of range: give 100..100000"));
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
  while (bpf_map_get_next_key(fd, prev, &next) == 0) {
    key = next;
    prev = &key;
    fairshare_cgroup c{};
    if (bpf_map_lookup_elem(fd, &key, &c) != 0) continue;
    if (c.runtime_ns < 1000000 && c.nr_throttles == 0) continue;
    auto p = paths.find(key);
    const std::string name = p != paths.end() ? p->second : absl::StrCat("id:", key);
    const std::string cap =
        c.quota_ns ? fmt::format("{:.2f}cpu", static_cast<double>(c.quota_ns) / c.period_ns)
                   : "max";
    fmt::print("{:<40} {:>6} {:>10} {:>12.1f} {:>9}\n", name, c.weight, cap,
               static_cast<double>(c.runtime_ns) / 1e6, c.nr_throttles);
  }
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("fairshare: CPU shares by cgroup: cpu.weight and cpu.max");
  absl::ParseCommandLine(argc, argv);
  if (absl::Status s = CheckFlags(); !s.ok()) return scxpp::internal::ReportStartError(s);
  absl::StatusOr<scxpp::Topology> topo = scxpp::Topology::FromSysfs();
  if (!topo.ok()) return scxpp::internal::ReportStartError(topo.status());
  absl::StatusOr<scxpp::KernelFeatures> features = scxpp::KernelFeatures::FromRunningKernel();
  if (features.ok() && features->HasSchedExt() && absl::GetFlag(FLAGS_bandwidth) &&
      !features->HasOpsField("cgroup_set_bandwidth")) {
    fmt::print(stderr,
               "fairshare: this kernel does not report cpu.max to sched_ext (needs Linux >= "
               "{}): cpu.max is not enforced\n",
               std::string(scxpp::OpsFieldSince("cgroup_set_bandwidth")));
  }

  scxpp::RunHooks hooks;
  if (absl::GetFlag(FLAGS_report)) hooks.final_report = Report;
  return scxpp::RunWithFlags<fairshare>(
      &fairshare__open_opts,
      [&](fairshare& skel) -> absl::Status {
        auto* ro = skel.rodata;
        ro->slice_ns = uint64_t{absl::GetFlag(FLAGS_slice_us)} * 1000;
        ro->lag_ns = uint64_t{absl::GetFlag(FLAGS_lag_us)} * 1000;
        ro->bw_tick_ns = uint64_t{absl::GetFlag(FLAGS_bw_tick_us)} * 1000;
        ro->bandwidth = absl::GetFlag(FLAGS_bandwidth);
        const_cast<scxpp_dsq_plan&>(ro->scxpp_dsq_plan) = scxpp::MakeDsqPlan(
            *topo, {SCXPP_DSQ_SHARED, SCXPP_DSQ_USER}, 0, /*nr_user=*/FAIRSHARE_MAX_CAPPED);
        return absl::OkStatus();
      },
      SCXPP_STATS_DESCS(FAIRSHARE_STATS), std::move(hooks));
}

// SPDX-License-Identifier: Apache-2.0
// fairshare: multi-tenant proportional share by cgroup (cpu.weight, cpu.max). See
// fairshare.bpf.c for the policy.
#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "cgroups.h"
#include "cpu_max_watcher.h"
#include "fairshare.skel.h"
#include "fairshare_intf.h"
#include "fmt/format.h"
#include "overrides.h"
#include "scxpp/control.h"
#include "scxpp/dsq_plan.h"
#include "scxpp/features.h"
#include "scxpp/flags.h"
#include "scxpp/runner.h"
#include "scxpp/scheduler.h"
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

  const std::string cgroup_root = absl::GetFlag(FLAGS_cgroup_root);
  fairshare_impl::CpuMaxWatcher poller(cgroup_root, absl::GetFlag(FLAGS_cpu_max_poll_ms));
  fairshare_impl::Overrides overrides(cgroup_root, absl::GetFlag(FLAGS_bandwidth));
  scxpp::RunHooks hooks;
  hooks.loaded = [&](scxpp::SchedulerBase& s) {
    poller.Reset();
    overrides.Bind(&scxpp::SkelOf<fairshare>(s));  // the loaded skeleton, again after a restart
    return overrides.Reapply();
  };
  if (absl::GetFlag(FLAGS_report)) {
    hooks.final_report = [cgroup_root](scxpp::SchedulerBase& s) {
      fairshare_impl::Report(s, cgroup_root);
    };
  }
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
            scxpp::KeyKind::kCgroup, fairshare_impl::Overrides::Fields(), "",
            [&](scxpp::TableOp op, const scxpp::TableKey& key, const std::vector<uint64_t>& f) {
              return overrides.Handle(op, key, f);
            }}}},
      std::move(hooks));
}

// SPDX-License-Identifier: Apache-2.0
// lowlat: wakeup latency for audio and trading workloads. See lowlat.bpf.c for the policy.
#include <cstdint>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "lowlat.skel.h"
#include "lowlat_intf.h"
#include "scxpp/dsq_plan.h"
#include "scxpp/flags.h"
#include "scxpp/runner.h"
#include "scxpp/topology.h"
#include "scxpp/tunable_flags.h"
#include "selectors.h"

// List flags take comma-separated values (--pid=12,34); like every absl flag, a repeated
// flag replaces the earlier value instead of adding to it. They fill the tables
// critical_pids/_comms/_cgroups, which `scxppctl table lowlat ...` changes at run time.
ABSL_FLAG(std::vector<std::string>, pid, {},
          "Thread ids to treat as latency-critical, comma-separated (--pid=12,34).");
ABSL_FLAG(std::vector<std::string>, comm, {},
          "Command names (<= 15 chars) to treat as critical, comma-separated, each as "
          "NAME (root's threads), NAME:UID (that user's) or NAME:any (anyone's: any user "
          "can name a thread so).");
ABSL_FLAG(std::vector<std::string>, cgroup, {},
          "cgroup v2 paths (e.g. /sys/fs/cgroup/audio) whose tasks are critical, "
          "comma-separated.");
// --slice_us, --auto, --preempt, ...: the start values of the live tunables (lowlat_intf.h).
SCXPP_TUNABLE_FLAGS(LOWLAT_TUNABLES)

int main(int argc, char** argv) {
  scxpp::ParseCommandLine(argc, argv, "run latency-critical tasks the moment they wake");
  absl::StatusOr<std::vector<selectors::Selection>> sel = selectors::ParseSelectors(
      absl::GetFlag(FLAGS_pid), absl::GetFlag(FLAGS_comm), absl::GetFlag(FLAGS_cgroup));
  if (!sel.ok()) return scxpp::ReportStartError(sel.status());
  absl::StatusOr<scxpp::Topology> topo = scxpp::Topology::FromSysfs();
  if (!topo.ok()) return scxpp::ReportStartError(topo.status());
  selectors::CgroupFollower cgroups(absl::GetFlag(FLAGS_cgroup));

  return scxpp::RunWithFlags<lowlat>(
      [&](lowlat& skel) -> absl::Status {
        auto* ro = skel.rodata;
        ro->nr_cpu_ids = static_cast<uint32_t>(topo->nr_cpu_ids());
        scxpp::SetRodata(
            ro->scxpp_dsq_plan,
            scxpp::MakeDsqPlan(*topo, {SCXPP_DSQ_SHARED, SCXPP_DSQ_USER}, 0, /*nr_user=*/1));
        return absl::OkStatus();
      },
      {SCXPP_STATS_DESCS(LOWLAT_STATS), SCXPP_TUNABLE_DESCS(LOWLAT_TUNABLES), selectors::Tables()},
      {.loaded = [&](scxpp::SchedulerBase& s) { return selectors::PutSelections(s, *sel); },
       .poll = [&](scxpp::SchedulerBase& s) { cgroups.Poll(s); }});
}

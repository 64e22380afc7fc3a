// SPDX-License-Identifier: Apache-2.0
// lowlat: wakeup latency for audio and trading workloads. See lowlat.bpf.c for the policy.
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "lowlat.skel.h"
#include "lowlat_intf.h"
#include "scxpp/dsq_plan.h"
#include "scxpp/runner.h"
#include "scxpp/topology.h"

// List flags take comma-separated values (--pid=12,34); like every absl flag, a repeated
// flag replaces the earlier value instead of adding to it.
ABSL_FLAG(std::vector<std::string>, pid, {},
          "Thread ids to treat as latency-critical, comma-separated (--pid=12,34).");
ABSL_FLAG(std::vector<std::string>, comm, {},
          "Command names (<= 15 chars) to treat as critical, comma-separated.");
ABSL_FLAG(std::vector<std::string>, cgroup, {},
          "cgroup v2 paths (e.g. /sys/fs/cgroup/audio) whose tasks are critical, "
          "comma-separated.");
ABSL_FLAG(bool, nice_critical, true, "Treat tasks with a negative nice value as critical.");
ABSL_FLAG(bool, auto, true, "Detect critical tasks: they wake often and run briefly.");
ABSL_FLAG(uint32_t, crit_max_burst_us, 1000,
          "Auto: most CPU time per wakeup (average) of a critical task; running longer "
          "than this without sleeping demotes any critical task.");
ABSL_FLAG(uint32_t, crit_max_interval_us, 50000,
          "Auto: longest average time between wakeups of a critical task.");
ABSL_FLAG(uint32_t, max_auto_critical, 4,
          "Most tasks --auto marks critical at once (explicit selectors are not counted).");
ABSL_FLAG(bool, preempt, true,
          "Let a critical wakeup preempt a non-critical task when no CPU is idle.");
ABSL_FLAG(uint32_t, slice_us, 5000, "Slice of non-critical tasks when nothing waits (us).");
ABSL_FLAG(uint32_t, min_slice_us, 500, "Shortest slice under contention (us).");

namespace {

// Everything the flags select, validated before anything is loaded.
struct Selectors {
  std::vector<int32_t> pids;
  std::vector<std::string> comms;
  std::vector<uint64_t> cgroups;
};

absl::StatusOr<Selectors> ParseSelectors() {
  Selectors s;
  for (const std::string& p : absl::GetFlag(FLAGS_pid)) {
    int32_t v = 0;
    if (!absl::SimpleAtoi(p, &v) || v <= 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("--pid: '", p, "' is not a thread id (a positive integer)"));
    }
    s.pids.push_back(v);
  }
  for (const std::string& c : absl::GetFlag(FLAGS_comm)) {
    if (c.empty() || c.size() > 15) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--comm: '", c, "' must be 1..15 characters (the kernel truncates names to 15)"));
    }
    s.comms.push_back(c);
  }
  for (const std::string& path : absl::GetFlag(FLAGS_cgroup)) {
    struct stat st;
    if (stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      return absl::InvalidArgumentError(absl::StrCat("--cgroup: ", path, ": ",
                                                     errno ? strerror(errno) : "not a directory",
                                                     "; give a cgroup v2 directory path"));
    }
    if (stat((path + "/cgroup.procs").c_str(), &st) != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("--cgroup: ", path, " is not a cgroup v2 directory (no cgroup.procs)"));
    }
    // On cgroup v2 a cgroup's id is its directory's inode number.
    struct stat dir;
    stat(path.c_str(), &dir);
    s.cgroups.push_back(dir.st_ino);
  }
  if (s.pids.size() > LOWLAT_MAX_PIDS || s.comms.size() > LOWLAT_MAX_COMMS ||
      s.cgroups.size() > LOWLAT_MAX_CGROUPS) {
    return absl::InvalidArgumentError(absl::StrCat("too many selectors: at most ",
                                                   LOWLAT_MAX_PIDS, " --pid, ", LOWLAT_MAX_COMMS,
                                                   " --comm, ", LOWLAT_MAX_CGROUPS, " --cgroup"));
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("lowlat: run latency-critical tasks the moment they wake");
  absl::ParseCommandLine(argc, argv);
  const uint32_t slice_us = absl::GetFlag(FLAGS_slice_us);
  const uint32_t min_slice_us = absl::GetFlag(FLAGS_min_slice_us);
  if (slice_us < 100 || slice_us > 100000 || min_slice_us < 50 || min_slice_us > slice_us) {
    fprintf(stderr, "error: need 100 <= --slice_us <= 100000 and 50 <= --min_slice_us <= "
                    "--slice_us (got %u and %u)\n", slice_us, min_slice_us);
    return scxpp::kExitStartFailed;
  }
  if (absl::GetFlag(FLAGS_crit_max_burst_us) == 0 || absl::GetFlag(FLAGS_crit_max_interval_us) == 0) {
    fprintf(stderr, "error: --crit_max_burst_us and --crit_max_interval_us must be positive\n");
    return scxpp::kExitStartFailed;
  }
  absl::StatusOr<Selectors> sel = ParseSelectors();
  if (!sel.ok()) return scxpp::internal::ReportStartError(sel.status());
  absl::StatusOr<scxpp::Topology> topo = scxpp::Topology::FromSysfs();
  if (!topo.ok()) return scxpp::internal::ReportStartError(topo.status());

  return scxpp::RunWithFlags<lowlat>(
      &lowlat__open_opts,
      [&](lowlat& skel) {
        auto* ro = skel.rodata;
        ro->slice_ns = uint64_t{slice_us} * 1000;
        ro->min_slice_ns = uint64_t{min_slice_us} * 1000;
        ro->crit_max_burst_ns = uint64_t{absl::GetFlag(FLAGS_crit_max_burst_us)} * 1000;
        ro->crit_max_interval_ns = uint64_t{absl::GetFlag(FLAGS_crit_max_interval_us)} * 1000;
        ro->auto_detect = absl::GetFlag(FLAGS_auto);
        ro->nice_critical = absl::GetFlag(FLAGS_nice_critical);
        ro->preempt = absl::GetFlag(FLAGS_preempt);
        ro->max_auto_critical = absl::GetFlag(FLAGS_max_auto_critical);
        ro->nr_cpu_ids = static_cast<uint32_t>(topo->nr_cpu_ids());
        ro->nr_crit_pids = sel->pids.size();
        for (size_t i = 0; i < sel->pids.size(); ++i) ro->crit_pids[i] = sel->pids[i];
        ro->nr_crit_comms = sel->comms.size();
        for (size_t i = 0; i < sel->comms.size(); ++i) {
          char comm[16] = {};
          memcpy(comm, sel->comms[i].data(), sel->comms[i].size());
          memcpy(ro->crit_comms[i], comm, sizeof(comm));
        }
        ro->nr_crit_cgroups = sel->cgroups.size();
        for (size_t i = 0; i < sel->cgroups.size(); ++i) ro->crit_cgroups[i] = sel->cgroups[i];
        const_cast<scxpp_dsq_plan&>(ro->scxpp_dsq_plan) =
            scxpp::MakeDsqPlan(*topo, {SCXPP_DSQ_SHARED, SCXPP_DSQ_USER}, 0, /*nr_user=*/1);
        return absl::OkStatus();
      },
      SCXPP_STATS_DESCS(LOWLAT_STATS));
}

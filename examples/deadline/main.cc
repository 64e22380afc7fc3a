// SPDX-License-Identifier: Apache-2.0
// deadline: EDF with admission control and budgets. See deadline.bpf.c for the policy and
// admission.h for the schedulability test.
//
// This process is the privileged half: it loads the scheduler, runs the admission test for
// every registration (from its flags, from a cgroup, for a command it spawns, or from
// applications through the socket API in client.h) and writes admitted threads into the BPF
// map the scheduler reads. It releases a thread's reservation when the thread exits.
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "admission.h"
#include "client.h"
#include "deadline.skel.h"
#include "deadline_intf.h"
#include "registry.h"
#include "server.h"
#include "spawned_command.h"
#include "startup.h"
#include "tasks_table.h"
#include "scxpp/control.h"
#include "scxpp/dsq_plan.h"
#include "scxpp/flags.h"
#include "scxpp/runner.h"
#include "scxpp/topology.h"
#include "scxpp/tunable_flags.h"

ABSL_FLAG(std::vector<std::string>, task, {},
          "Admit a running thread: TID:runtime:period[:deadline] with units, e.g. "
          "1234:2ms:10ms:5ms; several comma-separated are admitted as one set (all or none).");
ABSL_FLAG(std::vector<std::string>, cgroup, {},
          "Admit every thread of a cgroup v2 directory, each with the same reservation: "
          "PATH:runtime:period[:deadline] (comma-separated for several). Threads that join later "
          "are admitted as they "
          "appear (checked every 100 ms), or refused with a warning when they do not fit.");
ABSL_FLAG(std::string, spawn, "",
          "runtime:period[:deadline]: run the command given after `--` as an admitted task "
          "with this reservation (its main thread; threads it creates are best-effort unless "
          "registered); detach when it exits.");
ABSL_FLAG(std::string, socket, scxpp::deadline::kDefaultSocket,
          "Unix socket applications and deadlinectl register threads through.");
ABSL_FLAG(std::string, socket_group, "",
          "Group (name or number) whose members may use --socket; it is created 0660. Empty: "
          "the daemon's own group (root only).");
ABSL_FLAG(double, user_cpus, 1.0,
          "Most CPU time a non-root user may reserve through the socket, summed over that "
          "user's admitted threads, in CPUs (0.5: half of one CPU); root is not limited.");
ABSL_FLAG(uint32_t, user_tasks, 64,
          "Most threads a non-root user may have admitted through the socket at once.");
ABSL_FLAG(double, capacity, 0.95,
          "Share of each CPU admitted tasks may reserve, in (0, 1]; the rest is kept for "
          "best-effort work and overheads.");
ABSL_FLAG(std::string, placement, "worst-fit",
          "How admitted tasks are partitioned onto CPUs: worst-fit (spread: least utilised "
          "CPU first) or first-fit (pack: lowest CPU first).");
ABSL_FLAG(std::string, cpus, "",
          "CPUs admitted tasks may be placed on, e.g. 0-3,6 (default: every online CPU).");
// --be_slice_us, --max_wait_ms: the start values of the live tunables (deadline_intf.h).
SCXPP_TUNABLE_FLAGS(DEADLINE_TUNABLES)

ABSL_FLAG(double, jitter, 0.1,
          "Release-jitter tolerance as a fraction of each task's period, in [0, 0.5): a wakeup "
          "this much early still starts a job on time; admission analyses period x (1 - jitter).");
ABSL_FLAG(std::string, throttle, "demote",
          "What a task that used up its budget does until its next period: demote (run as "
          "best-effort) or hold (do not run, like SCHED_DEADLINE).");

namespace scxpp::deadline {
namespace {

int Main(int argc, char** argv) {
  std::vector<char*> positional = ParseCommandLine(
      argc, argv,
      "EDF with admission control and budgets for periodic real-time tasks\n"
      "  deadline [--task=TID:2ms:10ms[:5ms]]... [--cgroup=PATH:2ms:10ms]... "
      "[--spawn=2ms:10ms -- command args...]\n"
      "Applications register threads at run time through the socket (client.h, deadlinectl).");
  std::vector<std::string> command(positional.begin() + 1, positional.end());
  const double capacity = absl::GetFlag(FLAGS_capacity);
  if (!(capacity > 0 && capacity <= 1)) {
    return ReportStartError(
        absl::InvalidArgumentError(absl::StrCat("--capacity must be in (0, 1], got ", capacity)));
  }
  const double jitter = absl::GetFlag(FLAGS_jitter);
  if (!(jitter >= 0 && jitter < 0.5)) {
    return ReportStartError(
        absl::InvalidArgumentError(absl::StrCat("--jitter must be in [0, 0.5), got ", jitter)));
  }
  const std::string throttle = absl::GetFlag(FLAGS_throttle);
  if (throttle != "demote" && throttle != "hold") {
    return ReportStartError(absl::InvalidArgumentError(
        absl::StrCat("--throttle must be demote or hold, got '", throttle, "'")));
  }
  absl::StatusOr<Placement> placement = ParsePlacement(absl::GetFlag(FLAGS_placement));
  if (!placement.ok()) {
    return ReportStartError(
        absl::InvalidArgumentError(absl::StrCat("--placement: ", placement.status().message())));
  }
  absl::StatusOr<Topology> topo = Topology::FromSysfs();
  if (!topo.ok()) return ReportStartError(topo.status());
  std::vector<int> cpus = topo->online_cpus();
  if (!absl::GetFlag(FLAGS_cpus).empty()) {
    absl::StatusOr<std::vector<int>> list = ParseCpuList(absl::GetFlag(FLAGS_cpus));
    if (!list.ok()) {
      return ReportStartError(
          absl::InvalidArgumentError(absl::StrCat("--cpus: ", list.status().message())));
    }
    for (int c : *list) {
      if (!topo->IsOnline(c)) {
        return ReportStartError(absl::InvalidArgumentError(
            absl::StrCat("--cpus: CPU ", c, " is not online (online: ", topo->Summary(), ")")));
      }
    }
    cpus = *list;
  }
  if (cpus.empty()) {
    return ReportStartError(absl::InvalidArgumentError("--cpus: no CPUs given"));
  }
  const std::string spawn = absl::GetFlag(FLAGS_spawn);
  if (!command.empty() && spawn.empty()) {
    return ReportStartError(absl::InvalidArgumentError(
        absl::StrCat("unexpected argument '", command[0],
                     "': to run a command as an admitted task, give --spawn=runtime:period")));
  }
  if (!spawn.empty() && command.empty()) {
    return ReportStartError(absl::InvalidArgumentError(
        "--spawn needs a command after `--`, e.g. deadline --spawn=2ms:10ms -- ./control_loop"));
  }

  const double user_cpus = absl::GetFlag(FLAGS_user_cpus);
  if (!(user_cpus >= 0 && user_cpus <= cpus.size())) {
    return ReportStartError(absl::InvalidArgumentError(absl::StrCat(
        "--user_cpus must be in [0, ", cpus.size(), "] (the CPUs admitted tasks may use), got ",
        user_cpus)));
  }
  absl::StatusOr<gid_t> group = ParseGroup(absl::GetFlag(FLAGS_socket_group));
  if (!group.ok()) return ReportStartError(group.status());

  // Everything the flags ask for is admitted (or refused) before anything is loaded.
  Registry reg(Admission(cpus, capacity, *placement, jitter),
               UserLimits{.cpus = user_cpus, .tasks = absl::GetFlag(FLAGS_user_tasks)});
  absl::StatusOr<StartupSet> startup =
      ParseStartupSet(absl::GetFlag(FLAGS_task), absl::GetFlag(FLAGS_cgroup));
  if (!startup.ok()) return ReportStartError(startup.status());
  if (!startup->threads.empty()) {
    absl::StatusOr<std::vector<int>> placed = reg.Admit(startup->threads);
    if (!placed.ok()) {
      return ReportStartError(absl::Status(
          placed.status().code(), absl::StrCat("startup set: ", placed.status().message())));
    }
    for (size_t i = 0; i < startup->threads.size(); ++i) {
      std::printf("deadline: admitted thread %d (%s) on CPU %d\n", startup->threads[i].tid,
                  FormatParams(startup->threads[i].params).c_str(), (*placed)[i]);
    }
  }
  if (!spawn.empty()) {
    if (absl::Status s = SpawnedCommand::Reserve(reg, spawn); !s.ok()) return ReportStartError(s);
  }
  std::fflush(stdout);

  // The socket is made before anything is attached, so a path that cannot be served is
  // refused with nothing changed; requests wait in its backlog until the scheduler runs.
  absl::StatusOr<std::unique_ptr<Server>> server = Server::Listen(
      ServerOptions{.path = absl::GetFlag(FLAGS_socket), .group = *group},
      [&reg](const Peer& peer, const std::string& request) {
        return reg.Handle(peer, request);
      });
  if (!server.ok()) return ReportStartError(server.status());

  SpawnedCommand spawned(command);  // --spawn's command (empty: none)
  RunHooks hooks;
  hooks.attached = [&](SchedulerBase& sched) -> absl::Status {
    if (absl::Status s = reg.Bind(sched.object()); !s.ok()) return s;
    // Clients wait in the backlog until the spawned command holds its reservation: one
    // admitted meanwhile could take the capacity its placeholder was keeping.
    if (absl::Status s = spawned.Start(reg); !s.ok()) return s;
    (*server)->Start();
    return absl::OkStatus();
  };
  hooks.poll = [&](SchedulerBase& sched) {
    reg.Reap();
    AdmitNewCgroupThreads(reg, startup->cgroups);
    // The scheduler's work is done when the command it was started for is.
    if (spawned.Exited(reg)) sched.RequestStop("the spawned command exited");
  };
  hooks.final_report = [&](SchedulerBase&) {
    reg.Reap();
    reg.PrintAll("final");
    reg.Unbind();
  };

  const int rc = RunWithFlags<::deadline>(
      [&](::deadline& skel) -> absl::Status {
        auto* ro = skel.rodata;
        ro->throttle_hold = throttle == "hold";
        ro->nr_cpu_ids = static_cast<uint32_t>(topo->nr_cpu_ids());
        SetRodata(ro->scxpp_dsq_plan,
                  MakeDsqPlan(*topo, {SCXPP_DSQ_SHARED, SCXPP_DSQ_CPU, SCXPP_DSQ_USER}, 0,
                              /*nr_user=*/static_cast<uint32_t>(topo->nr_cpu_ids()) + 1));
        return absl::OkStatus();
      },
      ControlSpec{SCXPP_STATS_DESCS(DEADLINE_STATS), SCXPP_TUNABLE_DESCS(DEADLINE_TUNABLES),
                  {TasksTable(reg)}},
      std::move(hooks));
  (*server)->Stop();
  // The scheduler stopped first (a signal, an error): the command it was for ends with it.
  spawned.Terminate();
  return rc;
}

}  // namespace
}  // namespace scxpp::deadline

int main(int argc, char** argv) {
  return scxpp::deadline::Main(argc, argv);
}

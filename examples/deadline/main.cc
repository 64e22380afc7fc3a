// SPDX-License-Identifier: Apache-2.0
// deadline: EDF with admission control and budgets. See deadline.bpf.c for the policy and
// admission.h for the schedulability test.
//
// This process is the privileged half: it loads the scheduler, runs the admission test for
// every registration (from its flags, from a cgroup, for a command it spawns, or from
// applications through the socket API in client.h) and writes admitted threads into the BPF
// map the scheduler reads. It releases a thread's reservation when the thread exits.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "admission.h"
#include "client.h"
#include "deadline.skel.h"
#include "deadline_intf.h"
#include "server.h"
#include "scxpp/control.h"
#include "scxpp/dsq_plan.h"
#include "scxpp/flags.h"
#include "scxpp/runner.h"
#include "scxpp/spawn.h"
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

std::string Us(int64_t ns) { return absl::StrFormat("%.1f", static_cast<double>(ns) / 1000); }

// Splits "<head>:<reservation>" at the first ':' and parses the reservation.
absl::Status SplitSpec(const std::string& flag, const std::string& spec, std::string* head,
                       TaskParams* params) {
  const size_t colon = spec.find(':');
  if (colon == std::string::npos || colon == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": '", spec, "': expected ", flag == "--task" ? "TID" : "PATH",
                     ":runtime:period[:deadline], e.g. ",
                     flag == "--task" ? "1234" : "/sys/fs/cgroup/rt", ":2ms:10ms"));
  }
  *head = spec.substr(0, colon);
  absl::StatusOr<TaskParams> p = ParseTaskParams(spec.substr(colon + 1));
  if (!p.ok()) return absl::InvalidArgumentError(absl::StrCat(flag, ": ", p.status().message()));
  *params = *p;
  return absl::OkStatus();
}

// A thread's CPU affinity, or kInvalidArgument when there is no such thread.
absl::StatusOr<std::vector<int>> ThreadCpus(int tid) {
  if (tid <= 0) return absl::InvalidArgumentError(absl::StrCat("thread id ", tid, " is not valid"));
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(tid, sizeof(set), &set) != 0) {
    return absl::InvalidArgumentError(absl::StrCat("no thread ", tid, " (", std::strerror(errno),
                                                   "): give the id of a running thread"));
  }
  std::vector<int> cpus;
  for (int c = 0; c < CPU_SETSIZE; ++c) {
    if (CPU_ISSET(c, &set)) cpus.push_back(c);
  }
  return cpus;
}

bool ThreadExists(int tid) {
  struct stat st;
  return stat(absl::StrCat("/proc/", tid).c_str(), &st) == 0;
}

// A thread's real and effective uid.
absl::StatusOr<std::pair<uid_t, uid_t>> ThreadUids(int tid) {
  std::ifstream in(absl::StrCat("/proc/", tid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    unsigned long real = 0, effective = 0;
    if (std::sscanf(line.c_str(), "Uid: %lu %lu", &real, &effective) == 2) {
      return std::make_pair(static_cast<uid_t>(real), static_cast<uid_t>(effective));
    }
  }
  return absl::InvalidArgumentError(
      absl::StrCat("no thread ", tid, ": give the id of a running thread"));
}

// What a non-root socket caller may reserve, summed over its uid's admitted threads.
struct UserLimits {
  double cpus = 1.0;
  size_t tasks = 64;
};

// The admitted set, the BPF map it is published in, and the socket server. Every public
// method takes the lock: the server thread and the runner's hooks share it.
class Registry {
 public:
  Registry(Admission admission, UserLimits limits)
      : adm_(std::move(admission)), limits_(limits) {}

  // Admits `set` (all or nothing) and publishes it when the map is bound. Ids < 0 are
  // placeholders: admitted (capacity held) but never published. `user`: a non-root caller,
  // who may register only its own threads, within its UserLimits.
  absl::StatusOr<std::vector<int>> Admit(const std::vector<Registration>& set,
                                         std::optional<uid_t> user = std::nullopt) {
    // Before any per-thread work (each reads /proc under the lock): a set larger than the
    // caller may hold is refused at once, however long the request.
    if (user && set.size() > limits_.tasks) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "uid ", *user, " asked for ", set.size(), " threads; the limit is ", limits_.tasks,
          " (--user_tasks)"));
    }
    std::lock_guard<std::mutex> l(mu_);
    ReapLocked();
    std::vector<Request> reqs;
    for (const Registration& r : set) {
      Request q{.id = r.tid, .params = r.params};
      if (r.tid >= 0) {
        absl::StatusOr<std::vector<int>> cpus = ThreadCpus(r.tid);
        if (!cpus.ok()) return cpus.status();
        q.allowed_cpus = *cpus;
      }
      if (user) {
        absl::StatusOr<std::pair<uid_t, uid_t>> uids = ThreadUids(r.tid);
        if (!uids.ok()) return uids.status();
        // The rule sched_setattr() applies to a thread's policy: the caller's uid is the
        // thread's real or effective uid.
        if (*user != uids->first && *user != uids->second) {
          return absl::PermissionDeniedError(
              absl::StrCat("thread ", r.tid, " belongs to uid ", uids->first, "; uid ", *user,
                           " may register only its own threads"));
        }
      }
      reqs.push_back(std::move(q));
    }
    if (user) {
      if (absl::Status q = CheckUserLimitsLocked(*user, set); !q.ok()) return q;
    }
    absl::StatusOr<std::vector<int>> placed = adm_.AdmitSet(reqs);
    if (!placed.ok()) return placed.status();
    for (size_t i = 0; i < set.size(); ++i) {
      params_[set[i].tid] = set[i].params;
      // Whoever asked: a reservation root made (flags, scxppctl, root on the socket) is
      // root's, so the thread's user can neither release it nor have it count as its own.
      owner_[set[i].tid] = user.value_or(0);
      if (absl::Status w = PublishLocked(set[i].tid); !w.ok()) {
        for (size_t j = 0; j <= i; ++j) ForgetLocked(set[j].tid);
        for (size_t j = i + 1; j < set.size(); ++j) adm_.Release(set[j].tid);
        return w;
      }
    }
    return placed;
  }

  // `user`: a non-root caller, who may release only its own threads' reservations.
  absl::Status Release(int tid, std::optional<uid_t> user = std::nullopt) {
    std::lock_guard<std::mutex> l(mu_);
    if (!params_.count(tid)) {
      return absl::NotFoundError(absl::StrCat("thread ", tid, " is not admitted"));
    }
    if (user && owner_[tid] != *user) {
      return absl::PermissionDeniedError(absl::StrCat("thread ", tid, " belongs to uid ",
                                                      owner_[tid], "; uid ", *user,
                                                      " may release only its own threads"));
    }
    PrintTaskLocked(tid, "released on request");
    ForgetLocked(tid);
    return absl::OkStatus();
  }

  std::string List() {
    std::lock_guard<std::mutex> l(mu_);
    std::string out;
    for (const auto& [tid, p] : params_) {
      if (tid >= 0) absl::StrAppend(&out, TaskLineLocked(tid), "\n");
    }
    return out;
  }

  // Binds to the loaded scheduler's map and publishes every admitted thread.
  absl::Status Bind(bpf_object* obj) {
    std::lock_guard<std::mutex> l(mu_);
    bpf_map* map = bpf_object__find_map_by_name(obj, DL_TASKS_MAP);
    if (map == nullptr) return absl::NotFoundError("the scheduler has no map " DL_TASKS_MAP);
    map_fd_ = bpf_map__fd(map);
    for (const auto& [tid, p] : params_) {
      if (absl::Status w = PublishLocked(tid); !w.ok()) return w;
    }
    return absl::OkStatus();
  }

  void Unbind() {
    std::lock_guard<std::mutex> l(mu_);
    map_fd_ = -1;
  }

  // Releases the reservations of threads that exited.
  void Reap() {
    std::lock_guard<std::mutex> l(mu_);
    ReapLocked();
  }

  // Replaces placeholder `from` with thread `tid` (same reservation, same CPU or better).
  absl::StatusOr<int> Rekey(int64_t from, int tid) {
    TaskParams p;
    {
      std::lock_guard<std::mutex> l(mu_);
      p = params_[from];
      params_.erase(from);
      owner_.erase(from);
      adm_.Release(from);
    }
    absl::StatusOr<std::vector<int>> cpus = Admit({{tid, p}});
    if (!cpus.ok()) return cpus.status();
    return (*cpus)[0];
  }

  bool Contains(int tid) {
    std::lock_guard<std::mutex> l(mu_);
    return params_.count(tid) > 0;
  }

  void PrintAll(const char* why) {
    std::lock_guard<std::mutex> l(mu_);
    for (const auto& [tid, p] : params_) {
      if (tid >= 0) PrintTaskLocked(tid, why);
    }
  }

  // One request from the socket (server.h), by `peer`.
  std::string Handle(const Peer& peer, const std::string& text) {
    absl::StatusOr<WireRequest> req = ParseRequest(text);
    if (!req.ok()) return FormatErrorLine(req.status());
    const std::optional<uid_t> user =
        peer.uid == 0 ? std::nullopt : std::optional<uid_t>(peer.uid);
    switch (req->kind) {
      case WireRequest::Kind::kList:
        return List() + "ok\n";
      case WireRequest::Kind::kRelease: {
        absl::Status s = Release(req->tid, user);
        return s.ok() ? "ok\n" : FormatErrorLine(s);
      }
      case WireRequest::Kind::kAdmit: {
        absl::StatusOr<std::vector<int>> cpus = Admit(req->set, user);
        if (!cpus.ok()) return FormatErrorLine(cpus.status());
        std::string out = "ok";
        for (size_t i = 0; i < cpus->size(); ++i) {
          absl::StrAppend(&out, " ", (*cpus)[i]);
          std::printf("deadline: admitted thread %d (%s) on CPU %d for uid %u\n",
                      req->set[i].tid, FormatParams(req->set[i].params).c_str(), (*cpus)[i],
                      static_cast<unsigned>(peer.uid));
        }
        std::fflush(stdout);
        return out + "\n";
      }
    }
    return FormatErrorLine(absl::InternalError("unhandled request"));
  }

 private:
  absl::Status PublishLocked(int64_t tid) {
    if (map_fd_ < 0 || tid < 0) return absl::OkStatus();
    dl_task v{};
    const TaskParams& p = params_[tid];
    v.runtime_ns = static_cast<uint64_t>(p.runtime_ns);
    v.deadline_ns = static_cast<uint64_t>(p.deadline_ns);
    v.period_ns = static_cast<uint64_t>(p.period_ns);
    v.jitter_ns = static_cast<uint64_t>(adm_.JitterNs(p.period_ns));
    v.cpu = adm_.CpuOf(tid);
    v.state = DL_ADMITTED;
    const uint32_t key = static_cast<uint32_t>(tid);
    if (bpf_map_update_elem(map_fd_, &key, &v, BPF_ANY) != 0) {
      return absl::ErrnoToStatus(errno,
                                 absl::StrCat("publishing thread ", tid, " to the scheduler"));
    }
    return absl::OkStatus();
  }

  absl::Status CheckUserLimitsLocked(uid_t user, const std::vector<Registration>& set) {
    double cpus = 0;
    size_t tasks = 0;
    for (const auto& [tid, owner] : owner_) {
      if (owner != user) continue;
      cpus += params_[tid].Utilization();
      ++tasks;
    }
    for (const Registration& r : set) cpus += r.params.Utilization();
    if (tasks + set.size() > limits_.tasks) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "uid ", user, " would have ", tasks + set.size(), " admitted threads; the limit is ",
          limits_.tasks, " (--user_tasks)"));
    }
    if (cpus > limits_.cpus + 1e-9) {
      return absl::ResourceExhaustedError(absl::StrFormat(
          "uid %u would reserve %.3f CPUs; the limit per user is %.3f (--user_cpus)", user,
          cpus, limits_.cpus));
    }
    return absl::OkStatus();
  }

  void ForgetLocked(int64_t tid) {
    adm_.Release(tid);
    params_.erase(tid);
    owner_.erase(tid);
    if (map_fd_ >= 0 && tid >= 0) {
      const uint32_t key = static_cast<uint32_t>(tid);
      bpf_map_delete_elem(map_fd_, &key);
    }
  }

  std::string TaskLineLocked(int64_t tid) {
    const TaskParams& p = params_[tid];
    std::string line =
        absl::StrCat("tid=", tid, " cpu=", adm_.CpuOf(tid), " runtime_us=", Us(p.runtime_ns),
                     " deadline_us=", Us(p.deadline_ns), " period_us=", Us(p.period_ns));
    dl_task v{};
    const uint32_t key = static_cast<uint32_t>(tid);
    if (map_fd_ >= 0 && bpf_map_lookup_elem(map_fd_, &key, &v) == 0) {
      absl::StrAppend(&line, " jobs=", v.jobs, " completed=", v.completed, " misses=", v.misses,
                      " overruns=", v.overruns, " throttles=", v.throttles);
      if (v.completed > 0) {
        absl::StrAppend(&line, " lateness_max_us=", Us(v.lateness_max_ns), " lateness_mean_us=",
                        Us(v.lateness_sum_ns / static_cast<int64_t>(v.completed)),
                        " used_max_us=", Us(static_cast<int64_t>(v.used_max_ns)),
                        " used_mean_us=", Us(static_cast<int64_t>(v.used_sum_ns / v.completed)));
      }
    }
    return line;
  }

  void PrintTaskLocked(int64_t tid, const char* why) {
    std::printf("deadline: %s: %s\n", why, TaskLineLocked(tid).c_str());
    std::fflush(stdout);
  }

  void ReapLocked() {
    if (map_fd_ < 0) return;
    std::vector<int64_t> gone;
    for (const auto& [tid, p] : params_) {
      if (tid < 0) continue;
      dl_task v{};
      const uint32_t key = static_cast<uint32_t>(tid);
      const bool found = bpf_map_lookup_elem(map_fd_, &key, &v) == 0;
      if ((found && v.state == DL_EXITED) || !ThreadExists(static_cast<int>(tid))) {
        gone.push_back(tid);
      }
    }
    for (int64_t tid : gone) {
      PrintTaskLocked(tid, "exited, reservation released");
      ForgetLocked(tid);
    }
  }

  std::mutex mu_;
  Admission adm_;
  UserLimits limits_;
  std::map<int64_t, TaskParams> params_;
  std::map<int64_t, uid_t> owner_;  // Who asked for it (0: root); counts toward its limits.
  int map_fd_ = -1;
};

// --socket_group: a group name or number.
absl::StatusOr<gid_t> ParseGroup(const std::string& spec) {
  if (spec.empty()) return getgid();
  uint32_t gid = 0;
  if (absl::SimpleAtoi(spec, &gid)) return static_cast<gid_t>(gid);
  std::vector<char> buf(16384);
  group gr{};
  group* found = nullptr;
  if (getgrnam_r(spec.c_str(), &gr, buf.data(), buf.size(), &found) != 0 || found == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--socket_group: no group '", spec, "' (create it with `groupadd ", spec,
        "`, or give a number)"));
  }
  return found->gr_gid;
}

// Threads of a cgroup v2 directory.
std::vector<int> CgroupThreads(const std::string& path) {
  std::vector<int> tids;
  std::ifstream in(path + "/cgroup.threads");
  int tid;
  while (in >> tid) tids.push_back(tid);
  return tids;
}

struct CgroupRule {
  std::string path;
  TaskParams params;
  std::set<int> refused;  // Warned about once.
};

// Table "tasks": `scxppctl table deadline tasks add TID runtime_us=2000 period_us=10000`
// runs the same admission test as --task and the socket, and `remove TID` releases.
std::vector<TunableDesc> TaskFields() {
  return {{"runtime_us", "CPU time per period (us)", 1000, kMinRuntimeNs / 1000,
           static_cast<uint64_t>(kMaxPeriodNs / 1000)},
          {"deadline_us", "relative deadline (us; 0: the period)", 0, 0,
           static_cast<uint64_t>(kMaxPeriodNs / 1000)},
          {"period_us", "period (us)", 10000, kMinRuntimeNs / 1000,
           static_cast<uint64_t>(kMaxPeriodNs / 1000)}};
}

absl::StatusOr<std::string> HandleTasks(Registry& reg, TableOp op, const TableKey& key,
                                        const std::vector<uint64_t>& f) {
  const int tid = static_cast<int>(key.id);
  switch (op) {
    case TableOp::kList:
      return reg.List();
    case TableOp::kRemove:
      if (absl::Status s = reg.Release(tid); !s.ok()) return s;
      return absl::StrCat("released thread ", tid);
    case TableOp::kAdd: {
      if (f.size() != 3) return absl::InvalidArgumentError("tasks: need runtime, deadline, period");
      if (reg.Contains(tid)) {
        return absl::AlreadyExistsError(absl::StrCat(
            "thread ", tid, " is already admitted; remove it first to change its reservation"));
      }
      TaskParams p;
      p.runtime_ns = static_cast<int64_t>(f[0]) * 1000;
      p.period_ns = static_cast<int64_t>(f[2]) * 1000;
      p.deadline_ns = f[1] != 0 ? static_cast<int64_t>(f[1]) * 1000 : p.period_ns;
      absl::StatusOr<std::vector<int>> cpus = reg.Admit({{tid, p}});
      if (!cpus.ok()) return cpus.status();
      std::printf("deadline: admitted thread %d (%s) on CPU %d\n", tid, FormatParams(p).c_str(),
                  (*cpus)[0]);
      std::fflush(stdout);
      return absl::StrCat("admitted thread ", tid, " (", FormatParams(p), ") on CPU ",
                          (*cpus)[0]);
    }
  }
  return absl::InvalidArgumentError("unknown operation");
}

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
  std::vector<Registration> startup;
  for (const std::string& spec : absl::GetFlag(FLAGS_task)) {
    std::string head;
    Registration r;
    if (absl::Status s = SplitSpec("--task", spec, &head, &r.params); !s.ok()) {
      return ReportStartError(s);
    }
    if (!absl::SimpleAtoi(head, &r.tid) || r.tid <= 0) {
      return ReportStartError(absl::InvalidArgumentError(
          absl::StrCat("--task: '", head, "' is not a thread id (a positive integer)")));
    }
    startup.push_back(r);
  }
  std::vector<CgroupRule> cgroups;
  for (const std::string& spec : absl::GetFlag(FLAGS_cgroup)) {
    CgroupRule rule;
    if (absl::Status s = SplitSpec("--cgroup", spec, &rule.path, &rule.params); !s.ok()) {
      return ReportStartError(s);
    }
    struct stat st;
    if (stat((rule.path + "/cgroup.threads").c_str(), &st) != 0) {
      return ReportStartError(absl::InvalidArgumentError(absl::StrCat(
          "--cgroup: ", rule.path, " is not a cgroup v2 directory (no cgroup.threads)")));
    }
    for (int tid : CgroupThreads(rule.path)) startup.push_back({tid, rule.params});
    cgroups.push_back(std::move(rule));
  }
  if (!startup.empty()) {
    absl::StatusOr<std::vector<int>> placed = reg.Admit(startup);
    if (!placed.ok()) {
      return ReportStartError(absl::Status(
          placed.status().code(), absl::StrCat("startup set: ", placed.status().message())));
    }
    for (size_t i = 0; i < startup.size(); ++i) {
      std::printf("deadline: admitted thread %d (%s) on CPU %d\n", startup[i].tid,
                  FormatParams(startup[i].params).c_str(), (*placed)[i]);
    }
  }
  constexpr int kSpawnPlaceholder = -1;
  if (!spawn.empty()) {
    absl::StatusOr<TaskParams> p = ParseTaskParams(spawn);
    if (!p.ok()) {
      return ReportStartError(
          absl::InvalidArgumentError(absl::StrCat("--spawn: ", p.status().message())));
    }
    absl::StatusOr<std::vector<int>> placed = reg.Admit({{kSpawnPlaceholder, *p}});
    if (!placed.ok()) {
      return ReportStartError(absl::Status(
          placed.status().code(), absl::StrCat("--spawn: ", placed.status().message())));
    }
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

  std::optional<HeldChild> child;  // --spawn's command, held until it has its reservation
  bool spawned = false;
  RunHooks hooks;
  hooks.attached = [&](SchedulerBase& sched) -> absl::Status {
    if (absl::Status s = reg.Bind(sched.object()); !s.ok()) return s;
    // Clients wait in the backlog until the spawned command holds its reservation: one
    // admitted meanwhile could take the capacity its placeholder was keeping.
    if (spawn.empty() || spawned) {
      (*server)->Start();
      return absl::OkStatus();
    }
    absl::StatusOr<HeldChild> held = HeldChild::Start(command);
    if (!held.ok()) {
      return absl::Status(held.status().code(), absl::StrCat("--spawn: ", held.status().message()));
    }
    child.emplace(*std::move(held));
    spawned = true;
    absl::StatusOr<int> cpu = reg.Rekey(kSpawnPlaceholder, child->pid());
    if (!cpu.ok()) return cpu.status();  // the held child is killed with `child`
    std::printf("deadline: spawned %s as thread %d on CPU %d\n", command[0].c_str(),
                child->pid(), *cpu);
    std::fflush(stdout);
    if (absl::Status s = child->Release(); !s.ok()) return s;
    (*server)->Start();
    return absl::OkStatus();
  };
  hooks.poll = [&](SchedulerBase& sched) {
    reg.Reap();
    for (CgroupRule& rule : cgroups) {
      for (int tid : CgroupThreads(rule.path)) {
        if (reg.Contains(tid) || rule.refused.count(tid)) continue;
        absl::StatusOr<std::vector<int>> placed = reg.Admit({{tid, rule.params}});
        if (placed.ok()) {
          std::printf("deadline: admitted thread %d of %s on CPU %d\n", tid, rule.path.c_str(),
                      (*placed)[0]);
        } else {
          rule.refused.insert(tid);
          std::printf("deadline: warning: thread %d of %s stays best-effort: %s\n", tid,
                      rule.path.c_str(), std::string(placed.status().message()).c_str());
        }
        std::fflush(stdout);
      }
    }
    if (child) {
      if (std::optional<int> status = child->Poll()) {
        std::printf("deadline: spawned command exited (%s %d)\n",
                    *status < 128 ? "status" : "signal", *status < 128 ? *status : *status - 128);
        std::fflush(stdout);
        reg.Reap();
        child.reset();
        // The scheduler's work is done when the command it was started for is.
        sched.RequestStop("the spawned command exited");
      }
    }
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
                  {{"tasks", "real-time threads and their reservations (admission-tested)",
                    KeyKind::kPid, TaskFields(), "",
                    [&](TableOp op, const TableKey& key, const std::vector<uint64_t>& f) {
                      return HandleTasks(reg, op, key, f);
                    }}}},
      std::move(hooks));
  (*server)->Stop();
  // The scheduler stopped first (a signal, an error): the command it was for ends with it.
  if (child && !child->Poll()) kill(child->pid(), SIGTERM);
  return rc;
}

}  // namespace
}  // namespace scxpp::deadline

int main(int argc, char** argv) {
  return scxpp::deadline::Main(argc, argv);
}

// SPDX-License-Identifier: Apache-2.0
// The deadline daemon's admitted set (registry.h): admission, ownership, the BPF map, requests.
#include "registry.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sched.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "deadline_intf.h"

namespace scxpp::deadline {
namespace {

std::string Us(int64_t ns) { return absl::StrFormat("%.1f", static_cast<double>(ns) / 1000); }

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

}  // namespace

Registry::Registry(Admission admission, UserLimits limits)
    : adm_(std::move(admission)), limits_(limits) {}

absl::StatusOr<std::vector<int>> Registry::Admit(const std::vector<Registration>& set,
                                                 std::optional<uid_t> user) {
  // Before any per-thread work (each reads /proc under the lock): a set larger than the
  // caller may hold is refused at once, however long the request.
  if (user && set.size() > limits_.tasks) {
    return absl::ResourceExhaustedError(absl::StrCat("uid ", *user, " asked for ", set.size(),
                                                     " threads; the limit is ", limits_.tasks,
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
        return absl::PermissionDeniedError(absl::StrCat("thread ", r.tid, " belongs to uid ",
                                                        uids->first, "; uid ", *user,
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

absl::Status Registry::Release(int tid, std::optional<uid_t> user) {
  std::lock_guard<std::mutex> l(mu_);
  if (!params_.count(tid)) {
    return absl::NotFoundError(absl::StrCat("thread ", tid, " is not admitted"));
  }
  if (user && owner_[tid] != *user) {
    return absl::PermissionDeniedError(absl::StrCat("thread ", tid, " belongs to uid ", owner_[tid],
                                                    "; uid ", *user,
                                                    " may release only its own threads"));
  }
  PrintTaskLocked(tid, "released on request");
  ForgetLocked(tid);
  return absl::OkStatus();
}

std::string Registry::List() {
  std::lock_guard<std::mutex> l(mu_);
  std::string out;
  for (const auto& [tid, p] : params_) {
    if (tid >= 0) absl::StrAppend(&out, TaskLineLocked(tid), "\n");
  }
  return out;
}

absl::Status Registry::Bind(bpf_object* obj) {
  std::lock_guard<std::mutex> l(mu_);
  bpf_map* map = bpf_object__find_map_by_name(obj, DL_TASKS_MAP);
  if (map == nullptr) return absl::NotFoundError("the scheduler has no map " DL_TASKS_MAP);
  map_fd_ = bpf_map__fd(map);
  for (const auto& [tid, p] : params_) {
    if (absl::Status w = PublishLocked(tid); !w.ok()) return w;
  }
  return absl::OkStatus();
}

void Registry::Unbind() {
  std::lock_guard<std::mutex> l(mu_);
  map_fd_ = -1;
}

void Registry::Reap() {
  std::lock_guard<std::mutex> l(mu_);
  ReapLocked();
}

absl::StatusOr<int> Registry::Rekey(int64_t from, int tid) {
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

bool Registry::Contains(int tid) {
  std::lock_guard<std::mutex> l(mu_);
  return params_.count(tid) > 0;
}

void Registry::PrintAll(const char* why) {
  std::lock_guard<std::mutex> l(mu_);
  for (const auto& [tid, p] : params_) {
    if (tid >= 0) PrintTaskLocked(tid, why);
  }
}

std::string Registry::Handle(const Peer& peer, const std::string& text) {
  absl::StatusOr<WireRequest> req = ParseRequest(text);
  if (!req.ok()) return FormatErrorLine(req.status());
  const std::optional<uid_t> user = peer.uid == 0 ? std::nullopt : std::optional<uid_t>(peer.uid);
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
        std::printf("deadline: admitted thread %d (%s) on CPU %d for uid %u\n", req->set[i].tid,
                    FormatParams(req->set[i].params).c_str(), (*cpus)[i],
                    static_cast<unsigned>(peer.uid));
      }
      std::fflush(stdout);
      return out + "\n";
    }
  }
  return FormatErrorLine(absl::InternalError("unhandled request"));
}

absl::Status Registry::PublishLocked(int64_t tid) {
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
    return absl::ErrnoToStatus(errno, absl::StrCat("publishing thread ", tid, " to the scheduler"));
  }
  return absl::OkStatus();
}

absl::Status Registry::CheckUserLimitsLocked(uid_t user, const std::vector<Registration>& set) {
  double cpus = 0;
  size_t tasks = 0;
  for (const auto& [tid, owner] : owner_) {
    if (owner != user) continue;
    cpus += params_[tid].Utilization();
    ++tasks;
  }
  for (const Registration& r : set) cpus += r.params.Utilization();
  if (tasks + set.size() > limits_.tasks) {
    return absl::ResourceExhaustedError(
        absl::StrCat("uid ", user, " would have ", tasks + set.size(),
                     " admitted threads; the limit is ", limits_.tasks, " (--user_tasks)"));
  }
  if (cpus > limits_.cpus + 1e-9) {
    return absl::ResourceExhaustedError(
        absl::StrFormat("uid %u would reserve %.3f CPUs; the limit per user is %.3f (--user_cpus)",
                        user, cpus, limits_.cpus));
  }
  return absl::OkStatus();
}

void Registry::ForgetLocked(int64_t tid) {
  adm_.Release(tid);
  params_.erase(tid);
  owner_.erase(tid);
  if (map_fd_ >= 0 && tid >= 0) {
    const uint32_t key = static_cast<uint32_t>(tid);
    bpf_map_delete_elem(map_fd_, &key);
  }
}

std::string Registry::TaskLineLocked(int64_t tid) {
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

void Registry::PrintTaskLocked(int64_t tid, const char* why) {
  std::printf("deadline: %s: %s\n", why, TaskLineLocked(tid).c_str());
  std::fflush(stdout);
}

void Registry::ReapLocked() {
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

}  // namespace scxpp::deadline

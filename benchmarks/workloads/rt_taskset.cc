// SPDX-License-Identifier: Apache-2.0
// scxpp_rt_taskset: a soft-real-time periodic task set, the load a deadline-aware
// scheduler is for. Each task is a thread with a runtime, a period and a relative
// deadline (--tasks=runtime_us:period_us[:deadline_us]); job k is released at
// start + k * period (absolute CLOCK_MONOTONIC times, so lateness never drifts), burns
// `runtime` of its own CPU time (CLOCK_THREAD_CPUTIME_ID, so preemption does not shorten
// the work) and records response = finish - release and lateness = finish - (release +
// deadline); lateness > 0 is a deadline miss.
//
// --policy=scx_deadline keeps them SCHED_OTHER and registers the set, with the same budgets as
// --policy=deadline, with the `deadline` sched_ext scheduler's daemon (examples/deadline,
// through its client API) before the first release; a refused set fails like EBUSY does.
//
// --policy=other runs the threads as SCHED_OTHER (what sched_ext or EEVDF schedules;
// --nice sets their nice value). --policy=deadline makes each thread SCHED_DEADLINE with
// exactly its (runtime, deadline, period), for the kernel's own EDF+CBS as a reference:
// those tasks are above any sched_ext scheduler. --overrun=i:f makes task i use f times its
// declared runtime in every job (under SCHED_DEADLINE the CBS throttles it and the other
// tasks should be unaffected).
//
// A job that cannot even start before its own deadline (the previous job of the task
// overran that far) is skipped and counted as a miss, like a frame dropped, so one
// overloaded task does not fall ever further behind; skipped jobs have no response time
// and are left out of the percentiles (see "skipped").
//
// Output: one JSON line on stdout (see kUsage); diagnostics on stderr. Exit status 2 for
// bad flags, 1 when the policy cannot be applied (e.g. EPERM, or EBUSY from the
// SCHED_DEADLINE admission test).
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <latch>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "benchmarks/workloads/latency_stats.h"
#include "fmt/format.h"
#ifdef SCXPP_HAVE_DEADLINE_CLIENT
#include "client.h"
#endif

ABSL_FLAG(std::string, tasks, "1000:5000,2000:10000,3000:20000,500:10000:2000",
          "Comma-separated runtime_us:period_us[:deadline_us]; the deadline defaults to the "
          "period; runtime <= deadline <= period.");
ABSL_FLAG(int, duration_s, 5, "How long to release jobs, in seconds.");
ABSL_FLAG(std::string, policy, "other",
          "other (SCHED_OTHER, scheduled by sched_ext/EEVDF), deadline (SCHED_DEADLINE, "
          "needs root) or scx_deadline (SCHED_OTHER threads admitted by the deadline sched_ext "
          "scheduler's daemon, with the budgets --policy=deadline would use).");
ABSL_FLAG(std::string, deadline_socket, "/run/scxpp-deadline.sock",
          "--policy=scx_deadline: the deadline scheduler daemon's socket.");
ABSL_FLAG(int, nice, 0, "Nice value of the task threads for --policy=other (-20..19).");
ABSL_FLAG(double, dl_slack, 0.2,
          "--policy=deadline: reserve runtime x (1 + dl_slack), capped at the deadline, for "
          "the per-job overhead outside the burn loop.");
ABSL_FLAG(int, dl_overhead_us, 0,
          "--policy=deadline/scx_deadline: add this much to every reservation, after "
          "--dl_slack (capped at the deadline): the per-job cost of the wakeup and the switches, "
          "which does not scale with the runtime (see cpu_us in the output).");
ABSL_FLAG(std::string, overrun, "",
          "index:factor: task `index` (0-based) burns factor x its runtime in every job.");

namespace scxpp::workloads {
namespace {

constexpr char kUsage[] =
    "Periodic real-time task set: deadline misses, lateness and response times. Prints one "
    "JSON line:\n"
    "  {\"workload\":\"rt_taskset\",\"policy\":..,\"utilization\":..,\"jobs\":..,\"misses\":..,"
    "\"miss_ratio\":..,\"lateness_us\":{\"p50\":..,\"p99\":..,\"max\":..},\"response_us\":{..},"
    "\"per_task\":[..]}\n"
    "utilization = sum(runtime/period) as declared (without --overrun); measured_utilization = "
    "sum(mean CPU time per job / period), the job's CPU time counted from the end of its previous "
    "job to its own end, so it includes the wakeup and the switches (per task: cpu_us); "
    "reserved_utilization = sum(reservation / period) for --policy=deadline/scx_deadline.";

constexpr int64_t kNsPerUs = 1000;
// The first release is this far after the start, so every thread is up and (for
// SCHED_DEADLINE) admitted before any job is due.
constexpr int64_t kStartDelayNs = 20 * 1000 * 1000;

// struct sched_attr from include/uapi/linux/sched/types.h; glibc 2.36 has no wrapper.
struct SchedAttr {
  uint32_t size;
  uint32_t sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime;
  uint64_t sched_deadline;
  uint64_t sched_period;
};
constexpr uint32_t kSchedDeadline = 6;

struct TaskSpec {
  int64_t runtime_ns = 0;
  int64_t period_ns = 0;
  int64_t deadline_ns = 0;
  double overrun = 1.0;  // work per job = runtime * overrun
  // SCHED_DEADLINE (and scx_deadline) budget: runtime plus --dl_slack, at most the deadline.
  // A job's CPU time includes its wakeup and clock reads besides the burn loop, so a budget
  // of exactly the runtime would throttle nearly every job a few microseconds before it ends.
  int64_t reserved_ns = 0;
};

struct TaskResult {
  LatencyRecorder lateness;  // ns, may be negative
  LatencyRecorder response;  // ns
  // ns of this thread's CPU time per job, from the end of the previous job to the end of this
  // one: the burn plus everything the job costs around it (the wakeup, the switch in, the
  // clock reads, the sleep and the switch out), which is what a budget must cover.
  LatencyRecorder cpu;
  int64_t jobs = 0;          // released, including skipped ones
  int64_t misses = 0;        // late finishes + skipped jobs
  int64_t skipped = 0;
  std::string error;  // non-empty: the thread could not apply its policy
  int tid = 0;
};

// Burns `work_ns` of this thread's CPU time (see latency_probe.cc for why CPU time).
uint64_t BurnCpu(int64_t work_ns, uint64_t x) {
  const int64_t start = NowNs(CLOCK_THREAD_CPUTIME_ID);
  while (NowNs(CLOCK_THREAD_CPUTIME_ID) - start < work_ns) {
    for (int i = 0; i < 256; ++i) {
      x = x * 6364136223846793005ULL + 1442695040888963407ULL;
      asm volatile("" : "+r"(x));
    }
  }
  return x;
}

void TaskThread(const TaskSpec& task, bool deadline_policy, int duration_s, std::latch& ready,
                const std::atomic<int64_t>& start_ns, TaskResult& result) {
  if (deadline_policy) {
    SchedAttr attr{};
    attr.size = sizeof attr;
    attr.sched_policy = kSchedDeadline;
    attr.sched_runtime = static_cast<uint64_t>(task.reserved_ns);
    attr.sched_deadline = static_cast<uint64_t>(task.deadline_ns);
    attr.sched_period = static_cast<uint64_t>(task.period_ns);
    if (syscall(SYS_sched_setattr, 0, &attr, 0) != 0) {
      result.error = fmt::format(
          "sched_setattr(SCHED_DEADLINE, runtime={} deadline={} period={} "
          "ns): {}",
          task.reserved_ns, task.deadline_ns, task.period_ns, std::strerror(errno));
    }
  }
  result.tid = static_cast<int>(gettid());
  ready.arrive_and_wait();  // main stores start_ns after every thread has arrived
  if (!result.error.empty()) return;
  int64_t start;
  while ((start = start_ns.load(std::memory_order_acquire)) == 0) {
    // Main publishes the start right after the latch opens. Sleep rather than yield: for a
    // SCHED_DEADLINE thread sched_yield() means "job done, throttle me until my next period".
    SleepUntil(NowNs(CLOCK_MONOTONIC) + 100 * 1000);
  }
  if (start < 0) return;  // another thread failed: main cancels the run
  const int64_t end = start + kStartDelayNs + int64_t{duration_s} * kNsPerSec;
  const int64_t work_ns = static_cast<int64_t>(static_cast<double>(task.runtime_ns) * task.overrun);
  result.lateness.Reserve(
      static_cast<size_t>(int64_t{duration_s} * kNsPerSec / task.period_ns + 1));
  result.response.Reserve(
      static_cast<size_t>(int64_t{duration_s} * kNsPerSec / task.period_ns + 1));
  result.cpu.Reserve(
      static_cast<size_t>(int64_t{duration_s} * kNsPerSec / task.period_ns + 1));
  uint64_t x = 1;
  int64_t cpu_mark = -1;  // this thread's CPU time at the end of its previous job
  for (int64_t release = start + kStartDelayNs; release < end; release += task.period_ns) {
    ++result.jobs;
    const int64_t abs_deadline = release + task.deadline_ns;
    if (NowNs(CLOCK_MONOTONIC) >= abs_deadline) {  // cannot start before its deadline
      ++result.skipped;
      ++result.misses;
      continue;
    }
    SleepUntil(release);
    x = BurnCpu(work_ns, x);
    const int64_t finish = NowNs(CLOCK_MONOTONIC);
    result.response.Record(finish - release);
    result.lateness.Record(finish - abs_deadline);
    if (finish > abs_deadline) ++result.misses;
    const int64_t cpu_now = NowNs(CLOCK_THREAD_CPUTIME_ID);
    if (cpu_mark >= 0) result.cpu.Record(cpu_now - cpu_mark);  // the first job has no start
    cpu_mark = cpu_now;
    // SCHED_DEADLINE: tell the kernel the job is done, so the rest of this period's budget
    // is given up and the task is throttled until its next period (sched(7)).
    if (deadline_policy) sched_yield();
  }
  if (x == 0x5c5c5c5c5c5c5c5cULL) fmt::print(stderr, "sink\n");
}

JsonObject UsSummary(const LatencyRecorder& ns) {
  JsonObject o;
  const LatencySummary s = ns.Summarize();
  if (s.count == 0) {
    o.AddNull("p50").AddNull("p99").AddNull("max");
    return o;
  }
  o.Add("p50", static_cast<double>(s.p50) / kNsPerUs)
      .Add("p99", static_cast<double>(s.p99) / kNsPerUs)
      .Add("max", static_cast<double>(s.max) / kNsPerUs);
  return o;
}

// --policy=scx_deadline: registers every task thread with the deadline scheduler, as one set.
std::string AdmitScxDeadline(const std::vector<TaskSpec>& tasks,
                             const std::vector<TaskResult>& results) {
#ifdef SCXPP_HAVE_DEADLINE_CLIENT
  std::vector<scxpp::deadline::Registration> set;
  for (size_t i = 0; i < tasks.size(); ++i) {
    set.push_back({results[i].tid,
                   {.runtime_ns = tasks[i].reserved_ns,
                    .deadline_ns = tasks[i].deadline_ns,
                    .period_ns = tasks[i].period_ns}});
  }
  absl::StatusOr<std::vector<int>> cpus =
      scxpp::deadline::Client(absl::GetFlag(FLAGS_deadline_socket)).Admit(set);
  if (!cpus.ok()) {
    return fmt::format("deadline scheduler: {}", std::string(cpus.status().message()));
  }
  return "";
#else
  (void)tasks;
  (void)results;
  return "--policy=scx_deadline: built without the deadline example's client";
#endif
}

int Run(const std::vector<TaskSpec>& tasks, bool deadline_policy, const std::string& policy,
        int nice, int duration_s) {
  const int n = static_cast<int>(tasks.size());
  std::vector<TaskResult> results(n);
  std::latch ready(n + 1);
  std::atomic<int64_t> start_ns{0};
  std::vector<std::thread> threads;
  threads.reserve(n);
  for (int i = 0; i < n; ++i) {
    threads.emplace_back(TaskThread, std::cref(tasks[i]), deadline_policy, duration_s,
                         std::ref(ready), std::cref(start_ns), std::ref(results[i]));
  }
  ready.arrive_and_wait();
  bool failed = false;
  for (const TaskResult& r : results) {
    if (!r.error.empty()) {
      fmt::print(stderr, "scxpp_rt_taskset: {}\n", r.error);
      failed = true;
    }
  }
  if (!failed && policy == "scx_deadline") {
    if (std::string e = AdmitScxDeadline(tasks, results); !e.empty()) {
      fmt::print(stderr, "scxpp_rt_taskset: {}\n", e);
      failed = true;
    }
  }
  start_ns.store(failed ? -1 : NowNs(CLOCK_MONOTONIC), std::memory_order_release);
  for (std::thread& t : threads) t.join();
  if (failed) return 1;

  LatencyRecorder lateness, response;
  int64_t jobs = 0, misses = 0, skipped = 0;
  double utilization = 0, measured_utilization = 0, reserved_utilization = 0;
  bool measured = true;
  std::string per_task = "[";
  for (int i = 0; i < n; ++i) {
    const TaskResult& r = results[i];
    lateness.Merge(r.lateness);
    response.Merge(r.response);
    jobs += r.jobs;
    misses += r.misses;
    skipped += r.skipped;
    utilization +=
        static_cast<double>(tasks[i].runtime_ns) / static_cast<double>(tasks[i].period_ns);
    reserved_utilization +=
        static_cast<double>(tasks[i].reserved_ns) / static_cast<double>(tasks[i].period_ns);
    JsonObject t;
    t.Add("runtime_us", tasks[i].runtime_ns / kNsPerUs)
        .Add("reserved_us", tasks[i].reserved_ns / kNsPerUs)
        .Add("period_us", tasks[i].period_ns / kNsPerUs)
        .Add("deadline_us", tasks[i].deadline_ns / kNsPerUs)
        .Add("overrun", tasks[i].overrun)
        .Add("jobs", r.jobs)
        .Add("misses", r.misses)
        .Add("skipped", r.skipped);
    const LatencySummary rs = r.response.Summarize();
    if (rs.count > 0) {
      t.Add("p99_response_us", static_cast<double>(rs.p99) / kNsPerUs);
    } else {
      t.AddNull("p99_response_us");
    }
    // What a job really cost on this machine (wakeup and switch included), against the
    // runtime it declared: the difference is what the scheduler and the kernel add per job.
    const LatencySummary cs = r.cpu.Summarize();
    if (cs.count > 0) {
      double sum = 0;
      for (int64_t v : r.cpu.samples()) sum += static_cast<double>(v);
      const double mean = sum / static_cast<double>(cs.count);
      measured_utilization += mean / static_cast<double>(tasks[i].period_ns);
      t.Add("cpu_us", UsSummary(r.cpu)).Add("cpu_mean_us", mean / kNsPerUs);
    } else {
      measured = false;
      t.AddNull("cpu_us").AddNull("cpu_mean_us");
    }
    if (i > 0) per_task += ',';
    per_task += ToJson(t);
  }
  per_task += ']';

  JsonObject out;
  out.Add("workload", "rt_taskset")
      .Add("policy", policy)
      .Add("nice", nice)
      .Add("tasks", n)
      .Add("duration_s", duration_s)
      .Add("utilization", utilization);
  if (measured) {
    out.Add("measured_utilization", measured_utilization);
  } else {
    out.AddNull("measured_utilization");
  }
  out.Add("reserved_utilization", reserved_utilization)
      .Add("dl_slack", deadline_policy || policy == "scx_deadline" ? absl::GetFlag(FLAGS_dl_slack)
                                                                   : 0.0)
      .Add("dl_overhead_us", deadline_policy || policy == "scx_deadline"
                                 ? absl::GetFlag(FLAGS_dl_overhead_us)
                                 : 0)
      .Add("jobs", jobs)
      .Add("misses", misses)
      .Add("skipped", skipped)
      .Add("miss_ratio", jobs > 0 ? static_cast<double>(misses) / static_cast<double>(jobs) : 0.0)
      .Add("lateness_us", UsSummary(lateness))
      .Add("response_us", UsSummary(response));
  // JsonObject has no array-of-objects overload; splice the rendered rows in by hand.
  std::string line = ToJson(out);
  line.pop_back();
  line += ",\"per_task\":" + per_task + "}";
  fmt::print("{}\n", line);
  std::fflush(stdout);
  return 0;
}

// Parses "runtime_us:period_us[:deadline_us],...".
std::string ParseTasks(absl::string_view spec, std::vector<TaskSpec>* out) {
  for (absl::string_view entry : absl::StrSplit(spec, ',', absl::SkipWhitespace())) {
    entry = absl::StripAsciiWhitespace(entry);
    const std::string entry_s(entry);  // fmt 9 cannot format absl::string_view
    std::vector<absl::string_view> f = absl::StrSplit(entry, ':');
    int64_t runtime_us = 0, period_us = 0, deadline_us = 0;
    if ((f.size() != 2 && f.size() != 3) || !absl::SimpleAtoi(f[0], &runtime_us) ||
        !absl::SimpleAtoi(f[1], &period_us) ||
        (f.size() == 3 && !absl::SimpleAtoi(f[2], &deadline_us))) {
      return fmt::format("task '{}': expected runtime_us:period_us[:deadline_us] (integers)",
                         entry_s);
    }
    if (f.size() == 2) deadline_us = period_us;
    if (runtime_us < 1 || period_us > 10LL * 1000000) {
      return fmt::format("task '{}': need runtime_us >= 1 and period_us <= 10000000", entry_s);
    }
    if (!(runtime_us <= deadline_us && deadline_us <= period_us)) {
      return fmt::format("task '{}': need runtime <= deadline <= period, got {} / {} / {} us",
                         entry_s, runtime_us, deadline_us, period_us);
    }
    out->push_back({.runtime_ns = runtime_us * kNsPerUs,
                    .period_ns = period_us * kNsPerUs,
                    .deadline_ns = deadline_us * kNsPerUs});
  }
  if (out->empty()) return "--tasks is empty";
  if (out->size() > 1024) return "--tasks: at most 1024 tasks";
  return "";
}

}  // namespace
}  // namespace scxpp::workloads

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(scxpp::workloads::kUsage);
  std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  const int duration_s = absl::GetFlag(FLAGS_duration_s);
  const std::string policy = absl::GetFlag(FLAGS_policy);
  const int nice = absl::GetFlag(FLAGS_nice);
  const std::string overrun = absl::GetFlag(FLAGS_overrun);
  std::vector<scxpp::workloads::TaskSpec> tasks;
  std::string error;
  if (positional.size() > 1) {
    error = fmt::format("unexpected argument '{}'", positional[1]);
  } else if (duration_s <= 0 || duration_s > 86400) {
    error = fmt::format("--duration_s must be in 1..86400, got {}", duration_s);
  } else if (policy != "other" && policy != "deadline" && policy != "scx_deadline") {
    error = fmt::format("--policy must be other, deadline or scx_deadline, got '{}'", policy);
  } else if (nice < -20 || nice > 19) {
    error = fmt::format("--nice must be in -20..19, got {}", nice);
  } else if (nice != 0 && policy != "other") {
    error = "--nice applies to --policy=other only";
  } else {
    error = scxpp::workloads::ParseTasks(absl::GetFlag(FLAGS_tasks), &tasks);
  }
  if (error.empty() && !overrun.empty()) {
    std::vector<absl::string_view> f = absl::StrSplit(overrun, ':');
    int index = -1;
    double factor = 0;
    if (f.size() != 2 || !absl::SimpleAtoi(f[0], &index) || !absl::SimpleAtod(f[1], &factor) ||
        index < 0 || index >= static_cast<int>(tasks.size()) || !(factor > 0) || factor > 1000) {
      error = fmt::format(
          "--overrun must be index:factor with index in 0..{} and factor in "
          "(0, 1000], got '{}'",
          tasks.size() - 1, overrun);
    } else {
      tasks[index].overrun = factor;
    }
  }
  const double dl_slack = absl::GetFlag(FLAGS_dl_slack);
  if (error.empty() && !(dl_slack >= 0 && dl_slack <= 10)) {
    error = fmt::format("--dl_slack must be in 0..10, got {}", dl_slack);
  }
  const int dl_overhead_us = absl::GetFlag(FLAGS_dl_overhead_us);
  if (error.empty() && !(dl_overhead_us >= 0 && dl_overhead_us <= 1000000)) {
    error = fmt::format("--dl_overhead_us must be in 0..1000000, got {}", dl_overhead_us);
  }
  for (scxpp::workloads::TaskSpec& t : tasks) {
    t.reserved_ns = std::min<int64_t>(
        t.deadline_ns, static_cast<int64_t>(static_cast<double>(t.runtime_ns) * (1 + dl_slack)) +
                           int64_t{dl_overhead_us} * scxpp::workloads::kNsPerUs);
  }
  if (!error.empty()) {
    fmt::print(stderr, "scxpp_rt_taskset: {}\n", error);
    return 2;
  }
  // The nice value is per thread on Linux and inherited at creation: set it before the
  // task threads exist.
  if (nice != 0 && setpriority(PRIO_PROCESS, 0, nice) != 0) {
    fmt::print(stderr, "scxpp_rt_taskset: setpriority(nice={}): {}\n", nice, std::strerror(errno));
    return 1;
  }
  return scxpp::workloads::Run(tasks, policy == "deadline", policy, nice, duration_s);
}

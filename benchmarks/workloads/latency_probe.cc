// SPDX-License-Identifier: Apache-2.0
// scxpp_latency_probe: wakeup latency of periodic threads, the number an interactive or
// soft-real-time task feels. Each of N SCHED_OTHER threads sleeps to an absolute deadline,
// measures how late it actually ran, burns a fixed amount of CPU and sleeps to the next
// deadline. Run it alone to see a scheduler's idle-path latency, or next to
// scxpp_cpu_hogs to see how well the scheduler protects short sleepers from CPU hogs.
//
// Output: one JSON line on stdout (see kUsage), so a harness can collect runs from many
// schedulers without parsing prose. Diagnostics go to stderr.
#include <sched.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
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
#include "benchmarks/workloads/latency_stats.h"
#include "fmt/format.h"

ABSL_FLAG(int, threads, 4, "Number of periodic probe threads.");
ABSL_FLAG(int64_t, period_us, 1000, "Wakeup period of each thread, in microseconds.");
ABSL_FLAG(int64_t, work_us, 100,
          "CPU time each thread burns per period, in microseconds (0: wake and sleep).");
ABSL_FLAG(int, duration_s, 5, "How long to run, in seconds.");
ABSL_FLAG(int, nice, 0, "Nice value of the probe threads (-20..19; below 0 needs privilege).");
ABSL_FLAG(std::string, policy, "other",
          "Scheduling policy of the probe threads: other (SCHED_OTHER, what sched_ext or EEVDF "
          "schedules) or fifo (SCHED_FIFO priority 1, the kernel's RT class: a reference for "
          "the lowest latency the machine allows beside the same load; needs privilege).");

namespace scxpp::workloads {
namespace {

constexpr char kUsage[] =
    "Periodic-thread wakeup latency probe. Prints one JSON line:\n"
    "  {\"workload\":\"latency_probe\",\"threads\":N,...,\"lat_ns\":{\"p50\":..},"
    "\"hist_log2_ns\":[..],...}\n"
    "hist_log2_ns[i] counts wakeups that were [2^i, 2^(i+1)) ns late.\n"
    "wait_ns: per period, the time a thread sat runnable waiting for a CPU (schedstat\n"
    "run_delay): the scheduler's part of the lateness; the rest is the timer firing late.";

constexpr int64_t kNsPerUs = 1000;
// Burns `work_ns` of this thread's CPU time. Counting CPU time rather than wall time keeps
// the work per period fixed when the thread is preempted mid-burst, so a scheduler that
// preempts more does not get credited with a lighter load.
void BurnCpu(int64_t work_ns) {
  const int64_t start = NowNs(CLOCK_THREAD_CPUTIME_ID);
  uint64_t x = 1;
  while (NowNs(CLOCK_THREAD_CPUTIME_ID) - start < work_ns) {
    // Some arithmetic between clock reads: the thread CPU clock is a syscall, not vDSO.
    for (int i = 0; i < 256; ++i) {
      x = x * 6364136223846793005ULL + 1442695040888963407ULL;
      asm volatile("" : "+r"(x));
    }
  }
}

struct ProbeConfig {
  int threads;
  int64_t period_ns;
  int64_t work_ns;
  int duration_s;
};

struct ThreadResult {
  LatencyRecorder latency;
  Log2Histogram histogram;
  LatencyRecorder wait;  // per period: time runnable but not running (schedstat run_delay)
  bool has_wait = false;
  int64_t missed_periods = 0;
  CtxSwitches ctx;
  int64_t migrations = -1;
};

void ProbeThread(const ProbeConfig& config, std::latch& start_gate, const int64_t& start_ns,
                 ThreadResult& result) {
  start_gate.arrive_and_wait();  // start_ns is written before main arrives
  const int64_t end_ns = start_ns + int64_t{config.duration_s} * kNsPerSec;
  const auto periods = static_cast<size_t>(std::min<int64_t>(
      int64_t{config.duration_s} * kNsPerSec / config.period_ns + 1, int64_t{1} << 24));
  result.latency.Reserve(periods);

  RunDelayReader run_delay;
  result.has_wait = run_delay.Open();
  int64_t waited_before = run_delay.Read();
  if (result.has_wait) result.wait.Reserve(periods);

  int64_t intended = start_ns + config.period_ns;
  while (intended < end_ns) {
    SleepUntil(intended);
    const int64_t woke = NowNs(CLOCK_MONOTONIC);
    const int64_t late = woke - intended;
    result.latency.Record(late);
    result.histogram.Add(late);
    // What of the lateness was the scheduler's: how long the thread sat runnable since the
    // last period's wakeup (this wakeup's wait, and any preemption during the last burst).
    // The rest is the timer firing late: interrupt delivery, and under emulation the host.
    if (result.has_wait) {
      const int64_t waited = run_delay.Read();
      if (waited >= waited_before) result.wait.Record(waited - waited_before);
      waited_before = waited;
    }

    BurnCpu(config.work_ns);

    // Deadlines advance by exactly one period so lateness does not accumulate into drift.
    // A thread more than a whole period behind skips the periods it cannot catch up on
    // (counted as missed) instead of firing them back to back, which would record an
    // artificial burst of near-zero latencies.
    intended += config.period_ns;
    const int64_t behind = NowNs(CLOCK_MONOTONIC) - intended;
    if (behind > config.period_ns) {
      const int64_t skip = behind / config.period_ns;
      intended += skip * config.period_ns;
      result.missed_periods += skip;
    }
  }

  // The thread's procfs entry goes away when it exits, so read its counters now.
  const pid_t tid = gettid();
  result.ctx = ReadThreadCtxSwitches(tid);
  result.migrations = ReadThreadMigrations(tid);
}

int Run(const ProbeConfig& config) {
  std::vector<ThreadResult> results(config.threads);
  std::latch start_gate(config.threads + 1);
  int64_t start_ns = 0;
  std::vector<std::thread> threads;
  threads.reserve(config.threads);
  for (int i = 0; i < config.threads; ++i) {
    threads.emplace_back(ProbeThread, std::cref(config), std::ref(start_gate), std::cref(start_ns),
                         std::ref(results[i]));
  }
  start_ns = NowNs(CLOCK_MONOTONIC);
  start_gate.arrive_and_wait();
  for (std::thread& t : threads) t.join();

  LatencyRecorder latency;
  Log2Histogram histogram;
  LatencyRecorder wait;
  bool has_wait = true;
  int64_t missed = 0;
  std::vector<int64_t> vol, invol, migrations;
  for (const ThreadResult& r : results) {
    latency.Merge(r.latency);
    histogram.Merge(r.histogram);
    wait.Merge(r.wait);
    has_wait = has_wait && r.has_wait;
    missed += r.missed_periods;
    vol.push_back(r.ctx.voluntary);
    invol.push_back(r.ctx.involuntary);
    migrations.push_back(r.migrations);
  }
  const LatencySummary summary = latency.Summarize();

  JsonObject out;
  out.Add("workload", "latency_probe")
      .Add("threads", config.threads)
      .Add("period_us", config.period_ns / kNsPerUs)
      .Add("work_us", config.work_ns / kNsPerUs)
      .Add("duration_s", config.duration_s)
      .Add("nice", absl::GetFlag(FLAGS_nice))
      .Add("policy", absl::GetFlag(FLAGS_policy))
      .Add("samples", summary.count)
      .Add("missed_periods", missed)
      .Add("lat_ns", ToJsonObject(summary))
      .Add("hist_log2_ns", histogram.Trimmed());
  // Absent, not zero, when the kernel keeps no schedstat (CONFIG_SCHED_INFO off).
  if (has_wait) out.Add("wait_ns", ToJsonObject(wait.Summarize()));
  out.Add("ctx_vol", SumCounters(vol))
      .Add("ctx_invol", SumCounters(invol))
      .Add("migrations", SumCounters(migrations));
  fmt::print("{}\n", ToJson(out));
  std::fflush(stdout);
  return 0;
}

}  // namespace
}  // namespace scxpp::workloads

int main(int argc, char** argv) {
  using scxpp::workloads::kNsPerUs;
  absl::SetProgramUsageMessage(scxpp::workloads::kUsage);
  std::vector<char*> positional = absl::ParseCommandLine(argc, argv);

  const int threads = absl::GetFlag(FLAGS_threads);
  const int64_t period_us = absl::GetFlag(FLAGS_period_us);
  const int64_t work_us = absl::GetFlag(FLAGS_work_us);
  const int duration_s = absl::GetFlag(FLAGS_duration_s);
  const int nice = absl::GetFlag(FLAGS_nice);
  const std::string policy = absl::GetFlag(FLAGS_policy);
  std::string error;
  if (positional.size() > 1) {
    error = fmt::format("unexpected argument '{}'", positional[1]);
  } else if (threads <= 0 || threads > 4096) {
    error = fmt::format("--threads must be in 1..4096, got {}", threads);
  } else if (period_us <= 0 || period_us > 3600LL * 1000000) {
    error = fmt::format("--period_us must be in 1..3600000000, got {}", period_us);
  } else if (work_us < 0 || work_us >= period_us) {
    error =
        fmt::format("--work_us must be >= 0 and < --period_us ({}), got {}", period_us, work_us);
  } else if (duration_s <= 0 || duration_s > 86400) {
    error = fmt::format("--duration_s must be in 1..86400, got {}", duration_s);
  } else if (nice < -20 || nice > 19) {
    error = fmt::format("--nice must be in -20..19, got {}", nice);
  } else if (policy != "other" && policy != "fifo") {
    error = fmt::format("--policy must be other or fifo, got '{}'", policy);
  } else if (policy == "fifo" && nice != 0) {
    error = "--nice applies to --policy=other only";
  }
  if (!error.empty()) {
    fmt::print(stderr, "scxpp_latency_probe: {}\n", error);
    return 2;
  }

  // On Linux the nice value belongs to the thread and new threads inherit their creator's,
  // so setting it on the main thread before spawning covers every probe thread.
  if (nice != 0 && setpriority(PRIO_PROCESS, 0, nice) != 0) {
    fmt::print(stderr, "scxpp_latency_probe: setpriority(nice={}): {}\n", nice,
               std::strerror(errno));
    return 1;
  }
  // Policy, like nice, is inherited by threads created afterwards.
  if (policy == "fifo") {
    const sched_param param{.sched_priority = 1};
    if (sched_setscheduler(0, SCHED_FIFO, &param) != 0) {
      fmt::print(stderr, "scxpp_latency_probe: sched_setscheduler(SCHED_FIFO, 1): {}{}\n",
                 std::strerror(errno), errno == EPERM ? " (run as root or with CAP_SYS_NICE)" : "");
      return 1;
    }
  }

  return scxpp::workloads::Run({.threads = threads,
                                .period_ns = period_us * kNsPerUs,
                                .work_ns = work_us * kNsPerUs,
                                .duration_s = duration_s});
}

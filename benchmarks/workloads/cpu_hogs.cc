// SPDX-License-Identifier: Apache-2.0
// scxpp_cpu_hogs: N threads that never sleep, each counting fixed-size units of arithmetic.
// What a scheduler comparison reads from it: throughput (units per second), fairness
// between equal hogs (min_share: the slowest thread's units over the mean, 1.0 is perfect)
// and starvation (threads that made no progress for a whole one-second window, which a
// correct sched_ext scheduler must never allow and the watchdog eventually punishes).
//
// Output: one JSON line on stdout; diagnostics go to stderr.
#include <sched.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
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

ABSL_FLAG(int, threads, static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN)),
          "Number of hog threads (default: the number of online CPUs).");
ABSL_FLAG(int, duration_s, 5, "How long to run, in seconds.");

namespace scxpp::workloads {
namespace {

constexpr char kUsage[] =
    "CPU hog threads: throughput, fairness and starvation. Prints one JSON line:\n"
    "  {\"workload\":\"cpu_hogs\",\"threads\":N,...,\"min_share\":..,"
    "\"starved_threads\":..,\"idle_pct\":..,...}\n"
    "idle_pct is the machine's idle CPU time over the run, in percent (-1: unknown).\n"
    "units_per_second: the units of all threads in each second from start_boottime_ns\n"
    "(CLOCK_BOOTTIME, as /proc/uptime counts), to line the run up with events outside it.";

// One unit is ~50-100 us of work on current CPUs: short enough that the per-second
// progress marks are precise, long enough that reading the clock after each unit costs
// nothing measurable.
constexpr int kIterationsPerUnit = 64 * 1024;

// One unit of work: an LCG chain. Each step depends on the previous one, so the compiler
// cannot vectorise or fold it, and the empty asm keeps it from being computed in closed
// form.
uint64_t WorkUnit(uint64_t x) {
  for (int i = 0; i < kIterationsPerUnit; ++i) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    asm volatile("" : "+r"(x));
  }
  return x;
}

struct HogResult {
  int64_t units = 0;
  int64_t cpu_ns = 0;
  // units_at[k]: units completed when the thread first saw k whole seconds elapsed.
  std::vector<int64_t> units_at;
  CtxSwitches ctx;
  int64_t migrations = -1;
  int64_t migrations_at_start = -1;  // when the start gate opened: placement, not the run
  int cpu_at_start = -1;              // where it ran first after the gate opened
  int cpu_at_end = -1;
  uint64_t sink = 0;  // keeps the work observable
};

// True when some one-second window of the run shows no completed unit.
bool Starved(const HogResult& r) {
  for (size_t k = 0; k + 1 < r.units_at.size(); ++k) {
    if (r.units_at[k + 1] == r.units_at[k]) return true;
  }
  return false;
}

void HogThread(int duration_s, std::latch& start_gate, const int64_t& start_ns,
               const std::atomic<bool>& stop, HogResult& result) {
  result.units_at.assign(duration_s + 1, 0);
  start_gate.arrive_and_wait();  // start_ns is written before main arrives
  result.migrations_at_start = ReadThreadMigrations(gettid());
  result.cpu_at_start = sched_getcpu();
  const int64_t cpu_start = NowNs(CLOCK_THREAD_CPUTIME_ID);
  const int64_t end_ns = start_ns + int64_t{duration_s} * kNsPerSec;
  int next_mark = 1;  // units_at[0] is 0 by construction
  uint64_t x = static_cast<uint64_t>(start_ns) | 1;
  for (;;) {
    x = WorkUnit(x);
    ++result.units;
    const int64_t now = NowNs(CLOCK_MONOTONIC);
    // A thread that was not running across several boundaries fills them all with the
    // same count, which is exactly what makes its starvation visible.
    const int64_t elapsed_s = std::min<int64_t>((now - start_ns) / kNsPerSec, duration_s);
    for (; next_mark <= elapsed_s; ++next_mark) result.units_at[next_mark] = result.units;
    // The thread's own deadline ends the run precisely; the stop flag is the backstop.
    if (now >= end_ns || stop.load(std::memory_order_relaxed)) break;
  }
  // Stopped by the flag before the last mark: record what it had, so it is not mistaken
  // for starvation in windows that never happened for it.
  for (; next_mark <= duration_s; ++next_mark) result.units_at[next_mark] = result.units;
  result.cpu_ns = NowNs(CLOCK_THREAD_CPUTIME_ID) - cpu_start;
  result.sink = x;

  // The thread's procfs entry goes away when it exits, so read its counters now.
  const pid_t tid = gettid();
  result.ctx = ReadThreadCtxSwitches(tid);
  result.migrations = ReadThreadMigrations(tid);
  result.cpu_at_end = sched_getcpu();
}

int Run(int n, int duration_s) {
  std::vector<HogResult> results(n);
  std::latch start_gate(n + 1);
  std::atomic<bool> stop{false};
  int64_t start_ns = 0;
  std::vector<std::thread> threads;
  threads.reserve(n);
  for (int i = 0; i < n; ++i) {
    threads.emplace_back(HogThread, duration_s, std::ref(start_gate), std::cref(start_ns),
                         std::cref(stop), std::ref(results[i]));
  }
  const CpuTimes cpu_before = ReadCpuTimes();
  start_ns = NowNs(CLOCK_MONOTONIC);
  const int64_t start_boottime_ns = NowNs(CLOCK_BOOTTIME);
  start_gate.arrive_and_wait();
  const int64_t end_ns = start_ns + int64_t{duration_s} * kNsPerSec;
  timespec end_ts{.tv_sec = end_ns / kNsPerSec, .tv_nsec = end_ns % kNsPerSec};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &end_ts, nullptr) == EINTR) {
  }
  // Idle time over the timed span only: before the stop flag, while every hog still runs.
  const CpuTimes cpu_after = ReadCpuTimes();
  stop.store(true, std::memory_order_relaxed);
  for (std::thread& t : threads) t.join();
  // Threads finish their last unit after the deadline; rate over the real span.
  const double elapsed_s = static_cast<double>(NowNs(CLOCK_MONOTONIC) - start_ns) / kNsPerSec;

  int64_t total = 0;
  int64_t min_units = results.empty() ? 0 : results[0].units;
  int starved = 0;
  std::vector<int64_t> per_thread_units, vol, invol, migrations, migrations_at_start;
  std::vector<int64_t> cpu_at_start, cpu_at_end;
  std::vector<double> per_thread_cpu_ms;
  uint64_t sink = 0;
  for (const HogResult& r : results) {
    total += r.units;
    min_units = std::min(min_units, r.units);
    starved += Starved(r) ? 1 : 0;
    per_thread_units.push_back(r.units);
    per_thread_cpu_ms.push_back(static_cast<double>(r.cpu_ns / 1000) / 1000.0);
    vol.push_back(r.ctx.voluntary);
    invol.push_back(r.ctx.involuntary);
    migrations.push_back(r.migrations);
    migrations_at_start.push_back(r.migrations_at_start);
    cpu_at_start.push_back(r.cpu_at_start);
    cpu_at_end.push_back(r.cpu_at_end);
    sink ^= r.sink;
  }
  const double mean = static_cast<double>(total) / n;
  // Units done in each second of the run, all threads together: a scheduler attached or
  // detached mid-run (an interleaved comparison) shows in the seconds it was attached for.
  std::vector<int64_t> units_per_second(duration_s, 0);
  for (const HogResult& r : results) {
    for (int k = 0; k < duration_s; ++k) units_per_second[k] += r.units_at[k + 1] - r.units_at[k];
  }

  JsonObject out;
  out.Add("workload", "cpu_hogs")
      .Add("threads", n)
      .Add("duration_s", duration_s)
      .Add("units_total", total)
      .Add("units_per_s", static_cast<double>(total) / elapsed_s)
      .Add("per_thread_units", per_thread_units)
      .Add("per_thread_cpu_ms", per_thread_cpu_ms)
      .Add("min_share", mean > 0 ? static_cast<double>(min_units) / mean : 0.0)
      .Add("starved_threads", starved)
      .Add("ctx_vol", SumCounters(vol))
      .Add("ctx_invol", SumCounters(invol))
      .Add("migrations", SumCounters(migrations))
      .Add("migrations_at_start", SumCounters(migrations_at_start))
      .Add("per_thread_migrations", migrations)
      .Add("per_thread_cpu_at_start", cpu_at_start)
      .Add("per_thread_cpu_at_end", cpu_at_end)
      .Add("idle_pct", IdlePercent(cpu_before, cpu_after))
      .Add("start_boottime_ns", start_boottime_ns)
      .Add("units_per_second", units_per_second);
  fmt::print("{}\n", ToJson(out));
  std::fflush(stdout);
  // Print the sink only if it is impossible, so the work cannot be optimised away.
  if (sink == 0x5c5c5c5c5c5c5c5cULL) fmt::print(stderr, "sink\n");
  return 0;
}

}  // namespace
}  // namespace scxpp::workloads

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(scxpp::workloads::kUsage);
  std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  const int threads = absl::GetFlag(FLAGS_threads);
  const int duration_s = absl::GetFlag(FLAGS_duration_s);
  std::string error;
  if (positional.size() > 1) {
    error = fmt::format("unexpected argument '{}'", positional[1]);
  } else if (threads <= 0 || threads > 4096) {
    error = fmt::format("--threads must be in 1..4096, got {}", threads);
  } else if (duration_s <= 0 || duration_s > 86400) {
    error = fmt::format("--duration_s must be in 1..86400, got {}", duration_s);
  }
  if (!error.empty()) {
    fmt::print(stderr, "scxpp_cpu_hogs: {}\n", error);
    return 2;
  }
  return scxpp::workloads::Run(threads, duration_s);
}

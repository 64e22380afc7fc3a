// SPDX-License-Identifier: Apache-2.0
/// @file
/// Helpers shared by the workload programs that run inside the VM to compare schedulers:
/// a latency recorder with nearest-rank percentiles, a log2 histogram, a tiny ordered JSON
/// object (each workload prints exactly one JSON line, so the harness can parse it without
/// knowing the workload), and readers for the per-thread scheduler counters the kernel
/// exposes in procfs.
///
/// Everything except the Read* functions is pure, so it is unit-tested on the host.
#ifndef SCXPP_BENCHMARKS_WORKLOADS_LATENCY_STATS_H_
#define SCXPP_BENCHMARKS_WORKLOADS_LATENCY_STATS_H_

#include <sys/types.h>
#include <time.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace scxpp::workloads {

/// Nearest-rank percentile of `sorted` (ascending): the smallest sample such that at least
/// `percent`% of the samples are <= it, i.e. sorted[ceil(percent/100 * n) - 1]. The rank is
/// computed in integer parts-per-million so that p99.9 of 1..1000 is exactly 999 rather than
/// whatever 0.999 * 1000 rounds to in floating point. `percent` is clamped to [0, 100];
/// percent 0 gives the minimum. Returns 0 for an empty input.
int64_t NearestRankPercentile(const std::vector<int64_t>& sorted, double percent);

/// Summary of a set of latency samples, in the samples' unit (ns). All fields are 0 when
/// count is 0; ToJsonObject() renders that case as nulls so it cannot pass for "0 ns".
struct LatencySummary {
  int64_t count = 0;
  int64_t min = 0;
  int64_t max = 0;
  double mean = 0;
  int64_t p50 = 0;
  int64_t p90 = 0;
  int64_t p99 = 0;
  int64_t p999 = 0;
};

/// Stores every sample rather than a sketch: a 5 s run at 1 kHz per thread is a few
/// thousand samples, and exact tails are what a scheduler comparison looks at.
/// Not thread-safe; give each thread its own and Merge() after joining.
class LatencyRecorder {
 public:
  void Reserve(size_t n) { samples_.reserve(n); }
  void Record(int64_t ns) { samples_.push_back(ns); }
  void Merge(const LatencyRecorder& other);

  /// Sorts a copy, so recording may continue afterwards.
  LatencySummary Summarize() const;

  const std::vector<int64_t>& samples() const { return samples_; }

 private:
  std::vector<int64_t> samples_;
};

/// Histogram with power-of-two buckets: bucket i counts values in [2^i, 2^(i+1)) ns.
/// Values below 1 (0, or negative from a clock oddity) go to bucket 0 with the 1s, so that
/// no sample is dropped and the counts always sum to the number of samples.
class Log2Histogram {
 public:
  static constexpr int kBuckets = 63;  // 2^62 ns is ~146 years; int64 max lands in 62.

  /// Bucket index for `ns`: floor(log2(ns)) for ns >= 1, else 0.
  static int BucketFor(int64_t ns);

  void Add(int64_t ns) { ++buckets_[BucketFor(ns)]; }
  void Merge(const Log2Histogram& other);

  int64_t bucket(int i) const { return buckets_[i]; }
  int64_t total() const;

  /// Counts from bucket 0 up to the highest non-empty bucket (empty when no samples), so
  /// the JSON stays short but index i still means [2^i, 2^(i+1)).
  std::vector<int64_t> Trimmed() const;

 private:
  std::array<int64_t, kBuckets> buckets_{};
};

/// A JSON object whose keys keep insertion order, so every run of a workload prints its
/// fields in the same order and a human can diff two lines. Values are rendered when
/// added. Keys are not checked for duplicates.
class JsonObject {
 public:
  JsonObject& Add(absl::string_view key, int64_t value);
  JsonObject& Add(absl::string_view key, int value) { return Add(key, int64_t{value}); }
  /// Non-finite values render as null: JSON has no NaN or Infinity.
  JsonObject& Add(absl::string_view key, double value);
  JsonObject& Add(absl::string_view key, absl::string_view value);
  JsonObject& Add(absl::string_view key, const char* value) {
    return Add(key, absl::string_view(value));
  }
  JsonObject& Add(absl::string_view key, const std::vector<int64_t>& values);
  JsonObject& Add(absl::string_view key, const std::vector<double>& values);
  JsonObject& Add(absl::string_view key, const JsonObject& value);
  JsonObject& AddNull(absl::string_view key);

  const std::vector<std::pair<std::string, std::string>>& fields() const { return fields_; }

 private:
  JsonObject& AddRaw(absl::string_view key, std::string rendered);

  std::vector<std::pair<std::string, std::string>> fields_;  // key, rendered JSON value
};

/// Renders `object` on one line, with no trailing newline.
std::string ToJson(const JsonObject& object);

/// {"p50":..,"p90":..,"p99":..,"p999":..,"max":..,"mean":..}; every value is null when
/// the summary has no samples.
JsonObject ToJsonObject(const LatencySummary& summary);

/// Context switches; -1 in a field means the count was unavailable.
struct CtxSwitches {
  int64_t voluntary = -1;
  int64_t involuntary = -1;
};

/// The calling process's context switches from getrusage(RUSAGE_SELF): all its threads,
/// including ones that have exited.
CtxSwitches ReadProcessCtxSwitches();

/// Context switches of thread `tid` of this process, from
/// /proc/self/task/<tid>/status. A thread's entry disappears when it exits, so a thread
/// must read its own counters before returning.
CtxSwitches ReadThreadCtxSwitches(pid_t tid);

/// `se.nr_migrations` of thread `tid` of this process, from /proc/self/task/<tid>/sched.
/// That file exists only with CONFIG_SCHED_DEBUG; returns -1 when it is missing.
int64_t ReadThreadMigrations(pid_t tid);

/// The calling thread's run delay: nanoseconds it has spent runnable but waiting for a CPU
/// since it started (the second field of /proc/thread-self/schedstat; CONFIG_SCHED_INFO).
/// Open() once in the thread, then Read() as often as needed: one pread each.
class RunDelayReader {
 public:
  RunDelayReader() = default;
  ~RunDelayReader();
  RunDelayReader(const RunDelayReader&) = delete;
  RunDelayReader& operator=(const RunDelayReader&) = delete;

  /// Opens the calling thread's schedstat; false when the kernel has none.
  bool Open();
  /// The run delay so far in ns, or -1 when not open or unreadable.
  int64_t Read() const;

 private:
  int fd_ = -1;
};

/// Machine-wide CPU time from the "cpu" line of /proc/stat, in USER_HZ ticks.
struct CpuTimes {
  int64_t idle = -1;   ///< idle + iowait; -1 when unreadable
  int64_t total = -1;  ///< every field of the line (user .. steal)
};

/// Reads /proc/stat.
CpuTimes ReadCpuTimes();

/// Percent of CPU time spent idle between two readings (0..100), or -1 when either
/// reading failed or no time passed.
double IdlePercent(const CpuTimes& before, const CpuTimes& after);

/// Parsers behind the Read* functions, separated so they are testable on fixed text.
CpuTimes ParseProcStatCpu(absl::string_view proc_stat);
CtxSwitches ParseStatusCtxSwitches(absl::string_view status);
int64_t ParseSchedMigrations(absl::string_view sched);
/// "sum_exec_runtime run_delay pcount\n" -> run_delay, or -1 when malformed.
int64_t ParseSchedstatRunDelay(absl::string_view schedstat);

/// Sum of per-thread counters where -1 means unavailable: -1 if any input is -1 (a partial
/// sum would silently undercount), else the sum. 0 for no inputs.
int64_t SumCounters(const std::vector<int64_t>& values);

/// One cgroup of a tenant tree, for IdealCpuAllocation(). Nodes refer to their parent by
/// index; the tree's root (the benchmark's parent cgroup) is implicit.
struct ShareNode {
  int parent = -1;  ///< index of the parent node; -1 for a child of the implicit root
  double weight = 100;  ///< cpu.weight (the kernel's default is 100)
  /// Most CPUs this node can use by itself: for a leaf, min(runnable threads, cpu.max
  /// quota in CPUs) because one thread runs on at most one CPU; for an inner node its
  /// cpu.max quota, or +inf. A leaf with limit 0 has nothing runnable and gets nothing.
  double limit_cpus = std::numeric_limits<double>::infinity();
};

/// The CPUs each node receives under ideal hierarchical weighted fair sharing of
/// `capacity_cpus` (what cgroup v2's cpu.weight/cpu.max promise a CPU-bound load):
///
///   demand(leaf)  = limit(leaf)
///   demand(inner) = min(limit(inner), sum of its children's demands)
///   alloc(roots)  = WaterFill(children of the root, capacity_cpus)
///   alloc(kids of n) = WaterFill(children of n, alloc(n))
///
/// WaterFill(siblings, A) gives each sibling A * weight / (sum of the weights of the
/// siblings still competing); a sibling whose demand is below that gets exactly its demand
/// and leaves the competition, and what it did not take is split again among the rest by
/// weight, until no remaining sibling is demand-limited. Without caps and with enough
/// threads this is the familiar product of weight / sum(sibling weights) down the tree;
/// siblings with no runnable threads (demand 0) do not dilute the others; a capped
/// tenant gets min(cap, its weighted share) and its excess goes to its siblings.
/// Unused capacity (total demand below capacity_cpus) is left unallocated.
///
/// REQUIRES: every parent index is -1 or the index of another node, and parent links form
/// no cycle (nodes on a cycle get 0). Weights <= 0 are treated as not competing.
std::vector<double> IdealCpuAllocation(const std::vector<ShareNode>& nodes, double capacity_cpus);

/// Jain's fairness index (sum x)^2 / (n * sum x^2): 1 when all values are equal, 1/n when
/// one value holds everything. NaN (JSON null) for no values or all zeros.
double JainIndex(const std::vector<double>& values);

/// How far measured shares are from ideal ones (both fractions of the same total).
struct ShareComparison {
  std::vector<double> rel_err;  ///< |actual - ideal| / ideal; NaN where ideal <= 0
  double max_rel_err = 0;       ///< over entries with ideal > 0; NaN if there are none
  double jain = 0;              ///< JainIndex of actual / ideal over entries with ideal > 0
};

/// REQUIRES: actual.size() == ideal.size().
ShareComparison CompareShares(const std::vector<double>& actual, const std::vector<double>& ideal);

// Clocks shared by the workloads.
inline constexpr int64_t kNsPerSec = 1000000000;
// Now on `clock` (CLOCK_MONOTONIC, CLOCK_THREAD_CPUTIME_ID, ...) in ns.
int64_t NowNs(clockid_t clock);
// Sleeps until the absolute CLOCK_MONOTONIC time `deadline_ns`, retrying after signals.
void SleepUntil(int64_t deadline_ns);

}  // namespace scxpp::workloads

#endif  // SCXPP_BENCHMARKS_WORKLOADS_LATENCY_STATS_H_

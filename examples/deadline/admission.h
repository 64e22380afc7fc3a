// SPDX-License-Identifier: Apache-2.0
/// @file
/// Admission control for the deadline scheduler: task parameters, their validation, and the
/// schedulability test that decides whether a set of real-time tasks can be admitted.
///
/// The test is for *partitioned* EDF: every admitted task is bound to one CPU, and each CPU
/// runs its tasks earliest-deadline-first. A CPU's task set is schedulable iff the
/// processor-demand criterion holds (exact for preemptive uniprocessor EDF with sporadic tasks
/// and constrained deadlines, D <= T):
///
///     for every t > 0:  dbf(t) = sum_i max(0, floor((t - D_i) / T_i) + 1) * C_i  <=  c * t
///
/// where c is the share of each CPU admitted tasks may use (--capacity; the rest is kept for
/// best-effort work and for overheads). Only absolute deadlines t = k * T_i + D_i need checking,
/// up to the bound L = max(D_max, sum_i (T_i - D_i) * U_i / (c - U)) (Baruah, Rosier, Howell
/// 1990) when U < c; when that would take more than a million points, or U == c, the test falls
/// back to the density test sum_i C_i / D_i <= c, which is sufficient but not necessary.
///
/// Placement is a bin-packing heuristic: tasks are taken in decreasing density (C / D) and each
/// goes to the first CPU, in the order the policy gives, that stays schedulable: worst-fit (least
/// utilised CPU first: spreads the load, so every CPU keeps slack for jitter and best-effort
/// work; the default) or first-fit (lowest CPU id first: packs, leaving whole CPUs to
/// best-effort work). A set is admitted all or nothing.
///
/// Everything here is pure C++ and unit-tested on the host (tests/unit/deadline_admission_test.cc).
#ifndef SCXPP_EXAMPLES_DEADLINE_ADMISSION_H_
#define SCXPP_EXAMPLES_DEADLINE_ADMISSION_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace scxpp::deadline {

/// A real-time task's reservation, in nanoseconds: it may run `runtime` in every `period`, and
/// each job must finish within `deadline` of its release.
struct TaskParams {
  int64_t runtime_ns = 0;
  int64_t deadline_ns = 0;
  int64_t period_ns = 0;

  double Utilization() const { return static_cast<double>(runtime_ns) / period_ns; }
  double Density() const { return static_cast<double>(runtime_ns) / deadline_ns; }
  bool operator==(const TaskParams&) const = default;
};

/// Shortest runtime accepted: shorter budgets are below what the scheduler can enforce.
inline constexpr int64_t kMinRuntimeNs = 10'000;  // 10 us
/// Longest period accepted.
inline constexpr int64_t kMaxPeriodNs = 10'000'000'000;  // 10 s

/// Checks 10 us <= runtime <= deadline <= period <= 10 s.
/// @return OK, or kInvalidArgument saying which rule is broken, with the values.
absl::Status Validate(const TaskParams& p);

/// Parses one duration: a number with a unit (`ns`, `us`, `ms`, `s`), e.g. "500us", "2.5ms".
/// A bare number is refused: a unit is required so that "1000" is never misread.
/// @return nanoseconds, or kInvalidArgument.
absl::StatusOr<int64_t> ParseDuration(absl::string_view text);

/// Parses "runtime:period[:deadline]" (e.g. "2ms:10ms:5ms"; the deadline defaults to the period)
/// and validates it.
/// @return the parameters, or kInvalidArgument naming the field that is wrong.
absl::StatusOr<TaskParams> ParseTaskParams(absl::string_view spec);

/// "runtime/deadline/period" in microseconds, e.g. "2000/5000/10000us", for messages.
std::string FormatParams(const TaskParams& p);

/// Result of the exact uniprocessor EDF test.
struct DemandCheck {
  bool schedulable = true;
  /// When not schedulable: the interval length t where demand exceeds supply (0 when the
  /// utilisation alone is over: then `demand` and `supply` are utilisations).
  int64_t t_ns = 0;
  double demand = 0;  ///< dbf(t) in ns (or utilisation sum when t_ns == 0).
  double supply = 0;  ///< capacity * t in ns (or capacity when t_ns == 0).
  bool exact = true;  ///< False when the density fallback decided.
  /// How far over, as a fraction of supply: (demand - supply) / supply. 0 when schedulable.
  double Overload() const { return schedulable || supply <= 0 ? 0 : (demand - supply) / supply; }
};

/// Processor-demand test of `tasks` on one CPU of which `capacity` (0, 1] may be used. Exact
/// for arbitrary deadlines too (D > T, as jitter-analysed tasks may have).
/// REQUIRES: every task has 0 < runtime, deadline and period.
DemandCheck EdfDemandTest(const std::vector<TaskParams>& tasks, double capacity);

/// How tasks are assigned to CPUs.
enum class Placement { kWorstFit, kFirstFit };

/// Parses "worst-fit" or "first-fit".
absl::StatusOr<Placement> ParsePlacement(absl::string_view name);

/// One task to admit.
struct Request {
  int64_t id = 0;  ///< The caller's key (the thread id).
  TaskParams params;
  /// CPUs the task may run on (its affinity); empty means every CPU.
  std::vector<int> allowed_cpus;
};

/// The admitted task set and the CPUs it is partitioned onto. Not thread-safe.
class Admission {
 public:
  /// `cpus`: the CPUs admitted tasks may use; `capacity`: the share of each in (0, 1];
  /// `jitter`: the release-jitter tolerance as a fraction of the period, in [0, 0.5).
  /// REQUIRES: cpus not empty, 0 < capacity <= 1, 0 <= jitter < 0.5.
  Admission(std::vector<int> cpus, double capacity, Placement placement, double jitter = 0);

  /// The parameters the test analyses for `p`: (C, D, T - J).
  TaskParams Analysed(const TaskParams& p) const;
  /// J for a task of period `period_ns`.
  int64_t JitterNs(int64_t period_ns) const {
    return static_cast<int64_t>(static_cast<double>(period_ns) * jitter_);
  }

  /// Admits all of `set` or none of it (ids must be new and distinct).
  /// @return the CPU of each request, in order; kInvalidArgument for bad parameters or a
  ///         repeated id; kResourceExhausted when the set does not fit, with a message that
  ///         says by how much it is over (of the whole machine, or on the best CPU for the
  ///         task that did not fit).
  absl::StatusOr<std::vector<int>> AdmitSet(const std::vector<Request>& set);

  /// Forgets task `id`; false when it was not admitted.
  bool Release(int64_t id);

  /// Is `id` admitted?
  bool Contains(int64_t id) const { return cpu_of_.count(id) > 0; }
  /// Number of admitted tasks.
  size_t size() const { return cpu_of_.size(); }
  /// Sum of the utilisations admitted on `cpu` (of the analysed parameters).
  double Utilization(int cpu) const;
  /// The CPU `id` is bound to, or -1.
  int CpuOf(int64_t id) const;
  const std::vector<int>& cpus() const { return cpus_; }
  double capacity() const { return capacity_; }

 private:
  std::vector<int> cpus_;
  double capacity_;
  Placement placement_;
  double jitter_;
  std::map<int, std::map<int64_t, TaskParams>> on_cpu_;  // cpu -> id -> analysed params
  std::map<int64_t, int> cpu_of_;
};

}  // namespace scxpp::deadline

#endif  // SCXPP_EXAMPLES_DEADLINE_ADMISSION_H_

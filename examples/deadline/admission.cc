// SPDX-License-Identifier: Apache-2.0
#include "admission.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <queue>
#include <set>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace scxpp::deadline {
namespace {

// Most check points the exact test walks before it falls back to the density test.
constexpr double kMaxCheckPoints = 1e6;
constexpr double kEps = 1e-9;

std::string Us(int64_t ns) {
  return ns % 1000 == 0 ? absl::StrCat(ns / 1000) : absl::StrFormat("%.3f", ns / 1000.0);
}

}  // namespace

absl::Status Validate(const TaskParams& p) {
  if (p.runtime_ns < kMinRuntimeNs) {
    return absl::InvalidArgumentError(absl::StrCat(
        "runtime ", Us(p.runtime_ns), " us is below the minimum of ", Us(kMinRuntimeNs), " us"));
  }
  if (p.period_ns > kMaxPeriodNs) {
    return absl::InvalidArgumentError(
        absl::StrCat("period ", Us(p.period_ns), " us is above the maximum of 10 s"));
  }
  if (p.runtime_ns > p.deadline_ns) {
    return absl::InvalidArgumentError(
        absl::StrCat("runtime ", Us(p.runtime_ns), " us is longer than the deadline ",
                     Us(p.deadline_ns), " us; need runtime <= deadline"));
  }
  if (p.deadline_ns > p.period_ns) {
    return absl::InvalidArgumentError(
        absl::StrCat("deadline ", Us(p.deadline_ns), " us is longer than the period ",
                     Us(p.period_ns), " us; need deadline <= period"));
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> ParseDuration(absl::string_view text) {
  absl::string_view num = text;
  double scale = 0;
  if (absl::ConsumeSuffix(&num, "ns")) {
    scale = 1;
  } else if (absl::ConsumeSuffix(&num, "us")) {
    scale = 1e3;
  } else if (absl::ConsumeSuffix(&num, "ms")) {
    scale = 1e6;
  } else if (absl::ConsumeSuffix(&num, "s")) {
    scale = 1e9;
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "'", text, "' has no unit: write e.g. 500us, 2ms or 1s (units: ns, us, ms, s)"));
  }
  double v = 0;
  if (!absl::SimpleAtod(num, &v) || !std::isfinite(v) || v <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", text, "' is not a positive duration (e.g. 500us, 2ms, 1s)"));
  }
  const double ns = v * scale;
  if (ns > 1e15) return absl::InvalidArgumentError(absl::StrCat("'", text, "' is too long"));
  return static_cast<int64_t>(std::llround(ns));
}

absl::StatusOr<TaskParams> ParseTaskParams(absl::string_view spec) {
  std::vector<absl::string_view> f = absl::StrSplit(spec, ':');
  if (f.size() != 2 && f.size() != 3) {
    return absl::InvalidArgumentError(absl::StrCat(
        "'", spec, "': expected runtime:period[:deadline], e.g. 2ms:10ms or 2ms:10ms:5ms"));
  }
  static constexpr const char* kNames[] = {"runtime", "period", "deadline"};
  int64_t v[3] = {0, 0, 0};
  for (size_t i = 0; i < f.size(); ++i) {
    absl::StatusOr<int64_t> d = ParseDuration(f[i]);
    if (!d.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("'", spec, "': ", kNames[i], ": ", d.status().message()));
    }
    v[i] = *d;
  }
  TaskParams p{.runtime_ns = v[0], .deadline_ns = f.size() == 3 ? v[2] : v[1], .period_ns = v[1]};
  if (absl::Status s = Validate(p); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("'", spec, "': ", s.message()));
  }
  return p;
}

std::string FormatParams(const TaskParams& p) {
  return absl::StrCat(Us(p.runtime_ns), "/", Us(p.deadline_ns), "/", Us(p.period_ns),
                      "us (runtime/deadline/period)");
}

DemandCheck EdfDemandTest(const std::vector<TaskParams>& tasks, double capacity) {
  DemandCheck r;
  if (tasks.empty()) return r;
  double u = 0, density = 0, slack_sum = 0;
  int64_t d_max = 0;
  bool implicit = true;
  for (const TaskParams& t : tasks) {
    u += t.Utilization();
    density += t.Density();
    slack_sum += static_cast<double>(t.period_ns - t.deadline_ns) * t.Utilization();
    d_max = std::max(d_max, t.deadline_ns);
    implicit = implicit && t.deadline_ns == t.period_ns;
  }
  if (u > capacity + kEps) {
    r.schedulable = false;
    r.demand = u;
    r.supply = capacity;
    return r;
  }
  if (implicit) return r;  // U <= c is exact for implicit deadlines.

  double bound = std::numeric_limits<double>::infinity();
  if (u < capacity - kEps) bound = std::max<double>(d_max, slack_sum / (capacity - u));
  double points = 0;
  if (std::isfinite(bound)) {
    for (const TaskParams& t : tasks)
      points += std::floor((bound - t.deadline_ns) / t.period_ns) + 1;
  }
  if (!std::isfinite(bound) || points > kMaxCheckPoints) {
    r.exact = false;
    if (density > capacity + kEps) {
      r.schedulable = false;
      r.demand = density;
      r.supply = capacity;
    }
    return r;
  }

  // Walk the absolute deadlines in increasing order; dbf(t) grows by C_i at each deadline of i.
  using Next = std::pair<int64_t, size_t>;  // (deadline, task)
  std::priority_queue<Next, std::vector<Next>, std::greater<>> next;
  for (size_t i = 0; i < tasks.size(); ++i) next.push({tasks[i].deadline_ns, i});
  double demand = 0;
  while (!next.empty() && static_cast<double>(next.top().first) <= bound) {
    const int64_t t = next.top().first;
    while (!next.empty() && next.top().first == t) {
      const size_t i = next.top().second;
      next.pop();
      demand += static_cast<double>(tasks[i].runtime_ns);
      next.push({t + tasks[i].period_ns, i});
    }
    const double supply = capacity * static_cast<double>(t);
    if (demand > supply + kEps * static_cast<double>(t)) {
      r.schedulable = false;
      r.t_ns = t;
      r.demand = demand;
      r.supply = supply;
      return r;
    }
  }
  return r;
}

absl::StatusOr<Placement> ParsePlacement(absl::string_view name) {
  if (name == "worst-fit") return Placement::kWorstFit;
  if (name == "first-fit") return Placement::kFirstFit;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown placement '", name, "': use worst-fit or first-fit"));
}

Admission::Admission(std::vector<int> cpus, double capacity, Placement placement, double jitter)
    : cpus_(std::move(cpus)), capacity_(capacity), placement_(placement), jitter_(jitter) {
  std::sort(cpus_.begin(), cpus_.end());
  for (int c : cpus_) on_cpu_[c];
}

TaskParams Admission::Analysed(const TaskParams& p) const {
  TaskParams a = p;
  a.period_ns = p.period_ns - JitterNs(p.period_ns);  // > 0: jitter < 0.5
  return a;
}

double Admission::Utilization(int cpu) const {
  auto it = on_cpu_.find(cpu);
  if (it == on_cpu_.end()) return 0;
  double u = 0;
  for (const auto& [id, p] : it->second) u += p.Utilization();
  return u;
}

int Admission::CpuOf(int64_t id) const {
  auto it = cpu_of_.find(id);
  return it == cpu_of_.end() ? -1 : it->second;
}

bool Admission::Release(int64_t id) {
  auto it = cpu_of_.find(id);
  if (it == cpu_of_.end()) return false;
  on_cpu_[it->second].erase(id);
  cpu_of_.erase(it);
  return true;
}

absl::StatusOr<std::vector<int>> Admission::AdmitSet(const std::vector<Request>& set) {
  std::set<int64_t> ids;
  double set_u = 0;
  for (const Request& r : set) {
    if (absl::Status s = Validate(r.params); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("task ", r.id, ": ", s.message()));
    }
    if (cpu_of_.count(r.id) || !ids.insert(r.id).second) {
      return absl::InvalidArgumentError(absl::StrCat("task ", r.id, " is already admitted"));
    }
    set_u += Analysed(r.params).Utilization();
  }
  // The machine-wide view first: it says by how much a set is over in the simplest terms.
  double admitted_u = 0;
  for (int c : cpus_) admitted_u += Utilization(c);
  const double avail = capacity_ * static_cast<double>(cpus_.size());
  if (admitted_u + set_u > avail + kEps) {
    const double over = admitted_u + set_u - avail;
    return absl::ResourceExhaustedError(absl::StrFormat(
        "refused: the set needs %.3f CPUs (sum of runtime/period of %d tasks, periods less the "
        "jitter tolerance) on top of %.3f "
        "already admitted, but %d CPUs x capacity %.2f = %.3f are available: over by %.3f CPUs "
        "(%.1f%%)",
        set_u, static_cast<int>(set.size()), admitted_u, static_cast<int>(cpus_.size()), capacity_,
        avail, over, 100.0 * over / avail));
  }

  // Decreasing density; ties keep the caller's order.
  std::vector<size_t> order(set.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return set[a].params.Density() > set[b].params.Density();
  });
  std::map<int, std::vector<TaskParams>> trial;
  for (int c : cpus_) {
    for (const auto& [id, p] : on_cpu_[c]) trial[c].push_back(p);
  }
  auto trial_u = [&](int c) {
    double u = 0;
    for (const TaskParams& p : trial[c]) u += p.Utilization();
    return u;
  };
  std::vector<int> placed(set.size(), -1);
  for (size_t idx : order) {
    const Request& r = set[idx];
    std::vector<int> candidates;
    for (int c : cpus_) {
      if (r.allowed_cpus.empty() ||
          std::find(r.allowed_cpus.begin(), r.allowed_cpus.end(), c) != r.allowed_cpus.end()) {
        candidates.push_back(c);
      }
    }
    if (candidates.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "task ", r.id, ": its CPU affinity allows none of the CPUs the scheduler admits on"));
    }
    if (placement_ == Placement::kWorstFit) {
      std::stable_sort(candidates.begin(), candidates.end(),
                       [&](int a, int b) { return trial_u(a) < trial_u(b); });
    }
    DemandCheck best;
    int best_cpu = -1;
    for (int c : candidates) {
      std::vector<TaskParams> with = trial[c];
      with.push_back(Analysed(r.params));
      DemandCheck d = EdfDemandTest(with, capacity_);
      if (d.schedulable) {
        placed[idx] = c;
        trial[c] = std::move(with);
        break;
      }
      if (best_cpu < 0 || d.Overload() < best.Overload()) {
        best = d;
        best_cpu = c;
      }
    }
    if (placed[idx] < 0) {
      std::string why;
      if (best.t_ns == 0) {
        why = absl::StrFormat("%s would reach %.3f > capacity %.2f",
                              best.exact ? "utilisation" : "density", best.demand, best.supply);
      } else {
        why = absl::StrFormat(
            "within %s us its tasks would need up to %.0f us of CPU but capacity %.2f allows "
            "%.0f us",
            Us(best.t_ns), best.demand / 1000, capacity_, best.supply / 1000);
      }
      return absl::ResourceExhaustedError(absl::StrFormat(
          "refused: task %d (%s) fits on no CPU under partitioned EDF; on CPU %d, the closest, "
          "%s: over by %.1f%%",
          r.id, FormatParams(r.params), best_cpu, why, 100.0 * best.Overload()));
    }
  }
  for (size_t i = 0; i < set.size(); ++i) {
    on_cpu_[placed[i]][set[i].id] = Analysed(set[i].params);
    cpu_of_[set[i].id] = placed[i];
  }
  return placed;
}

}  // namespace scxpp::deadline

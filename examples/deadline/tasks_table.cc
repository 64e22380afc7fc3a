// SPDX-License-Identifier: Apache-2.0
// The deadline daemon's scxppctl table "tasks" (tasks_table.h): its fields and its handler.
#include "tasks_table.h"

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "admission.h"

namespace scxpp::deadline {
namespace {

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
      return absl::StrCat("admitted thread ", tid, " (", FormatParams(p), ") on CPU ", (*cpus)[0]);
    }
  }
  return absl::InvalidArgumentError("unknown operation");
}

}  // namespace

TableDesc TasksTable(Registry& reg) {
  return {"tasks",
          "real-time threads and their reservations (admission-tested)",
          KeyKind::kPid,
          TaskFields(),
          "",
          [&reg](TableOp op, const TableKey& key, const std::vector<uint64_t>& f) {
            return HandleTasks(reg, op, key, f);
          }};
}

}  // namespace scxpp::deadline

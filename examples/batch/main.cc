// SPDX-License-Identifier: Apache-2.0
// batch: throughput for AI/ML training and batch jobs. See batch.bpf.c for the policy.
#include <cstdint>
#include <cstdio>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "batch.skel.h"
#include "batch_intf.h"
#include "scxpp/control.h"
#include "scxpp/dsq_plan.h"
#include "scxpp/flags.h"
#include "scxpp/runner.h"
#include "scxpp/topology.h"

// Start values of the live tunables of the same names (see batch_intf.h for their ranges;
// `scxppctl set batch KEY VALUE` changes them while batch runs).
ABSL_FLAG(uint32_t, slice_us, 20000,
          "Slice of a nice-0 batch task (us); scaled by weight within [slice/8, slice*8].");
ABSL_FLAG(bool, interactive, true,
          "Escape hatch: serve tasks that sleep often and run briefly first.");
ABSL_FLAG(uint32_t, interactive_max_burst_us, 1000,
          "Most CPU time per wakeup (decaying average) of an interactive task, and its slice.");
ABSL_FLAG(uint32_t, preempt_after_us, 2000,
          "An interactive wakeup may end a batch slice only after it ran this long (us).");
ABSL_FLAG(uint32_t, cache_hot_us, 500,
          "A task that ran on another CPU less than this ago (us) is left there while it waits "
          "that long at most (its cache is there); 0 moves it at once.");

namespace {

absl::Status CheckFlags() {
  const uint32_t slice = absl::GetFlag(FLAGS_slice_us);
  const uint32_t burst = absl::GetFlag(FLAGS_interactive_max_burst_us);
  const uint32_t preempt_after = absl::GetFlag(FLAGS_preempt_after_us);
  if (slice < 1000 || slice > 1000000) {
    return absl::InvalidArgumentError(
        absl::StrCat("--slice_us=", slice, " is out of range: give 1000..1000000 (1 ms to 1 s)"));
  }
  if (burst < 50 || burst > slice) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--interactive_max_burst_us=", burst, " is out of range: give 50..--slice_us (", slice,
        ")"));
  }
  if (preempt_after > slice) {
    return absl::InvalidArgumentError(absl::StrCat("--preempt_after_us=", preempt_after,
                                                   " exceeds --slice_us=", slice,
                                                   ": a batch slice would never be cut short"));
  }
  return absl::OkStatus();
}

}  // namespace

int main(int argc, char** argv) {
  scxpp::ParseCommandLine(argc, argv, "long slices and cache-local queues for CPU-bound jobs");
  if (absl::Status s = CheckFlags(); !s.ok()) return scxpp::ReportStartError(s);
  absl::StatusOr<scxpp::Topology> topo = scxpp::Topology::FromSysfs();
  if (!topo.ok()) return scxpp::ReportStartError(topo.status());

  return scxpp::RunWithFlags<batch>(
      [&](batch& skel) -> absl::Status {
        auto* ro = skel.rodata;
        // Start values of the live tunables: the flags of the same names, range-checked.
        absl::StatusOr<scxpp::Tunables> t =
            scxpp::Tunables::Bind(skel.obj, SCXPP_TUNABLE_DESCS(BATCH_TUNABLES));
        if (!t.ok()) return t.status();
        if (absl::Status s = t->SetFromFlags(); !s.ok()) return s;
        if (absl::Status s = topo->FillBpf(ro->scxpp_topo); !s.ok()) {
          return s;
        }
        scxpp::SetRodata(
            ro->scxpp_dsq_plan,
            scxpp::MakeDsqPlan(*topo, {SCXPP_DSQ_CPU, SCXPP_DSQ_USER}, 0, /*nr_user=*/1));
        return absl::OkStatus();
      },
      scxpp::ControlSpec{SCXPP_STATS_DESCS(BATCH_STATS), SCXPP_TUNABLE_DESCS(BATCH_TUNABLES), {}});
}

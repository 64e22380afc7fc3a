// SPDX-License-Identifier: Apache-2.0
// batch: throughput for AI/ML training and batch jobs. See batch.bpf.c for the policy.
#include "batch.skel.h"
#include "batch_intf.h"
#include "scxpp/dsq_plan.h"
#include "scxpp/flags.h"
#include "scxpp/runner.h"
#include "scxpp/topology.h"
#include "scxpp/tunable_flags.h"

// --slice_us, --interactive, ...: the start values of the live tunables (batch_intf.h).
SCXPP_TUNABLE_FLAGS(BATCH_TUNABLES)

int main(int argc, char** argv) {
  scxpp::ParseCommandLine(argc, argv, "long slices and cache-local queues for CPU-bound jobs");
  absl::StatusOr<scxpp::Topology> topo = scxpp::Topology::FromSysfs();
  if (!topo.ok()) return scxpp::ReportStartError(topo.status());

  return scxpp::RunWithFlags<batch>(
      [&](batch& skel) -> absl::Status {
        scxpp::SetRodata(
            skel.rodata->scxpp_dsq_plan,
            scxpp::MakeDsqPlan(*topo, {SCXPP_DSQ_CPU, SCXPP_DSQ_USER}, 0, /*nr_user=*/1));
        return topo->FillBpf(skel.rodata->scxpp_topo);
      },
      scxpp::ControlSpec{SCXPP_STATS_DESCS(BATCH_STATS), SCXPP_TUNABLE_DESCS(BATCH_TUNABLES), {}});
}

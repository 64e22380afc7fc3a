// SPDX-License-Identifier: Apache-2.0
// testsched: the VM tests' scheduler with injectable faults (see testsched.bpf.c).
#include <cstring>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "badverifier.skel.h"
#include "scxpp/dsq_plan.h"
#include "scxpp/runner.h"
#include "scxpp/topology.h"
#include "testsched.skel.h"
#include "testsched_intf.h"

ABSL_FLAG(std::string, fault, "none", "none|error|stall|restart|init|bad_dsq|double_insert");
ABSL_FLAG(uint64_t, fault_after, 200, "dispatches before an error/restart fault fires");
ABSL_FLAG(std::string, stall_comm, "stallme", "comm of the tasks the stall fault strands");
ABSL_FLAG(uint64_t, guard_ms, 0,
          "> 0: a starvation guard runs tasks stranded for this long (ms; see --fault=stall)");
ABSL_FLAG(bool, bad_verifier, false, "load the object the verifier rejects instead");

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  if (absl::GetFlag(FLAGS_bad_verifier)) {
    return scxpp::RunWithFlags<badverifier>({}, {});
  }
  const std::string f = absl::GetFlag(FLAGS_fault);
  uint32_t fault = TESTSCHED_FAULT_NONE;
  if (f == "error") fault = TESTSCHED_FAULT_ERROR;
  else if (f == "stall") fault = TESTSCHED_FAULT_STALL;
  else if (f == "restart") fault = TESTSCHED_FAULT_RESTART;
  else if (f == "init") fault = TESTSCHED_FAULT_INIT;
  else if (f == "bad_dsq") fault = TESTSCHED_FAULT_BAD_DSQ;
  else if (f == "double_insert") fault = TESTSCHED_FAULT_DOUBLE_INSERT;
  else if (f != "none") {
    fprintf(stderr, "error: --fault=%s: use none|error|stall|restart|init|bad_dsq|double_insert\n",
            f.c_str());
    return scxpp::kExitStartFailed;
  }
  absl::StatusOr<scxpp::Topology> topo = scxpp::Topology::FromSysfs();
  if (!topo.ok()) return scxpp::internal::ReportStartError(topo.status());
  int starts = 0;
  return scxpp::RunWithFlags<testsched>(
      [&](testsched& skel) {
        // A restart fault fires on the first start only, so the restart is seen to work.
        skel.rodata->fault = (fault == TESTSCHED_FAULT_RESTART && starts > 0) ? 0 : fault;
        skel.rodata->fault_after = absl::GetFlag(FLAGS_fault_after);
        skel.rodata->guard_ms = absl::GetFlag(FLAGS_guard_ms);
        std::string comm = absl::GetFlag(FLAGS_stall_comm);
        strncpy(const_cast<char*>(skel.rodata->stall_comm), comm.c_str(), 15);
        const_cast<scxpp_dsq_plan&>(skel.rodata->scxpp_dsq_plan) = scxpp::MakeDsqPlan(
            *topo, {SCXPP_DSQ_SHARED, SCXPP_DSQ_CPU, SCXPP_DSQ_USER}, 0, /*nr_user=*/1);
        ++starts;
        return absl::OkStatus();
      },
      SCXPP_STATS_DESCS(TESTSCHED_STATS));
}

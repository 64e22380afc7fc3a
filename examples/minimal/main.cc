// SPDX-License-Identifier: Apache-2.0
// minimal: a sched_ext scheduler built on scxpp. See minimal.bpf.c for the policy.
//
// Everything else comes from scxpp::RunWithFlags(): the flags of the tunables list, checked
// before load; lifecycle, signals (SIGINT/SIGTERM detach), stats (--stats_interval,
// --stats_format), live control (scxppctl), exit reporting and restarts.
#include "minimal.skel.h"
#include "minimal_intf.h"
#include "scxpp/flags.h"
#include "scxpp/runner.h"
#include "scxpp/tunable_flags.h"

SCXPP_TUNABLE_FLAGS(MINIMAL_TUNABLES)

int main(int argc, char** argv) {
  scxpp::ParseCommandLine(argc, argv, "a global-FIFO sched_ext scheduler built on scxpp");
  return scxpp::RunWithFlags<minimal>(
      {}, {SCXPP_STATS_DESCS(MINIMAL_STATS), SCXPP_TUNABLE_DESCS(MINIMAL_TUNABLES), {}});
}

// SPDX-License-Identifier: Apache-2.0
// @name@: a sched_ext scheduler built on scxpp. See @name@.bpf.c for the policy.
//
// main() holds the scheduler's own flags, their validation, and the configure step that
// writes read-only data before load. Lifecycle, signals (SIGINT/SIGTERM detach), stats
// (--stats_interval, --stats_format), exit reporting and restarts come from
// scxpp::RunWithFlags().
#include <cstdint>
#include <cstdio>

#include "@name@.skel.h"
#include "@name@_intf.h"
#include "absl/flags/flag.h"
#include "scxpp/flags.h"
#include "scxpp/runner.h"

ABSL_FLAG(uint32_t, slice_us, 20000, "Time slice in microseconds (100..100000).");

int main(int argc, char** argv) {
  scxpp::ParseCommandLine(argc, argv, "a global-FIFO sched_ext scheduler built on scxpp");
  const uint32_t slice_us = absl::GetFlag(FLAGS_slice_us);
  if (slice_us < 100 || slice_us > 100000) {
    fprintf(stderr, "error: --slice_us=%u is out of range; use 100..100000\n", slice_us);
    return scxpp::kExitStartFailed;
  }
  return scxpp::RunWithFlags<@name@>(
      [&](@name@& skel) {
        skel.rodata->slice_ns = uint64_t{slice_us} * 1000;
        return absl::OkStatus();
      },
      SCXPP_STATS_DESCS(@NAME@_STATS));
}

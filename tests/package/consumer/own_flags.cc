// SPDX-License-Identifier: Apache-2.0
// ownflags: a program embedding scxpp that defines its own --verbose. scxpp defines its
// standard flags (--verbose, --stats_interval, ...) only in the object that RunWithFlags()
// and RunOptionsFromFlags() pull in; a program that fills RunOptions itself links the
// runner without them, so its own flags of the same names neither clash at link time nor
// abort at start ("flag defined more than once").
#include <cstdio>

#include "absl/flags/flag.h"
#include "pkgcheck.skel.h"
#include "pkgcheck_intf.h"
#include "scxpp/flags.h"
#include "scxpp/runner.h"

ABSL_FLAG(bool, verbose, false, "This program's own --verbose.");
ABSL_FLAG(bool, attach, false, "Attach pkgcheck with scxpp::Run() (root, a sched_ext kernel).");

int main(int argc, char** argv) {
  scxpp::ParseCommandLine(argc, argv, "embeds scxpp's runner and has flags of its own");
  std::printf("ownflags: --verbose=%s\n", absl::GetFlag(FLAGS_verbose) ? "true" : "false");
  if (!absl::GetFlag(FLAGS_attach)) return 0;
  scxpp::RunOptions options;
  options.verbose = absl::GetFlag(FLAGS_verbose);
  options.stats = SCXPP_STATS_DESCS(PKGCHECK_STATS);
  return scxpp::Run<pkgcheck>(&pkgcheck::open, {}, options);
}

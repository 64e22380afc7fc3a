// SPDX-License-Identifier: Apache-2.0
// pkgcheck: the package consumer tests' scheduler (see pkgcheck.bpf.c). Uses only what the
// installed package exports: the generated skeleton, scxpp/runner.h and Abseil's flags.
#include <cstdint>

#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "pkgcheck.skel.h"
#include "pkgcheck_intf.h"
#include "scxpp/runner.h"

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("pkgcheck: scxpp package consumer test scheduler");
  absl::ParseCommandLine(argc, argv);
  return scxpp::RunWithFlags<pkgcheck>(
      &pkgcheck__open_opts, [](pkgcheck&) { return absl::OkStatus(); },
      SCXPP_STATS_DESCS(PKGCHECK_STATS));
}

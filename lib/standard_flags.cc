// SPDX-License-Identifier: Apache-2.0
// The standard flags of scxpp programs. In an object of their own: a static link pulls it in
// only for a program that asks for them (RunWithFlags(), RunOptionsFromFlags()), so a
// program that embeds scxpp and fills RunOptions itself may define flags of the same names.
#include <string>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "scxpp/control.h"
#include "scxpp/runner.h"
#include "scxpp/stats.h"

ABSL_FLAG(absl::Duration, stats_interval, absl::Seconds(1),
          "How often to print the scheduler's stats (e.g. 500ms, 2s); 0 disables them.");
ABSL_FLAG(std::string, stats_format, "text",
          "Stats output: text (one line), table (aligned, for humans), json (JSON lines) or "
          "prometheus (text exposition format).");
ABSL_FLAG(std::string, stats_prometheus_file, "",
          "If set, rewrite this file atomically every interval with the stats in Prometheus "
          "format, for node-exporter's textfile collector (name it *.prom).");
ABSL_FLAG(bool, verbose, false,
          "Print libbpf's debug output, including the verifier log, and how many instructions "
          "the verifier walked for each program.");
ABSL_FLAG(std::string, control_root, scxpp::kDefaultControlRoot,
          "Publish the scheduler's stats, tunables and tables for scxppctl under "
          "<this>/<name> in bpffs while it runs (root-only); empty disables live control.");

namespace scxpp {

absl::StatusOr<RunOptions> RunOptionsFromFlags() {
  RunOptions o;
  o.stats_interval = absl::GetFlag(FLAGS_stats_interval);
  absl::StatusOr<StatsFormat> format = ParseStatsFormat(absl::GetFlag(FLAGS_stats_format));
  if (!format.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--stats_format: ", std::string(format.status().message())));
  }
  o.stats_format = *format;
  o.stats_prometheus_file = absl::GetFlag(FLAGS_stats_prometheus_file);
  o.verbose = absl::GetFlag(FLAGS_verbose);
  o.control_root = absl::GetFlag(FLAGS_control_root);
  return o;
}

}  // namespace scxpp

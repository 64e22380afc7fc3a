// SPDX-License-Identifier: Apache-2.0
#include "scxpp/flags.h"

#include <string>

#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"

namespace scxpp {

std::vector<char*> ParseCommandLine(int argc, char** argv, absl::string_view usage) {
  absl::FlagsUsageConfig config;
  // Abseil's own flags (--flagfile, --fromenv, ...) are defined under absl/; every other
  // file's flags are the program's or scxpp's runner's.
  config.contains_help_flags = [](absl::string_view file) {
    return !absl::StrContains(file, "absl/");
  };
  config.contains_helpshort_flags = config.contains_help_flags;
  absl::SetFlagsUsageConfig(config);
  absl::SetProgramUsageMessage(std::string(usage));
  return absl::ParseCommandLine(argc, argv);
}

}  // namespace scxpp

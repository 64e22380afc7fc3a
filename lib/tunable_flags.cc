// SPDX-License-Identifier: Apache-2.0
#include "scxpp/tunable_flags.h"

#include "absl/flags/commandlineflag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/str_cat.h"

namespace scxpp {

bool AbslParseFlag(absl::string_view text, TunableFlag* flag, std::string* error) {
  if (text.empty()) {
    *error = "give a value";
    return false;
  }
  flag->text = std::string(text);
  return true;
}

std::string AbslUnparseFlag(const TunableFlag& flag) { return flag.text; }

absl::Status TunablesFromFlags(std::vector<TunableDesc>& descs) {
  for (TunableDesc& d : descs) {
    const absl::CommandLineFlag* flag = absl::FindCommandLineFlag(d.name);
    if (flag == nullptr) continue;
    // Through the flag's text, whatever its type: a program may define a tunable's flag
    // itself (a bool, a uint32_t), and ParseTunableValue() reads "true" and "20000" alike.
    absl::StatusOr<uint64_t> v = ParseTunableValue(d, flag->CurrentValue());
    if (!v.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--", d.name, ": ", v.status().message()));
    }
    d.def = *v;
  }
  return absl::OkStatus();
}

}  // namespace scxpp

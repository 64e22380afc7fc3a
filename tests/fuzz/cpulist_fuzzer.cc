// SPDX-License-Identifier: Apache-2.0
// scxpp::ParseCpuList, which reads sysfs files (cpu/online, cache shared_cpu_list, node
// cpulist) and flags such as deadline's --cpus.
// Properties: an error is kInvalidArgument with a message; a success is sorted, distinct ids
// in [0, 65535]; the result written back as ranges parses to itself.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "fuzz_check.h"
#include "scxpp/topology.h"

namespace {

std::string AsRanges(const std::vector<int>& cpus) {
  std::string out;
  for (size_t i = 0; i < cpus.size();) {
    size_t j = i;
    while (j + 1 < cpus.size() && cpus[j + 1] == cpus[j] + 1) ++j;
    absl::StrAppend(&out, out.empty() ? "" : ",", cpus[i]);
    if (j > i) absl::StrAppend(&out, "-", cpus[j]);
    i = j + 1;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<std::vector<int>> cpus = scxpp::ParseCpuList(text);
  if (!cpus.ok()) {
    SCXPP_FUZZ_CHECK(cpus.status().code() == absl::StatusCode::kInvalidArgument, "%s",
                     cpus.status().ToString().c_str());
    SCXPP_FUZZ_CHECK(!cpus.status().message().empty(), "empty message");
    return 0;
  }
  for (size_t i = 0; i < cpus->size(); ++i) {
    const int c = (*cpus)[i];
    SCXPP_FUZZ_CHECK(c >= 0 && c <= 65535, "cpu %d", c);
    SCXPP_FUZZ_CHECK(i == 0 || (*cpus)[i - 1] < c, "not sorted and distinct at %zu", i);
  }
  const std::string again = AsRanges(*cpus);
  absl::StatusOr<std::vector<int>> reparsed = scxpp::ParseCpuList(again);
  SCXPP_FUZZ_CHECK(reparsed.ok() && *reparsed == *cpus, "'%s' does not read back",
                   again.c_str());
  return 0;
}

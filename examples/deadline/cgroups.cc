// SPDX-License-Identifier: Apache-2.0
// --cgroup rules (cgroups.h): reading a cgroup's threads and admitting the ones that join.
#include "cgroups.h"

#include <cstdio>
#include <fstream>

#include "absl/status/statusor.h"

namespace scxpp::deadline {

std::vector<int> CgroupThreads(const std::string& path) {
  std::vector<int> tids;
  std::ifstream in(path + "/cgroup.threads");
  int tid;
  while (in >> tid) tids.push_back(tid);
  return tids;
}

void AdmitNewCgroupThreads(Registry& reg, std::vector<CgroupRule>& rules) {
  for (CgroupRule& rule : rules) {
    for (int tid : CgroupThreads(rule.path)) {
      if (reg.Contains(tid) || rule.refused.count(tid)) continue;
      absl::StatusOr<std::vector<int>> placed = reg.Admit({{tid, rule.params}});
      if (placed.ok()) {
        std::printf("deadline: admitted thread %d of %s on CPU %d\n", tid, rule.path.c_str(),
                    (*placed)[0]);
      } else {
        rule.refused.insert(tid);
        std::printf("deadline: warning: thread %d of %s stays best-effort: %s\n", tid,
                    rule.path.c_str(), std::string(placed.status().message()).c_str());
      }
      std::fflush(stdout);
    }
  }
}

}  // namespace scxpp::deadline

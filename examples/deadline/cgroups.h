// SPDX-License-Identifier: Apache-2.0
// --cgroup rules: cgroup v2 directories whose threads the deadline daemon admits as they appear.
#ifndef SCXPP_EXAMPLES_DEADLINE_CGROUPS_H_
#define SCXPP_EXAMPLES_DEADLINE_CGROUPS_H_

#include <set>
#include <string>
#include <vector>

#include "admission.h"
#include "registry.h"

namespace scxpp::deadline {

// Every thread of `path`, each admitted with the same reservation.
struct CgroupRule {
  std::string path;
  TaskParams params;
  std::set<int> refused;  // Warned about once.
};

// Threads of a cgroup v2 directory.
std::vector<int> CgroupThreads(const std::string& path);

// Admits the threads that joined `rules`' cgroups since the last call; one that does not fit
// stays best-effort, with a warning (once).
void AdmitNewCgroupThreads(Registry& reg, std::vector<CgroupRule>& rules);

}  // namespace scxpp::deadline

#endif  // SCXPP_EXAMPLES_DEADLINE_CGROUPS_H_

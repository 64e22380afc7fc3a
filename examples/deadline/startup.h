// SPDX-License-Identifier: Apache-2.0
// The deadline daemon's flag values, parsed and checked before anything is loaded: the threads
// --task and --cgroup name, the cgroups to keep following, the --socket_group.
#ifndef SCXPP_EXAMPLES_DEADLINE_STARTUP_H_
#define SCXPP_EXAMPLES_DEADLINE_STARTUP_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cgroups.h"
#include "client.h"

namespace scxpp::deadline {

// What --task and --cgroup ask for at startup.
struct StartupSet {
  std::vector<Registration> threads;  // Admitted as one set (all or none).
  std::vector<CgroupRule> cgroups;    // Their threads now are in `threads` too.
};

// `tasks`: --task's values, TID:runtime:period[:deadline]; `cgroups`: --cgroup's values,
// PATH:runtime:period[:deadline].
// @return the set; kInvalidArgument naming the flag for a malformed value, a TID that is not
//         a positive integer, or a PATH that is not a cgroup v2 directory.
absl::StatusOr<StartupSet> ParseStartupSet(const std::vector<std::string>& tasks,
                                           const std::vector<std::string>& cgroups);

// --socket_group: a group name or number; empty: the daemon's own group.
absl::StatusOr<gid_t> ParseGroup(const std::string& spec);

}  // namespace scxpp::deadline

#endif  // SCXPP_EXAMPLES_DEADLINE_STARTUP_H_

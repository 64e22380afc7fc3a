// SPDX-License-Identifier: Apache-2.0
// fairshare's view of the cgroup2 tree: cgroup ids to paths, how many are live, the exit report.
#ifndef SCXPP_EXAMPLES_FAIRSHARE_CGROUPS_H_
#define SCXPP_EXAMPLES_FAIRSHARE_CGROUPS_H_

#include <cstdint>
#include <map>
#include <string>

#include "scxpp/scheduler.h"

namespace fairshare_impl {

// cgroup id (directory inode) -> path relative to the cgroup2 mount, "/" for the root.
std::map<uint64_t, std::string> CgroupPaths(const std::string& root);

// How many cgroups are live at and below `root`, from its cgroup.stat (no walk); -1 if
// unreadable.
long LiveCgroups(const std::string& root);

// The per-cgroup table at exit: cgroups that ran something or were throttled, named by their
// path under `cgroup_root` (where cgroup2 is mounted).
void Report(scxpp::SchedulerBase& s, const std::string& cgroup_root);

}  // namespace fairshare_impl

#endif  // SCXPP_EXAMPLES_FAIRSHARE_CGROUPS_H_

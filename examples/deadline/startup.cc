// SPDX-License-Identifier: Apache-2.0
// The deadline daemon's flag values (startup.h): --task, --cgroup and --socket_group.
#include "startup.h"

#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "admission.h"

namespace scxpp::deadline {
namespace {

// Splits "<head>:<reservation>" at the first ':' and parses the reservation.
absl::Status SplitSpec(const std::string& flag, const std::string& spec, std::string* head,
                       TaskParams* params) {
  const size_t colon = spec.find(':');
  if (colon == std::string::npos || colon == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": '", spec, "': expected ", flag == "--task" ? "TID" : "PATH",
                     ":runtime:period[:deadline], e.g. ",
                     flag == "--task" ? "1234" : "/sys/fs/cgroup/rt", ":2ms:10ms"));
  }
  *head = spec.substr(0, colon);
  absl::StatusOr<TaskParams> p = ParseTaskParams(spec.substr(colon + 1));
  if (!p.ok()) return absl::InvalidArgumentError(absl::StrCat(flag, ": ", p.status().message()));
  *params = *p;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<StartupSet> ParseStartupSet(const std::vector<std::string>& tasks,
                                           const std::vector<std::string>& cgroups) {
  StartupSet startup;
  for (const std::string& spec : tasks) {
    std::string head;
    Registration r;
    if (absl::Status s = SplitSpec("--task", spec, &head, &r.params); !s.ok()) return s;
    if (!absl::SimpleAtoi(head, &r.tid) || r.tid <= 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("--task: '", head, "' is not a thread id (a positive integer)"));
    }
    startup.threads.push_back(r);
  }
  for (const std::string& spec : cgroups) {
    CgroupRule rule;
    if (absl::Status s = SplitSpec("--cgroup", spec, &rule.path, &rule.params); !s.ok()) {
      return s;
    }
    struct stat st;
    if (stat((rule.path + "/cgroup.threads").c_str(), &st) != 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--cgroup: ", rule.path, " is not a cgroup v2 directory (no cgroup.threads)"));
    }
    for (int tid : CgroupThreads(rule.path)) startup.threads.push_back({tid, rule.params});
    startup.cgroups.push_back(std::move(rule));
  }
  return startup;
}

absl::StatusOr<gid_t> ParseGroup(const std::string& spec) {
  if (spec.empty()) return getgid();
  uint32_t gid = 0;
  if (absl::SimpleAtoi(spec, &gid)) return static_cast<gid_t>(gid);
  std::vector<char> buf(16384);
  group gr{};
  group* found = nullptr;
  if (getgrnam_r(spec.c_str(), &gr, buf.data(), buf.size(), &found) != 0 || found == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("--socket_group: no group '", spec,
                                                   "' (create it with `groupadd ", spec,
                                                   "`, or give a number)"));
  }
  return found->gr_gid;
}

}  // namespace scxpp::deadline

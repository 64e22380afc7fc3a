// SPDX-License-Identifier: Apache-2.0
// lowlat's explicit selectors: --pid, --comm and --cgroup, the tables scxppctl changes at
// run time (critical_pids, critical_comms, critical_cgroups), and following a --cgroup that
// is removed and made again.
#ifndef SCXPP_EXAMPLES_LOWLAT_SELECTORS_H_
#define SCXPP_EXAMPLES_LOWLAT_SELECTORS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "scxpp/control.h"

namespace selectors {

// The selector tables, published for `scxppctl table lowlat <table> add|remove|list KEY`.
std::vector<scxpp::TableDesc> Tables();

// Everything the flags select, validated before anything is loaded.
struct Selection {
  const char* flag;
  size_t table;  // Index in Tables().
  std::vector<scxpp::TableKey> keys;
  std::vector<std::vector<uint64_t>> fields;  // Per key; empty: the table's defaults.
};

// The flags' values (comma-separated lists, already split), validated before anything is
// loaded: --pid ids, --comm NAME[:UID|:any], --cgroup paths.
absl::StatusOr<std::vector<Selection>> ParseSelectors(const std::vector<std::string>& pids,
                                                      const std::vector<std::string>& comms,
                                                      const std::vector<std::string>& cgroups);

// Puts every selection into its table (RunHooks::loaded); an error names the flag.
absl::Status PutSelections(scxpp::SchedulerBase& s, const std::vector<Selection>& selections);

// A --cgroup selector is stored by cgroup id (the directory's inode); a cgroup removed and
// made again under the same path has a new id, and the old one would silently match
// nothing. Once a second the paths are checked: a new id replaces the old one in the table
// (said on stdout), a path that is gone is reported once. A selector removed with scxppctl
// is no longer followed.
class CgroupFollower {
 public:
  explicit CgroupFollower(const std::vector<std::string>& paths) {
    for (const std::string& p : paths) {
      absl::StatusOr<scxpp::TableKey> k = scxpp::ParseTableKey(scxpp::KeyKind::kCgroup, p);
      if (k.ok()) entries_.push_back({p, k->id, false});
    }
  }

  void Poll(scxpp::SchedulerBase& s);  // RunHooks::poll

 private:
  struct Entry {
    std::string path;
    uint64_t id;
    bool reported;
  };
  std::vector<Entry> entries_;
  unsigned polls_ = 0;
};

}  // namespace selectors

#endif  // SCXPP_EXAMPLES_LOWLAT_SELECTORS_H_

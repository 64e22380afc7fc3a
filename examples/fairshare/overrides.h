// SPDX-License-Identifier: Apache-2.0
// Overrides: the "tenants" table, a tenant's weight and cap changed while fairshare runs.
#ifndef SCXPP_EXAMPLES_FAIRSHARE_OVERRIDES_H_
#define SCXPP_EXAMPLES_FAIRSHARE_OVERRIDES_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "fairshare.skel.h"
#include "fairshare_intf.h"
#include "scxpp/control.h"

namespace fairshare_impl {

// Table "tenants": a tenant's weight and cap changed while fairshare runs, over its
// cpu.weight and cpu.max (`scxppctl table fairshare tenants add /sys/fs/cgroup/t1
// weight=300 quota_us=50000`). Checked here, applied by the BPF timer within 50 ms, kept
// across restarts.
class Overrides {
 public:
  // `cgroup_root`: where cgroup2 is mounted (--cgroup_root), for names in the list;
  // `bandwidth`: whether caps are enforced (--bandwidth).
  Overrides(std::string cgroup_root, bool bandwidth);

  static std::vector<scxpp::TunableDesc> Fields();

  void Bind(fairshare* skel) { skel_ = skel; }

  // The overrides into a freshly loaded scheduler (after a restart).
  absl::Status Reapply();

  absl::StatusOr<std::string> Handle(scxpp::TableOp op, const scxpp::TableKey& key,
                                     const std::vector<uint64_t>& f);

 private:
  absl::Status Write(uint64_t id, const fairshare_override& o);

  const std::string cgroup_root_;
  const bool bandwidth_;
  fairshare* skel_ = nullptr;
  std::map<uint64_t, fairshare_override> overrides_;
};

}  // namespace fairshare_impl

#endif  // SCXPP_EXAMPLES_FAIRSHARE_OVERRIDES_H_

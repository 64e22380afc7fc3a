// SPDX-License-Identifier: Apache-2.0
// Overrides: the "tenants" table, a tenant's weight and cap changed while fairshare runs.
#include "overrides.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <unistd.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "cgroups.h"

namespace fairshare_impl {
namespace {

// Whether the timer gave cgroup `id` a parking queue for its cap. It applies overrides
// every 50 ms at most; wait a little longer than that.
bool CapEnforced(bpf_map* cgroups, uint64_t id) {
  fairshare_cgroup c{};
  for (int i = 0; i < 30; ++i) {
    if (bpf_map_lookup_elem(bpf_map__fd(cgroups), &id, &c) == 0 && c.slot >= 0) return true;
    usleep(10'000);
  }
  return false;
}

}  // namespace

Overrides::Overrides(std::string cgroup_root, bool bandwidth)
    : cgroup_root_(std::move(cgroup_root)), bandwidth_(bandwidth) {}

std::vector<scxpp::TunableDesc> Overrides::Fields() {
  return {{"weight", "its weight instead of cpu.weight (0: cpu.weight)", 0, 0, 10000},
          {"quota_us", "CPU time per period instead of cpu.max (us; 0: cpu.max)", 0, 0, 1000000000},
          {"period_us", "the cap's period (us)", 100000, 1000, 1000000}};
}

absl::Status Overrides::Reapply() {
  for (const auto& [id, o] : overrides_) {
    if (absl::Status s = Write(id, o); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> Overrides::Handle(scxpp::TableOp op, const scxpp::TableKey& key,
                                              const std::vector<uint64_t>& f) {
  if (op == scxpp::TableOp::kList) {
    const std::map<uint64_t, std::string> paths = CgroupPaths(cgroup_root_);
    std::string out;
    for (const auto& [id, o] : overrides_) {
      auto p = paths.find(id);
      absl::StrAppend(&out, p != paths.end() ? p->second : absl::StrCat("cgroup:", id),
                      " weight=", o.weight, " quota_us=", o.quota_us, " period_us=", o.period_us,
                      "\n");
    }
    return out;
  }
  if (skel_ == nullptr) return absl::UnavailableError("fairshare is not loaded");
  fairshare_cgroup c{};
  bpf_map* cgroups = bpf_object__find_map_by_name(skel_->obj, "fairshare_cgroups");
  if (cgroups == nullptr || bpf_map_lookup_elem(bpf_map__fd(cgroups), &key.id, &c) != 0) {
    return absl::NotFoundError(
        absl::StrCat(key.ToString(), " is not a cgroup fairshare schedules"));
  }
  if (op == scxpp::TableOp::kRemove) {
    if (overrides_.erase(key.id) == 0) {
      return absl::NotFoundError(absl::StrCat(key.ToString(), " has no override"));
    }
    if (absl::Status s = Write(key.id, {}); !s.ok()) return s;
    return absl::StrCat(key.ToString(), ": back to cpu.weight ", c.cpu_weight, " and cpu.max");
  }
  fairshare_override o{};
  o.weight = static_cast<uint32_t>(f.size() > 0 ? f[0] : 0);
  o.quota_us = f.size() > 1 ? f[1] : 0;
  o.period_us = f.size() > 2 ? f[2] : 100000;
  if (o.quota_us != 0 && o.quota_us < 1000) {
    return absl::InvalidArgumentError("quota_us must be 0 (no override) or >= 1000");
  }
  if (o.quota_us != 0 && !bandwidth_) {
    return absl::FailedPreconditionError("caps are off (--bandwidth=false): only weight applies");
  }
  if (absl::Status s = Write(key.id, o); !s.ok()) return s;
  overrides_[key.id] = o;
  std::string done =
      absl::StrCat(key.ToString(), ": weight ", o.weight ? o.weight : c.cpu_weight,
                   o.quota_us ? absl::StrCat(", cap ", o.quota_us, "/", o.period_us, " us")
                              : std::string(", cap from cpu.max"));
  if (o.quota_us != 0 && !CapEnforced(cgroups, key.id)) {
    absl::StrAppend(&done,
                    "; warning: the cap is NOT enforced: every parking queue is taken "
                    "(FAIRSHARE_MAX_CAPPED) or the cgroup's delegated subtree has user_capped "
                    "capped cgroups (stats no_slot, user_no_slot)");
  }
  return done;
}

absl::Status Overrides::Write(uint64_t id, const fairshare_override& o) {
  bpf_map* map = bpf_object__find_map_by_name(skel_->obj, "fairshare_overrides");
  if (map == nullptr || bpf_map_update_elem(bpf_map__fd(map), &id, &o, BPF_ANY) != 0) {
    return absl::ResourceExhaustedError("cannot write the override (table full?)");
  }
  ++skel_->bss->override_gen;
  return absl::OkStatus();
}

}  // namespace fairshare_impl

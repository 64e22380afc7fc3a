// SPDX-License-Identifier: Apache-2.0
/// @file
/// The C++ half of the DSQ-id plan (see `scxpp/bpf/dsq_plan_common.h`): size a plan from the
/// topology before load, and read back how many tasks wait in each planned DSQ.
#ifndef SCXPP_DSQ_PLAN_H_
#define SCXPP_DSQ_PLAN_H_

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "scxpp/bpf/dsq_plan_common.h"
#include "scxpp/topology.h"

struct bpf_object;

namespace scxpp {

/// A plan with one DSQ for SCXPP_DSQ_SHARED, one per possible CPU id for SCXPP_DSQ_CPU, one
/// per LLC / NUMA node for SCXPP_DSQ_LLC / SCXPP_DSQ_NODE, `nr_tenants` for
/// SCXPP_DSQ_TENANT and `nr_user` for SCXPP_DSQ_USER — for each kind listed in `kinds`.
/// Write it to the scheduler's `rodata->scxpp_dsq_plan` in the configure step.
scxpp_dsq_plan MakeDsqPlan(const Topology& topology, std::initializer_list<scxpp_dsq_kind> kinds,
                           uint32_t nr_tenants = 0, uint32_t nr_user = 0);

/// "shared", "cpu", "llc", "node", "tenant", "user".
std::string DsqKindName(scxpp_dsq_kind kind);

/// The depth of one planned DSQ at the moment of reading.
struct DsqDepth {
  scxpp_dsq_kind kind;  ///< What the DSQ serves.
  uint32_t index;       ///< Its index within the kind.
  int32_t depth;        ///< Tasks queued (scx_bpf_dsq_nr_queued); negative: no such DSQ.
};

/// Samples every DSQ of the loaded scheduler's plan (its `scxpp_dsq_plan` rodata) by running
/// its SCXPP_DSQ_PLAN_DEFINE() SYSCALL program. Minimum kernel 6.12. Needs root.
/// @return the depths in plan order (at most SCXPP_MAX_PLAN_DSQS);
///         kNotFound if the object has no plan (no SCXPP_DSQ_PLAN_DEFINE());
///         kInternal if running the program or reading its map fails (errno in message).
absl::StatusOr<std::vector<DsqDepth>> ReadDsqDepths(const bpf_object* obj);

/// "shared:0=3 llc:0=1 llc:1=0" (only DSQs with tasks when `nonzero_only`).
std::string FormatDsqDepths(const std::vector<DsqDepth>& depths, bool nonzero_only);

}  // namespace scxpp

#endif  // SCXPP_DSQ_PLAN_H_

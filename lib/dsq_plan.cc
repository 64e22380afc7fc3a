// SPDX-License-Identifier: Apache-2.0
#include "scxpp/dsq_plan.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "lib/internal/global_var.h"

namespace scxpp {

scxpp_dsq_plan MakeDsqPlan(const Topology& topology, std::initializer_list<scxpp_dsq_kind> kinds,
                           uint32_t nr_tenants, uint32_t nr_user) {
  scxpp_dsq_plan plan{};
  for (scxpp_dsq_kind k : kinds) {
    switch (k) {
      case SCXPP_DSQ_SHARED: plan.nr[k] = 1; break;
      case SCXPP_DSQ_CPU: plan.nr[k] = static_cast<uint32_t>(topology.nr_cpu_ids()); break;
      case SCXPP_DSQ_LLC: plan.nr[k] = static_cast<uint32_t>(topology.nr_llcs()); break;
      case SCXPP_DSQ_NODE: plan.nr[k] = static_cast<uint32_t>(topology.nr_nodes()); break;
      case SCXPP_DSQ_TENANT: plan.nr[k] = nr_tenants; break;
      case SCXPP_DSQ_USER: plan.nr[k] = nr_user; break;
      default: break;
    }
  }
  return plan;
}

std::string DsqKindName(scxpp_dsq_kind kind) {
  switch (kind) {
    case SCXPP_DSQ_SHARED: return "shared";
    case SCXPP_DSQ_CPU: return "cpu";
    case SCXPP_DSQ_LLC: return "llc";
    case SCXPP_DSQ_NODE: return "node";
    case SCXPP_DSQ_TENANT: return "tenant";
    case SCXPP_DSQ_USER: return "user";
    default: break;
  }
  return absl::StrCat("kind", static_cast<int>(kind));
}

absl::StatusOr<std::vector<DsqDepth>> ReadDsqDepths(const bpf_object* obj) {
  internal::GlobalVar var = internal::FindGlobalVar(obj, SCXPP_DSQ_PLAN_VAR);
  const bpf_program* prog = bpf_object__find_program_by_name(obj, SCXPP_DSQ_DEPTHS_PROG);
  const bpf_map* map = bpf_object__find_map_by_name(obj, SCXPP_DSQ_DEPTHS_MAP);
  if (var.data == nullptr || var.size != sizeof(scxpp_dsq_plan) || prog == nullptr ||
      map == nullptr) {
    return absl::NotFoundError(absl::StrCat("DSQ depths: object '", bpf_object__name(obj),
                                            "' has no DSQ plan; use SCXPP_DSQ_PLAN_DEFINE()"));
  }
  scxpp_dsq_plan plan;
  memcpy(&plan, var.data, sizeof(plan));
  LIBBPF_OPTS(bpf_test_run_opts, opts);
  if (bpf_prog_test_run_opts(bpf_program__fd(prog), &opts) != 0) {
    return absl::InternalError(absl::StrCat("DSQ depths: running ", SCXPP_DSQ_DEPTHS_PROG,
                                            " failed: ", strerror(errno)));
  }
  std::vector<DsqDepth> out;
  uint32_t slot = 0;
  for (uint32_t kind = SCXPP_DSQ_SHARED; kind < SCXPP_DSQ_NR_KINDS; ++kind) {
    for (uint32_t i = 0; i < plan.nr[kind] && slot < opts.retval; ++i, ++slot) {
      int32_t depth = -1;
      if (bpf_map__lookup_elem(map, &slot, sizeof(slot), &depth, sizeof(depth), 0) != 0) {
        return absl::InternalError(
            absl::StrCat("DSQ depths: reading slot ", slot, " failed: ", strerror(errno)));
      }
      out.push_back({static_cast<scxpp_dsq_kind>(kind), i, depth});
    }
  }
  return out;
}

std::string FormatDsqDepths(const std::vector<DsqDepth>& depths, bool nonzero_only) {
  std::string out;
  for (const DsqDepth& d : depths) {
    if (nonzero_only && d.depth == 0) continue;
    absl::StrAppend(&out, out.empty() ? "" : " ", DsqKindName(d.kind), ":", d.index, "=",
                    d.depth);
  }
  return out;
}

}  // namespace scxpp

// SPDX-License-Identifier: Apache-2.0
// Fitting a scheduler's ops table to the running kernel.
#ifndef SCXPP_LIB_INTERNAL_OPS_COMPAT_H_
#define SCXPP_LIB_INTERNAL_OPS_COMPAT_H_

#include <string>
#include <vector>

struct bpf_map;
struct bpf_object;

namespace scxpp {
class KernelFeatures;
}

namespace scxpp::internal {

// A member of a struct_ops map's value, as the BPF object's BTF lays it out.
struct OpsField {
  void* data = nullptr;
  size_t size = 0;
};
OpsField FindOpsField(bpf_object* obj, bpf_map* ops_map, const char* field);

// Zeroes every ops field and callback that the object sets but `kernel`'s sched_ext_ops
// lacks (libbpf then skips them and does not load their programs). Returns one note per
// cleared member, e.g. "sched_ext_ops.cgroup_set_bandwidth (added in 6.17)".
std::vector<std::string> ClearOpsFieldsMissingIn(const KernelFeatures& kernel, bpf_object* obj,
                                                 bpf_map* ops_map);

}  // namespace scxpp::internal

#endif  // SCXPP_LIB_INTERNAL_OPS_COMPAT_H_

// SPDX-License-Identifier: Apache-2.0
#include "lib/internal/global_var.h"

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include <cstring>

namespace scxpp::internal {

GlobalVar FindGlobalVar(const bpf_object* obj, const char* name) {
  const btf* b = bpf_object__btf(obj);
  if (b == nullptr) return {};
  const bpf_map* map;
  bpf_object__for_each_map(map, obj) {
    if (!bpf_map__is_internal(map)) continue;
    // Internal maps are named "<obj>.rodata" etc.; their BTF DATASEC is ".rodata".
    const char* dot = strrchr(bpf_map__name(map), '.');
    if (dot == nullptr) continue;
    const __s32 sec_id = btf__find_by_name_kind(b, dot, BTF_KIND_DATASEC);
    if (sec_id <= 0) continue;
    const btf_type* sec = btf__type_by_id(b, sec_id);
    const btf_var_secinfo* vs = btf_var_secinfos(sec);
    for (int i = 0; i < btf_vlen(sec); ++i, ++vs) {
      const btf_type* var = btf__type_by_id(b, vs->type);
      if (strcmp(btf__name_by_offset(b, var->name_off), name) != 0) continue;
      size_t size = 0;
      auto* base = static_cast<char*>(bpf_map__initial_value(map, &size));
      if (base == nullptr || vs->offset + vs->size > size) return {};
      return {base + vs->offset, vs->size};
    }
  }
  return {};
}

}  // namespace scxpp::internal

// SPDX-License-Identifier: Apache-2.0
// Finding a BPF program's global variable (in .rodata, .data or .bss) by name through the
// object's BTF, so the library can read its own building blocks' variables in any skeleton.
#ifndef SCXPP_LIB_INTERNAL_GLOBAL_VAR_H_
#define SCXPP_LIB_INTERNAL_GLOBAL_VAR_H_

#include <cstddef>

struct bpf_object;

namespace scxpp::internal {

struct GlobalVar {
  void* data = nullptr;  // the map's userspace view (mmapped after load; rodata read-only)
  size_t size = 0;
};

GlobalVar FindGlobalVar(const bpf_object* obj, const char* name);

}  // namespace scxpp::internal

#endif  // SCXPP_LIB_INTERNAL_GLOBAL_VAR_H_

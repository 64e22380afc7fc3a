// SPDX-License-Identifier: Apache-2.0
#include "scxpp/features.h"

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace scxpp {

void KernelFeatures::BtfFree::operator()(struct btf* b) const { btf__free(b); }

absl::StatusOr<KernelFeatures> KernelFeatures::FromRunningKernel() {
  struct stat st;
  if (stat("/sys/kernel/btf/vmlinux", &st) != 0) {
    return absl::UnimplementedError(
        "this kernel has no BTF (/sys/kernel/btf/vmlinux is missing; CONFIG_DEBUG_INFO_BTF), "
        "which sched_ext needs");
  }
  struct btf* b = btf__load_vmlinux_btf();
  if (b == nullptr) {
    return absl::InternalError(
        absl::StrCat("cannot parse the kernel's BTF: ", strerror(errno)));
  }
  return KernelFeatures(b);
}

absl::StatusOr<KernelFeatures> KernelFeatures::FromFile(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    return absl::NotFoundError(absl::StrCat("BTF file ", path, ": ", strerror(errno)));
  }
  struct btf* b = btf__parse(path.c_str(), nullptr);
  if (b == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("BTF file ", path, " cannot be parsed: ", strerror(errno)));
  }
  return KernelFeatures(b);
}

bool KernelFeatures::HasSchedExt() const {
  return btf__find_by_name_kind(btf_.get(), "sched_ext_ops", BTF_KIND_STRUCT) > 0;
}

bool KernelFeatures::HasKfunc(std::string_view name) const {
  return btf__find_by_name_kind(btf_.get(), std::string(name).c_str(), BTF_KIND_FUNC) > 0;
}

bool KernelFeatures::HasStructField(std::string_view type, std::string_view field) const {
  const __s32 id = btf__find_by_name_kind(btf_.get(), std::string(type).c_str(), BTF_KIND_STRUCT);
  if (id <= 0) return false;
  const btf_type* t = btf__type_by_id(btf_.get(), id);
  const btf_member* m = btf_members(t);
  for (int i = 0; i < btf_vlen(t); ++i, ++m) {
    if (field == btf__name_by_offset(btf_.get(), m->name_off)) return true;
  }
  return false;
}

std::optional<uint64_t> KernelFeatures::EnumValue(std::string_view name) const {
  const __u32 n = btf__type_cnt(btf_.get());
  for (__u32 id = 1; id < n; ++id) {
    const btf_type* t = btf__type_by_id(btf_.get(), id);
    if (btf_is_enum(t)) {
      const struct btf_enum* e = btf_enum(t);
      for (int i = 0; i < btf_vlen(t); ++i, ++e) {
        if (name == btf__name_by_offset(btf_.get(), e->name_off)) {
          return static_cast<uint64_t>(static_cast<int64_t>(e->val));
        }
      }
    } else if (btf_is_enum64(t)) {
      const struct btf_enum64* e = btf_enum64(t);
      for (int i = 0; i < btf_vlen(t); ++i, ++e) {
        if (name == btf__name_by_offset(btf_.get(), e->name_off)) return btf_enum64_value(e);
      }
    }
  }
  return std::nullopt;
}

namespace {
absl::Status TooOld(std::string what, std::string_view since) {
  return absl::UnimplementedError(absl::StrCat(
      "this kernel lacks ", what,
      since.empty() ? "" : absl::StrCat(" (added in Linux ", std::string(since), ")"),
      "; run a newer sched_ext kernel (scripts/setup fetches the newest into the VM)"));
}
}  // namespace

absl::Status KernelFeatures::RequireKfunc(std::string_view name, std::string_view since) const {
  if (HasKfunc(name)) return absl::OkStatus();
  return TooOld(absl::StrCat("kfunc ", std::string(name)), since);
}

absl::Status KernelFeatures::RequireOpsField(std::string_view field) const {
  if (HasOpsField(field)) return absl::OkStatus();
  return TooOld(absl::StrCat("sched_ext_ops.", std::string(field)), OpsFieldSince(field));
}

std::string_view OpsFieldSince(std::string_view field) {
  struct Entry {
    std::string_view field, since;
  };
  static constexpr Entry kTable[] = {
      {"cgroup_set_bandwidth", "6.17"}, {"cgroup_set_idle", "6.19"},
      {"sub_attach", "7.1"},            {"sub_detach", "7.1"},
      {"sub_cgroup_id", "7.1"},         {"init_cids", "7.3"},
      {"cid_shard_size", "7.3"},        {"rescue_bandwidth_ppt", "7.3"},
      {"rescue_quantum_us", "7.3"},
  };
  for (const Entry& e : kTable) {
    if (e.field == field) return e.since;
  }
  return "";
}

}  // namespace scxpp

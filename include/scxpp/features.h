// SPDX-License-Identifier: Apache-2.0
/// @file
/// What a kernel's BTF says it offers: sched_ext itself, kfuncs, `sched_ext_ops` fields,
/// struct fields and enum values. Read from the running kernel (/sys/kernel/btf/vmlinux)
/// or from a BTF file, so the same questions can be asked on the host about any kernel.
#ifndef SCXPP_FEATURES_H_
#define SCXPP_FEATURES_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

struct btf;

namespace scxpp {

/// A kernel's type information. Move-only; owns the parsed BTF.
class KernelFeatures {
 public:
  /// The running kernel's BTF (/sys/kernel/btf/vmlinux, CONFIG_DEBUG_INFO_BTF).
  /// @return kUnimplemented if the kernel has no BTF (then it cannot run sched_ext either);
  ///         kInternal if it cannot be parsed.
  static absl::StatusOr<KernelFeatures> FromRunningKernel();
  /// BTF from a file: raw BTF (e.g. `.deps/kernel/<version>/vmlinux.btf` from scripts/setup)
  /// or an ELF vmlinux. kNotFound if the file is missing; kInvalidArgument if unparsable.
  static absl::StatusOr<KernelFeatures> FromFile(const std::string& path);

  /// Does the kernel have sched_ext (`struct sched_ext_ops`, Linux >= 6.12)?
  bool HasSchedExt() const;
  /// Is kfunc `name` present (a BTF FUNC of that name)? E.g. "scx_bpf_dsq_insert" (6.13+).
  bool HasKfunc(std::string_view name) const;
  /// Is `field` a member of the kernel's `struct sched_ext_ops`? E.g. "cgroup_set_bandwidth"
  /// (6.17+).
  bool HasOpsField(std::string_view field) const { return HasStructField("sched_ext_ops", field); }
  /// Is `field` a member of `struct <type>`?
  bool HasStructField(std::string_view type, std::string_view field) const;
  /// The value of enumerator `name` in any enum (e.g. "SCX_ENQ_HEAD"); nullopt if absent.
  std::optional<uint64_t> EnumValue(std::string_view name) const;

  /// OK if kfunc `name` exists; otherwise kUnimplemented with a message naming the kfunc
  /// and, when `since` is given, the kernel version that introduced it. For a scheduler's
  /// main() to refuse a too-old kernel before loading anything.
  absl::Status RequireKfunc(std::string_view name, std::string_view since = "") const;
  /// OK if `sched_ext_ops.<field>` exists; otherwise kUnimplemented naming the field and the
  /// version that added it (OpsFieldSince()).
  absl::Status RequireOpsField(std::string_view field) const;

  /// The parsed BTF (libbpf's type), valid while this object lives.
  const struct btf* btf() const { return btf_.get(); }

 private:
  struct BtfFree {
    void operator()(struct btf* b) const;
  };
  explicit KernelFeatures(struct btf* b) : btf_(b) {}
  std::unique_ptr<struct btf, BtfFree> btf_;
};

/// The first kernel version in which a `sched_ext_ops` field appeared, for messages
/// ("added in 6.17"); "" if not known (fields present since 6.12 or unknown ones).
std::string_view OpsFieldSince(std::string_view field);

}  // namespace scxpp

#endif  // SCXPP_FEATURES_H_

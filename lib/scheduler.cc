// SPDX-License-Identifier: Apache-2.0
#include "scxpp/scheduler.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "fmt/core.h"
#include "lib/internal/libbpf_errors.h"
#include "lib/internal/ops_compat.h"
#include "scxpp/features.h"
#include "scxpp/kernel.h"

namespace scxpp {
namespace internal {

OpsField FindOpsField(bpf_object* obj, bpf_map* ops_map, const char* field) {
  const btf* b = bpf_object__btf(obj);
  size_t value_size = 0;
  auto* base = static_cast<char*>(bpf_map__initial_value(ops_map, &value_size));
  if (b == nullptr || base == nullptr) return {};
  const btf_type* t = btf__type_by_id(b, bpf_map__btf_value_type_id(ops_map));
  if (t == nullptr || !btf_is_struct(t)) return {};
  const btf_member* m = btf_members(t);
  for (int i = 0; i < btf_vlen(t); ++i, ++m) {
    if (strcmp(btf__name_by_offset(b, m->name_off), field) != 0) continue;
    const size_t off = btf_member_bit_offset(t, i) / 8;
    const __s64 sz = btf__resolve_size(b, m->type);
    if (sz <= 0 || off + sz > value_size) return {};
    return {base + off, static_cast<size_t>(sz)};
  }
  return {};
}

std::vector<std::string> ClearOpsFieldsMissingIn(const KernelFeatures& kernel, bpf_object* obj,
                                                 bpf_map* ops_map) {
  std::vector<std::string> cleared;
  const btf* b = bpf_object__btf(obj);
  const btf_type* t = btf__type_by_id(b, bpf_map__btf_value_type_id(ops_map));
  if (t == nullptr || !btf_is_struct(t)) return cleared;
  const char* type_name = btf__name_by_offset(b, t->name_off);
  const btf_member* m = btf_members(t);
  for (int i = 0; i < btf_vlen(t); ++i, ++m) {
    const char* name = btf__name_by_offset(b, m->name_off);
    if (kernel.HasStructField(type_name, name)) continue;
    OpsField f = FindOpsField(obj, ops_map, name);
    if (f.data == nullptr) continue;
    const auto* bytes = static_cast<const unsigned char*>(f.data);
    bool zero = true;
    for (size_t j = 0; j < f.size; ++j) zero = zero && bytes[j] == 0;
    if (zero) continue;
    memset(f.data, 0, f.size);
    std::string_view since = OpsFieldSince(name);
    cleared.push_back(absl::StrCat(type_name, ".", name,
                                   since.empty() ? "" : absl::StrCat(" (added in ", std::string(since), ")")));
  }
  return cleared;
}

// How many instructions the verifier walked for each program (--verbose): a program near the
// 1M limit loads slowly and may be rejected by a kernel whose verifier looks further
// (docs/troubleshooting.md). verified_insns is reported from Linux 5.16.
void PrintVerifierWork(bpf_object* obj) {
  bpf_program* prog = nullptr;
  bpf_object__for_each_program(prog, obj) {
    const int fd = bpf_program__fd(prog);
    if (fd < 0) continue;  // not loaded (autoload off)
    bpf_prog_info info = {};
    uint32_t len = sizeof(info);
    if (bpf_prog_get_info_by_fd(fd, &info, &len) != 0) continue;
    fmt::print(stderr, "scxpp: verifier: {} walked {} instructions (limit 1000000)\n",
               bpf_program__name(prog), info.verified_insns);
  }
}

absl::StatusOr<void*> OpenSkeleton(void* (*open)(const bpf_object_open_opts*),
                                   const SchedulerOptions& options) {
  if (!options.skip_preflight) {
    // Cheapest and clearest first: a kernel without sched_ext, a busy sched_ext, then
    // privileges — each gets its own message before libbpf says anything obscure.
    Kernel kernel;
    if (absl::Status s = kernel.CheckCanAttach(); !s.ok()) return s;
    if (absl::Status s = CheckPrivileges(); !s.ok()) return s;
  }
  InstallLibbpfLogger(options.verbose);
  ClearLibbpfLog();
  errno = 0;
  void* skel = open(nullptr);
  if (skel == nullptr) return LibbpfError(errno ? -errno : -EINVAL, Step::kOpen, "skeleton");
  return skel;
}

void SchedulerCore::LinkDeleter::operator()(bpf_link* link) const {
  if (destroy != nullptr) {
    destroy(link);
  } else {
    bpf_link__destroy(link);
  }
}

SchedulerCore& SchedulerCore::operator=(SchedulerCore&& other) noexcept {
  if (this == &other) return *this;
  // Member-wise assignment would destroy the skeleton (the struct_ops map, the programs)
  // while its link still holds the scheduler attached.
  link_.reset();
  skel_ = std::move(other.skel_);
  obj_ = std::exchange(other.obj_, nullptr);
  skeleton_ = std::exchange(other.skeleton_, nullptr);
  ops_map_ = std::exchange(other.ops_map_, nullptr);
  name_ = std::move(other.name_);
  link_ = std::move(other.link_);
  stop_requested_ = std::exchange(other.stop_requested_, false);
  stop_reason_ = std::move(other.stop_reason_);
  return *this;
}

void SchedulerCore::RequestStop(std::string why) {
  stop_requested_ = true;
  stop_reason_ = std::move(why);
}

SchedulerCore::SchedulerCore(void* skel, DestroyFn destroy, bpf_object* obj)
    : skel_(skel, SkelDeleter{destroy}), obj_(obj), name_(bpf_object__name(obj)) {}

absl::Status SchedulerCore::Setup(const SchedulerOptions& options) {
  (void)options;
  bpf_map* map;
  bpf_object__for_each_map(map, obj_) {
    if (bpf_map__type(map) != BPF_MAP_TYPE_STRUCT_OPS) continue;
    if (ops_map_ != nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "open ", name_, ": more than one struct_ops map ('", bpf_map__name(ops_map_),
          "', '", bpf_map__name(map), "'); a scheduler object defines one ops table"));
    }
    ops_map_ = map;
  }
  if (ops_map_ == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "open ", name_, ": no struct_ops map; define the ops table with SCXPP_OPS_DEFINE()"));
  }
  if (OpsField f = FindOpsField(obj_, ops_map_, "name"); f.data != nullptr) {
    name_ = std::string(static_cast<const char*>(f.data), strnlen(static_cast<const char*>(f.data), f.size));
  }
  // The kernel compares ops.hotplug_seq with its own counter at enable time and asks for a
  // restart if a CPU came or went in between.
  if (OpsField f = FindOpsField(obj_, ops_map_, "hotplug_seq"); f.data != nullptr && f.size == 8) {
    const uint64_t seq = Kernel().HotplugSeq();
    memcpy(f.data, &seq, sizeof(seq));
  }
  // Drop what the running kernel's sched_ext_ops lacks (newer callbacks and fields), with a
  // note for each, so one object loads on every supported kernel.
  if (absl::StatusOr<KernelFeatures> kernel = KernelFeatures::FromRunningKernel(); kernel.ok()) {
    for (const std::string& field : ClearOpsFieldsMissingIn(*kernel, obj_, ops_map_)) {
      fmt::print(stderr, "scxpp: note: kernel {} has no {}; {} runs without it\n",
                 Kernel::Release(), field, name_);
    }
  }
  // Attach() attaches the ops map itself, after everything else.
  bpf_map__set_autoattach(ops_map_, false);
  return absl::OkStatus();
}

absl::Status SchedulerCore::Load(bpf_object_skeleton* skeleton) {
  ClearLibbpfLog();
  if (int err = bpf_object__load_skeleton(skeleton); err != 0) {
    return LibbpfError(err, Step::kLoad, name_);
  }
  skeleton_ = skeleton;
  if (LibbpfVerbose()) PrintVerifierWork(obj_);
  return absl::OkStatus();
}

absl::Status SchedulerCore::Attach() {
  if (link_ != nullptr) {
    return absl::FailedPreconditionError(absl::StrCat("attach ", name_, ": already attached"));
  }
  ClearLibbpfLog();
  // Non-struct_ops programs (tracing, timers) first, so they run when the scheduler starts.
  if (int err = bpf_object__attach_skeleton(skeleton_); err != 0) {
    return LibbpfError(err, Step::kAttach, name_);
  }
  errno = 0;
  bpf_link* link = bpf_map__attach_struct_ops(ops_map_);
  if (link == nullptr) {
    const int err = errno ? errno : EINVAL;
    absl::Status status = LibbpfError(-err, Step::kAttach, name_);
    // ops.init() failing or the scheduler erroring out while enabling leaves an exit record.
    if (absl::StatusOr<ExitInfo> exit = Exit(false); exit.ok() && exit->exited()) {
      return absl::Status(status.code(), absl::StrCat(status.message(),
                                                      "\nscheduler exited while enabling: ",
                                                      exit->Summary()));
    }
    return status;
  }
  link_.reset(link);
  return absl::OkStatus();
}

void SchedulerCore::Detach() { link_.reset(); }

absl::StatusOr<ExitInfo> SchedulerCore::Exit(bool with_dump) const {
  return ReadExitInfo(obj_, with_dump);
}

bool SchedulerCore::Exited() const {
  absl::StatusOr<ExitInfo> e = Exit(false);
  return e.ok() && e->exited();
}

}  // namespace internal
}  // namespace scxpp

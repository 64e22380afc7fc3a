// SPDX-License-Identifier: Apache-2.0
// Kernel features read from the BTF of the newest and the oldest sched_ext kernels that
// scripts/setup caches, and the ops-table fitting that makes one object load on both.
#include "scxpp/features.h"

#include <bpf/libbpf.h>

#include "compat_ops.skel.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/internal/ops_compat.h"

namespace scxpp {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

KernelFeatures Load(const char* path) {
  absl::StatusOr<KernelFeatures> f = KernelFeatures::FromFile(path);
  EXPECT_TRUE(f.ok()) << f.status() << " (run scripts/setup)";
  return *std::move(f);
}

TEST(FeaturesTest, NewestKernelHasTheRenamedKfuncsAndNewOps) {
  KernelFeatures k = Load(SCXPP_BTF_NEWEST);
  EXPECT_TRUE(k.HasSchedExt());
  EXPECT_TRUE(k.HasKfunc("scx_bpf_dsq_insert"));
  EXPECT_TRUE(k.HasKfunc("scx_bpf_dsq_move_to_local"));
  EXPECT_FALSE(k.HasKfunc("scx_bpf_dispatch"));  // the 6.12 name, removed since
  EXPECT_TRUE(k.HasOpsField("cgroup_set_bandwidth"));
  EXPECT_TRUE(k.HasOpsField("dispatch"));
  EXPECT_FALSE(k.HasOpsField("no_such_field"));
  EXPECT_EQ(k.EnumValue("SCX_DSQ_LOCAL"), (uint64_t{1} << 63) | 2);
  EXPECT_EQ(k.EnumValue("SCX_EXIT_ERROR_STALL"), 1026u);
  EXPECT_EQ(k.EnumValue("NO_SUCH_ENUMERATOR"), std::nullopt);
}

TEST(FeaturesTest, OldestKernelLacksNewerOps) {
  KernelFeatures k = Load(SCXPP_BTF_OLDEST);
  EXPECT_TRUE(k.HasSchedExt());
  EXPECT_TRUE(k.HasKfunc("scx_bpf_dsq_insert"));
  EXPECT_FALSE(k.HasOpsField("cgroup_set_bandwidth"));
  EXPECT_FALSE(k.HasOpsField("cgroup_set_idle"));
  EXPECT_FALSE(k.HasOpsField("rescue_quantum_us"));
  EXPECT_TRUE(k.HasOpsField("cgroup_set_weight"));
}

TEST(FeaturesTest, TooOldKernelIsNamedWithTheVersionNeeded) {
  KernelFeatures old = Load(SCXPP_BTF_OLDEST);
  absl::Status s = old.RequireOpsField("cgroup_set_bandwidth");
  EXPECT_EQ(s.code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(std::string(s.message()),
              ::testing::HasSubstr("sched_ext_ops.cgroup_set_bandwidth (added in Linux 6.17)"));
  s = old.RequireKfunc("scx_bpf_dsq_reenq", "7.1");
  EXPECT_EQ(s.code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(std::string(s.message()), ::testing::HasSubstr("kfunc scx_bpf_dsq_reenq (added in Linux 7.1)"));
  KernelFeatures now = Load(SCXPP_BTF_NEWEST);
  EXPECT_TRUE(now.RequireOpsField("cgroup_set_bandwidth").ok());
  EXPECT_TRUE(now.RequireKfunc("scx_bpf_dsq_reenq", "7.1").ok());
}

TEST(FeaturesTest, MissingFileIsNotFound) {
  EXPECT_EQ(KernelFeatures::FromFile("/nonexistent/vmlinux.btf").status().code(),
            absl::StatusCode::kNotFound);
}

struct SkelCloser {
  void operator()(compat_ops* s) const { compat_ops__destroy(s); }
};

TEST(OpsCompatTest, ClearsWhatTheOldestKernelLacksAndKeepsTheRest) {
  std::unique_ptr<compat_ops, SkelCloser> skel(compat_ops__open());
  ASSERT_NE(skel, nullptr);
  KernelFeatures k = Load(SCXPP_BTF_OLDEST);
  std::vector<std::string> cleared =
      internal::ClearOpsFieldsMissingIn(k, skel->obj, skel->maps.compat_ops);
  EXPECT_THAT(cleared, ElementsAre("sched_ext_ops.cgroup_set_bandwidth (added in 6.17)",
                                   "sched_ext_ops.cgroup_set_idle (added in 6.19)",
                                   "sched_ext_ops.rescue_quantum_us (added in 7.3)"));
  EXPECT_EQ(skel->struct_ops.compat_ops->cgroup_set_bandwidth, nullptr);
  EXPECT_EQ(skel->struct_ops.compat_ops->cgroup_set_idle, nullptr);
  EXPECT_EQ(skel->struct_ops.compat_ops->rescue_quantum_us, 0u);
  EXPECT_NE(skel->struct_ops.compat_ops->exit, nullptr);
  EXPECT_EQ(skel->struct_ops.compat_ops->timeout_ms, 5000u);
}

TEST(OpsCompatTest, NewestKernelNeedsNothingCleared) {
  std::unique_ptr<compat_ops, SkelCloser> skel(compat_ops__open());
  ASSERT_NE(skel, nullptr);
  KernelFeatures k = Load(SCXPP_BTF_NEWEST);
  EXPECT_THAT(internal::ClearOpsFieldsMissingIn(k, skel->obj, skel->maps.compat_ops), IsEmpty());
  EXPECT_NE(skel->struct_ops.compat_ops->cgroup_set_idle, nullptr);
  EXPECT_EQ(skel->struct_ops.compat_ops->rescue_quantum_us, 2000u);
}

}  // namespace
}  // namespace scxpp

// SPDX-License-Identifier: Apache-2.0
// The minimal example's BPF object, as scxpp_add_bpf_skeleton() built it, opened on the
// host (no load): the building blocks put the maps and ops fields the library relies on.
#include <bpf/libbpf.h>

#include "gtest/gtest.h"
#include "minimal.skel.h"
#include "minimal_intf.h"
#include "scxpp/bpf/exit_info_common.h"

namespace {

struct SkelCloser {
  void operator()(minimal* s) const { minimal__destroy(s); }
};

TEST(SkeletonTest, MinimalObjectHasScxppMapsAndOps) {
  std::unique_ptr<minimal, SkelCloser> skel(minimal__open());
  ASSERT_NE(skel, nullptr) << "minimal__open failed: errno " << errno;
  bpf_object* obj = skel->obj;

  const bpf_map* exit_map = bpf_object__find_map_by_name(obj, SCXPP_EXIT_INFO_MAP_NAME);
  ASSERT_NE(exit_map, nullptr);
  EXPECT_EQ(bpf_map__value_size(exit_map), sizeof(scxpp_exit_info));
  const bpf_map* dump_map = bpf_object__find_map_by_name(obj, SCXPP_EXIT_DUMP_MAP_NAME);
  ASSERT_NE(dump_map, nullptr);
  EXPECT_EQ(bpf_map__value_size(dump_map), static_cast<uint32_t>(SCXPP_EXIT_DUMP_LEN));

  const bpf_map* stats = bpf_object__find_map_by_name(obj, "scxpp_stats");
  ASSERT_NE(stats, nullptr);
  EXPECT_EQ(bpf_map__type(stats), BPF_MAP_TYPE_PERCPU_ARRAY);
  EXPECT_EQ(bpf_map__max_entries(stats), static_cast<uint32_t>(SCXPP_NR_STATS));

  // SCXPP_OPS_DEFINE sized the kernel's dump buffer to what scxpp_record_exit() copies.
  EXPECT_EQ(skel->struct_ops.minimal_ops->exit_dump_len, static_cast<uint32_t>(SCXPP_EXIT_DUMP_LEN));
  EXPECT_EQ(skel->rodata->slice_ns, 20'000'000u);
}

}  // namespace

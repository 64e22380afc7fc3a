// SPDX-License-Identifier: Apache-2.0
// The minimal example's BPF object, as scxpp_add_bpf_skeleton() built it, opened on the
// host (no load): the building blocks put the maps and ops fields the library relies on.
#include <bpf/libbpf.h>

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "minimal.skel.h"
#include "minimal_intf.h"
#include "scxpp/bpf/exit_info_common.h"
#include "scxpp/scheduler.h"

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
  // The tunables list's default, as SCXPP_TUNABLES() lays it out.
  EXPECT_EQ(skel->data_scxpp_tunables->scxpp_tunables[SCXPP_TUNABLE_SLICE_US], 20'000u);
}

// Move assignment must detach the scheduler it replaces before destroying that scheduler's
// skeleton (its struct_ops map and programs). A fake link records when it is destroyed; the
// skeleton is a real one, opened on the host.
std::vector<std::string> g_teardown;

void FakeLinkDestroy(bpf_link*) { g_teardown.push_back("link"); }
void RecordingSkelDestroy(void* p) {
  g_teardown.push_back("skel");
  minimal::destroy(static_cast<minimal*>(p));
}

class FakeAttachedScheduler : public scxpp::internal::SchedulerCore {
 public:
  explicit FakeAttachedScheduler(minimal* skel)
      : SchedulerCore(skel, &RecordingSkelDestroy, skel->obj) {
    static int fake_link;
    link_ = std::unique_ptr<bpf_link, LinkDeleter>(reinterpret_cast<bpf_link*>(&fake_link),
                                                   LinkDeleter{&FakeLinkDestroy});
  }
};

TEST(SchedulerTest, MoveAssignmentDetachesTheOldSchedulerBeforeDestroyingItsSkeleton) {
  minimal* first = minimal::open();
  minimal* second = minimal::open();
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  FakeAttachedScheduler a(first);
  FakeAttachedScheduler b(second);
  ASSERT_TRUE(a.attached());
  g_teardown.clear();
  a = std::move(b);
  EXPECT_EQ(g_teardown, (std::vector<std::string>{"link", "skel"}));
  EXPECT_TRUE(a.attached());  // b's link, now a's
  g_teardown.clear();
}

}  // namespace

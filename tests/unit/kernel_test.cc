// SPDX-License-Identifier: Apache-2.0
#include "scxpp/kernel.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace scxpp {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class FakeSysfs {
 public:
  // The pid too: ctest -j runs each test as its own process, all counting from 0.
  FakeSysfs()
      : root_(fs::path(::testing::TempDir()) /
              ("sysfs." + std::to_string(getpid()) + "." + std::to_string(counter_++))) {
    fs::remove_all(root_);
    fs::create_directories(root_ / "kernel");
  }
  ~FakeSysfs() { fs::remove_all(root_); }
  void Write(const std::string& rel, const std::string& content) {
    fs::path p = root_ / "kernel/sched_ext" / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << content;
  }
  std::string root() const { return root_.string(); }

 private:
  static inline int counter_ = 0;
  fs::path root_;
};

TEST(KernelTest, NoSchedExtIsUnimplementedWithAdvice) {
  FakeSysfs sys;
  Kernel k(sys.root());
  EXPECT_FALSE(k.HasSchedExt());
  absl::Status s = k.CheckCanAttach();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(std::string(s.message()), HasSubstr("CONFIG_SCHED_CLASS_EXT"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("scripts/vm-run"));
}

TEST(KernelTest, DisabledStateAllowsAttach) {
  FakeSysfs sys;
  sys.Write("state", "disabled\n");
  sys.Write("hotplug_seq", "17\n");
  Kernel k(sys.root());
  EXPECT_TRUE(k.HasSchedExt());
  EXPECT_EQ(*k.State(), SchedExtState::kDisabled);
  EXPECT_EQ(k.HotplugSeq(), 17u);
  EXPECT_TRUE(k.CheckCanAttach().ok());
}

TEST(KernelTest, AttachedSchedulerIsNamed) {
  FakeSysfs sys;
  sys.Write("state", "enabled\n");
  sys.Write("root/ops", "scx_other\n");
  Kernel k(sys.root());
  EXPECT_EQ(k.AttachedScheduler(), "scx_other");
  absl::Status s = k.CheckCanAttach();
  EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(std::string(s.message()), HasSubstr("'scx_other'"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("already attached"));
}

TEST(KernelTest, TransitionalStatesAreBusy) {
  FakeSysfs sys;
  for (const char* st : {"enabling", "disabling"}) {
    sys.Write("state", st);
    EXPECT_EQ(Kernel(sys.root()).CheckCanAttach().code(), absl::StatusCode::kAlreadyExists) << st;
  }
}

TEST(KernelTest, StateNamesRoundTrip) {
  EXPECT_EQ(SchedExtStateName(SchedExtState::kEnabled), "enabled");
  EXPECT_EQ(SchedExtStateName(SchedExtState::kUnknown), "unknown");
}

}  // namespace
}  // namespace scxpp

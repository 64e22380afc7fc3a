// SPDX-License-Identifier: Apache-2.0
// On a kernel without sched_ext (this project's build machines), a scheduler says so in one
// line, names the missing feature and points at the VM runner.
#include <sys/stat.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/util/subprocess.h"

namespace scxpp {
namespace {

using ::testing::HasSubstr;

TEST(NoSchedExtTest, SchedulerExplainsMissingSchedExt) {
  struct stat st;
  if (stat("/sys/kernel/sched_ext", &st) == 0) {
    GTEST_SKIP() << "this host has sched_ext; the VM tests cover loading here";
  }
  testing::RunResult r = testing::RunCommand({SCXPP_MINIMAL_BIN}, absl::Seconds(30));
  ASSERT_TRUE(r.status.has_value());
  EXPECT_EQ(*r.status, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("has no sched_ext"));
  EXPECT_THAT(r.output, HasSubstr("CONFIG_SCHED_CLASS_EXT"));
  EXPECT_THAT(r.output, HasSubstr("scripts/vm-run"));
  // One line: a user sees the reason, not a libbpf log.
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
}

}  // namespace
}  // namespace scxpp

// SPDX-License-Identifier: Apache-2.0
#include "scxpp/exit_info.h"

#include <cstring>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "scxpp/bpf/exit_info_common.h"

namespace scxpp {
namespace {

using ::testing::HasSubstr;

scxpp_exit_info Raw(int32_t kind, int64_t code, const char* reason, const char* msg) {
  scxpp_exit_info raw{};
  raw.kind = kind;
  raw.exit_code = code;
  raw.exit_cpu = -1;
  strncpy(raw.reason, reason, sizeof(raw.reason) - 1);
  strncpy(raw.msg, msg, sizeof(raw.msg) - 1);
  return raw;
}

TEST(ExitInfoTest, RunningSchedulerHasNotExited) {
  ExitInfo e = DecodeExitInfo(scxpp_exit_info{});
  EXPECT_FALSE(e.exited());
  EXPECT_FALSE(e.is_error());
  EXPECT_FALSE(e.should_restart());
}

TEST(ExitInfoTest, UnregisteredFromUserSpaceIsNotAnError) {
  ExitInfo e = DecodeExitInfo(Raw(64, 0, "unregistered from user space", ""));
  EXPECT_TRUE(e.exited());
  EXPECT_EQ(e.kind, ExitKind::kUnregistered);
  EXPECT_FALSE(e.is_error());
  EXPECT_EQ(e.Summary(), "unregistered: unregistered from user space");
}

TEST(ExitInfoTest, BpfErrorCarriesMessageAndCpu) {
  scxpp_exit_info raw = Raw(1025, 0, "scx_bpf_error", "minimal.bpf.c:42: bad dsq 7");
  raw.exit_cpu = 3;
  ExitInfo e = DecodeExitInfo(raw, "dump text");
  EXPECT_TRUE(e.is_error());
  EXPECT_EQ(e.kind, ExitKind::kErrorBpf);
  EXPECT_EQ(e.dump, "dump text");
  EXPECT_EQ(e.Summary(), "error (BPF): scx_bpf_error (minimal.bpf.c:42: bad dsq 7) on CPU 3");
}

TEST(ExitInfoTest, StallIsAnError) {
  ExitInfo e = DecodeExitInfo(Raw(1026, 0, "runnable task stall", "t[42] failed to run for 5s"));
  EXPECT_TRUE(e.is_error());
  EXPECT_THAT(e.Summary(), HasSubstr("error (stall)"));
}

TEST(ExitInfoTest, ExitCodeSplitsIntoActionReasonAndUser) {
  const int64_t code = kExitActionRestart | kExitReasonHotplug | 7;
  ExitInfo e = DecodeExitInfo(Raw(66, code, "hotplug event", ""));
  EXPECT_TRUE(e.should_restart());
  EXPECT_EQ(e.system_action(), 1);
  EXPECT_EQ(e.system_reason(), 1);
  EXPECT_EQ(e.user_code(), 7);
  EXPECT_THAT(e.Summary(), HasSubstr("restart requested (CPU hotplug)"));
}

TEST(ExitInfoTest, NegativeUserCodeSignExtends) {
  ExitInfo e = DecodeExitInfo(Raw(65, 0xffffffffLL, "", ""));
  EXPECT_EQ(e.user_code(), -1);
  EXPECT_FALSE(e.should_restart());
}

TEST(ExitInfoTest, UnterminatedFieldsAreBounded) {
  scxpp_exit_info raw{};
  raw.kind = 1024;
  memset(raw.reason, 'r', sizeof(raw.reason));
  memset(raw.msg, 'm', sizeof(raw.msg));
  ExitInfo e = DecodeExitInfo(raw);
  EXPECT_EQ(e.reason.size(), sizeof(raw.reason));
  EXPECT_EQ(e.message.size(), sizeof(raw.msg));
}

TEST(ExitInfoTest, UnknownKindIsNamed) {
  EXPECT_EQ(ExitKindName(static_cast<ExitKind>(4242)), "unknown(4242)");
}

}  // namespace
}  // namespace scxpp

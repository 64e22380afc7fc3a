// SPDX-License-Identifier: Apache-2.0
// The minimal scheduler, loaded into a real sched_ext kernel (run inside scripts/vm-run).
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/util/subprocess.h"

namespace scxpp {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::FinalStat;
using testing::ReadFileTrimmed;
using testing::SchedExtDisabled;
using testing::RunCommand;
using testing::Subprocess;
using testing::WaitUntil;

constexpr char kState[] = "/sys/kernel/sched_ext/state";
constexpr char kOps[] = "/sys/kernel/sched_ext/root/ops";

// "ext.enabled : 1" in /proc/<pid>/sched: the task is scheduled by sched_ext.
bool OnSchedExt(const std::string& pid) {
  std::string sched = ReadFileTrimmed("/proc/" + pid + "/sched");
  size_t pos = sched.find("ext.enabled");
  if (pos == std::string::npos) return false;
  size_t colon = sched.find(':', pos);
  return colon != std::string::npos && sched.find_first_not_of(" \t", colon + 1) != std::string::npos &&
         sched[sched.find_first_not_of(" \t", colon + 1)] == '1';
}

class MinimalVmTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(ReadFileTrimmed(kState), "disabled")
        << "a sched_ext scheduler is still attached from an earlier test";
  }
  void TearDown() override {
    // Whatever happened, leave the kernel with no scheduler attached for the next test.
    EXPECT_TRUE(WaitUntil([] { return ReadFileTrimmed(kState) == "disabled"; },
                          absl::Seconds(10)));
  }
};

TEST_F(MinimalVmTest, AttachesRunsWorkloadAndDetachesOnSigint) {
  Subprocess sched({SCXPP_MINIMAL_BIN, "--stats_interval=500ms"});
  ASSERT_TRUE(sched.WaitForOutput("attached", absl::Seconds(30))) << sched.output();

  EXPECT_EQ(ReadFileTrimmed(kState), "enabled");
  EXPECT_EQ(ReadFileTrimmed(kOps), "minimal");
  // Without SCX_OPS_SWITCH_PARTIAL every SCHED_OTHER task moves to sched_ext, this one too.
  EXPECT_TRUE(OnSchedExt("self")) << ReadFileTrimmed("/proc/self/sched");

  // A message-passing workload completes under the scheduler, and its tasks are on sched_ext.
  Subprocess bench({"/usr/bin/hackbench", "-g", "2", "-l", "200"});
  const std::string bench_pid = absl::StrCat(bench.pid());
  EXPECT_TRUE(OnSchedExt(bench_pid)) << ReadFileTrimmed("/proc/" + bench_pid + "/sched");
  std::optional<int> bench_status = bench.Wait(absl::Seconds(120));
  ASSERT_TRUE(bench_status.has_value()) << "hackbench did not finish";
  EXPECT_EQ(*bench_status, 0) << bench.output();
  EXPECT_THAT(bench.output(), HasSubstr("Time:"));
  EXPECT_EQ(ReadFileTrimmed(kState), "enabled") << "the scheduler was ejected during the workload";

  sched.Signal(SIGINT);
  std::optional<int> status = sched.Wait(absl::Seconds(30));
  ASSERT_TRUE(status.has_value()) << "minimal did not exit after SIGINT:\n" << sched.output();
  EXPECT_EQ(*status, 0) << sched.output();
  EXPECT_THAT(sched.output(), HasSubstr("unregistered from user space")) << sched.output();
  EXPECT_THAT(sched.output(), Not(HasSubstr("error")));
  // Tasks really went through the scheduler: its counters moved.
  EXPECT_GT(FinalStat(sched.output(), "queued") + FinalStat(sched.output(), "direct"), 100)
      << sched.output();
  EXPECT_GT(FinalStat(sched.output(), "dispatched"), 0) << sched.output();
  EXPECT_TRUE(WaitUntil([] { return ReadFileTrimmed(kState) == "disabled"; }, absl::Seconds(10)))
      << "state is " << ReadFileTrimmed(kState);
  EXPECT_FALSE(OnSchedExt("self"));
}

TEST_F(MinimalVmTest, SecondInstanceIsRefusedAsAlreadyAttached) {
  Subprocess first({SCXPP_MINIMAL_BIN, "--stats_interval=0"});
  ASSERT_TRUE(first.WaitForOutput("attached", absl::Seconds(30))) << first.output();

  testing::RunResult second = RunCommand({SCXPP_MINIMAL_BIN}, absl::Seconds(30));
  ASSERT_TRUE(second.status.has_value());
  EXPECT_EQ(*second.status, 2) << second.output;
  EXPECT_THAT(second.output, HasSubstr("already attached")) << second.output;
  EXPECT_THAT(second.output, HasSubstr("'minimal'")) << second.output;
  // The first one is unaffected.
  EXPECT_EQ(ReadFileTrimmed(kState), "enabled");

  first.Signal(SIGTERM);
  std::optional<int> status = first.Wait(absl::Seconds(30));
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(*status, 0) << first.output();
}

TEST_F(MinimalVmTest, RejectsBadFlagBeforeAttaching) {
  testing::RunResult r = RunCommand({SCXPP_MINIMAL_BIN, "--slice_us=0"}, absl::Seconds(30));
  ASSERT_TRUE(r.status.has_value());
  EXPECT_EQ(*r.status, 2);
  EXPECT_THAT(r.output, HasSubstr("--slice_us: 0 is out of range for slice_us (100..100000)"));
  EXPECT_EQ(ReadFileTrimmed(kState), "disabled");
}

// Under systemd (Type=notify, packaging/systemd): READY=1 is sent once the scheduler is
// attached, STOPPING=1 when it is asked to detach.
TEST_F(MinimalVmTest, TellsTheServiceManagerWhenAttachedAndWhenStopping) {
  const std::string path = "/tmp/notify.sock";
  unlink(path.c_str());
  const int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size());
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  // Everything that arrives within `timeout`, messages joined by '|'.
  auto receive = [fd](absl::Duration timeout) {
    std::string got;
    const absl::Time end = absl::Now() + timeout;
    while (absl::Now() < end) {
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      char buf[512];
      const ssize_t n = recv(fd, buf, sizeof(buf), 0);
      if (n > 0) absl::StrAppend(&got, got.empty() ? "" : "|", absl::string_view(buf, n));
    }
    return got;
  };
  setenv("NOTIFY_SOCKET", path.c_str(), 1);
  Subprocess sched({SCXPP_MINIMAL_BIN, "--stats_interval=0"});
  unsetenv("NOTIFY_SOCKET");
  ASSERT_TRUE(sched.WaitForOutput("attached", absl::Seconds(30))) << sched.output();
  EXPECT_THAT(receive(absl::Seconds(1)),
              HasSubstr("READY=1\nSTATUS=scheduler 'minimal' attached"));
  sched.Signal(SIGINT);
  std::optional<int> status = sched.Wait(absl::Seconds(30));
  EXPECT_EQ(status, 0) << sched.output();
  EXPECT_THAT(receive(absl::Milliseconds(200)), HasSubstr("STOPPING=1"));
  close(fd);
  unlink(path.c_str());
}

}  // namespace
}  // namespace scxpp

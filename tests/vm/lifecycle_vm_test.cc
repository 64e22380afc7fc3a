// SPDX-License-Identifier: Apache-2.0
// The library's lifecycle against a real sched_ext kernel: how schedulers end (BPF error,
// watchdog stall, restart request, failed init, verifier rejection, missing privilege),
// and that attach/detach cycles leak nothing. Runs inside scripts/vm-run.
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "scxpp/dsq_plan.h"
#include "scxpp/scheduler.h"
#include "scxpp/topology.h"
#include "testsched.skel.h"
#include "tests/util/subprocess.h"

namespace scxpp {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::ReadFileTrimmed;
using testing::SchedExtDisabled;
using testing::RunCommand;
using testing::Subprocess;
using testing::WaitUntil;

constexpr char kState[] = "/sys/kernel/sched_ext/state";

// A child that renames itself "stallme" (the comm testsched's stall fault strands) and then
// counts, writing a byte to pipefd[1] every `every` counts. Returns its pid; closes the
// write end in the parent.
pid_t SpawnStallme(int pipefd[2], unsigned long every) {
  const pid_t pid = fork();
  if (pid == 0) {
    close(pipefd[0]);
    prctl(PR_SET_NAME, "stallme");
    usleep(1000);  // sleep once so the wakeup goes through the scheduler under the new name
    for (unsigned long n = 0;; ++n) {
      if (n % every == 0) (void)!write(pipefd[1], "x", 1);
    }
  }
  close(pipefd[1]);
  return pid;
}

class LifecycleVmTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(SchedExtDisabled()) << "a scheduler is still attached"; }
  void TearDown() override { EXPECT_TRUE(WaitUntil(SchedExtDisabled, absl::Seconds(10))); }
};

TEST_F(LifecycleVmTest, BpfErrorSurfacesInExitInfoAndExitStatus) {
  Subprocess sched({SCXPP_TESTSCHED_BIN, "--fault=error", "--fault_after=50", "--stats_interval=0"});
  // Load makes dispatches happen; hackbench guarantees plenty.
  testing::RunResult bench = RunCommand({"/usr/bin/hackbench", "-g", "1", "-l", "100"},
                                        absl::Seconds(120));
  EXPECT_EQ(bench.status, 0) << "a workload must survive its scheduler's death: " << bench.output;
  std::optional<int> status = sched.Wait(absl::Seconds(60));
  ASSERT_TRUE(status.has_value()) << sched.output();
  EXPECT_EQ(*status, 1) << sched.output();
  EXPECT_THAT(sched.output(), HasSubstr("error (BPF)"));
  EXPECT_THAT(sched.output(), HasSubstr("injected error after 50 dispatches"));
}

// The kernel selftests' misuse cases (ddsp_bogus_dsq, select_cpu_dispatch_dbl_dsp) through
// scxpp's building blocks: a scheduler that inserts into a DSQ it never created, or inserts
// a task twice, is ejected with the kernel's own words for it in the exit report (a
// "runtime error": the kernel caught it, not the BPF program's own scx_bpf_error()) and a
// non-zero status, while the workload finishes under the default scheduler; not a hang.
struct MisuseCase {
  const char* fault;
  const char* kernel_says;
};

void PrintTo(const MisuseCase& c, std::ostream* os) { *os << c.fault; }

class BuildingBlockMisuseVmTest : public ::testing::TestWithParam<MisuseCase> {
 protected:
  void SetUp() override { ASSERT_TRUE(SchedExtDisabled()) << "a scheduler is still attached"; }
  void TearDown() override { EXPECT_TRUE(WaitUntil(SchedExtDisabled, absl::Seconds(10))); }
};

TEST_P(BuildingBlockMisuseVmTest, EndsWithAClearExitMessage) {
  const MisuseCase& c = GetParam();
  Subprocess sched({SCXPP_TESTSCHED_BIN, absl::StrCat("--fault=", c.fault), "--fault_after=50",
                    "--stats_interval=0"});
  ASSERT_TRUE(sched.WaitForOutput("attached", absl::Seconds(30))) << sched.output();
  testing::RunResult bench = RunCommand({"/usr/bin/hackbench", "-g", "1", "-l", "100"},
                                        absl::Seconds(120));
  EXPECT_EQ(bench.status, 0) << "a workload must survive its scheduler's death: " << bench.output;
  std::optional<int> status = sched.Wait(absl::Seconds(60));
  ASSERT_TRUE(status.has_value()) << "the misuse did not end the scheduler\n" << sched.output();
  EXPECT_EQ(*status, 1) << sched.output();
  EXPECT_THAT(sched.output(), HasSubstr("exited: error: runtime error (")) << sched.output();
  EXPECT_THAT(sched.output(), HasSubstr(c.kernel_says)) << sched.output();
}

INSTANTIATE_TEST_SUITE_P(Faults, BuildingBlockMisuseVmTest,
                         ::testing::Values(MisuseCase{"bad_dsq", "non-existent DSQ 0xbad0"},
                                           MisuseCase{"double_insert", "already direct-dispatched"}),
                         [](const ::testing::TestParamInfo<MisuseCase>& info) {
                           return std::string(info.param.fault);
                         });

// The same stranding policy with the SDK's starvation guard (starvation.bpf.h): the guard
// runs the stranded task every ~0.5 s, so the 3 s watchdog never fires and the task makes
// progress under the scheduler. Without --guard_ms this is the test below (ejected in 3 s).
TEST_F(LifecycleVmTest, StarvationGuardRunsWhatThePolicyStrands) {
  Subprocess sched({SCXPP_TESTSCHED_BIN, "--fault=stall", "--stall_comm=stallme",
                    "--guard_ms=500", "--stats_interval=0"});
  ASSERT_TRUE(sched.WaitForOutput("attached", absl::Seconds(30))) << sched.output();
  int pipefd[2];
  ASSERT_EQ(pipe(pipefd), 0);
  const pid_t victim = SpawnStallme(pipefd, 1000000);
  fcntl(pipefd[0], F_SETFL, O_NONBLOCK);
  // Three watchdog timeouts (3 s each): still attached, and the stranded task advanced in
  // each of the last two seconds-long windows.
  absl::SleepFor(absl::Seconds(5));
  char buf[4096];
  int windows_with_progress = 0;
  for (int w = 0; w < 2; ++w) {
    while (read(pipefd[0], buf, sizeof(buf)) > 0) {
    }
    absl::SleepFor(absl::Seconds(2));
    if (read(pipefd[0], buf, sizeof(buf)) > 0) ++windows_with_progress;
  }
  EXPECT_EQ(ReadFileTrimmed(kState), "enabled") << sched.output();
  EXPECT_FALSE(sched.Wait(absl::Milliseconds(1)).has_value())
      << "the scheduler exited although the guard was on:\n" << sched.output();
  EXPECT_EQ(windows_with_progress, 2) << "the stranded task did not run under the guard";
  kill(victim, SIGKILL);
  waitpid(victim, nullptr, 0);
  sched.Signal(SIGINT);
  std::optional<int> status = sched.Wait(absl::Seconds(30));
  ASSERT_TRUE(status.has_value()) << sched.output();
  EXPECT_EQ(*status, 0) << sched.output();
  // The counters say it was the guard: stranded tasks, and rescues of them.
  const std::string out = sched.output();
  const size_t at = out.find("final: ");
  ASSERT_NE(at, std::string::npos) << out;
  const std::string final_line = out.substr(at, out.find('\n', at) - at);
  EXPECT_THAT(final_line, Not(HasSubstr("rescued=0 "))) << final_line;
  EXPECT_THAT(final_line, Not(HasSubstr("stranded=0 "))) << final_line;
}

TEST_F(LifecycleVmTest, WatchdogEjectsStallingSchedulerAndTasksKeepRunning) {
  Subprocess sched({SCXPP_TESTSCHED_BIN, "--fault=stall", "--stall_comm=stallme",
                    "--stats_interval=0"});
  ASSERT_TRUE(sched.WaitForOutput("attached", absl::Seconds(30))) << sched.output();
  // A child renames itself "stallme" and then counts; the scheduler strands it.
  int pipefd[2];
  ASSERT_EQ(pipe(pipefd), 0);
  const pid_t victim = SpawnStallme(pipefd, 10000000);
  std::optional<int> status = sched.Wait(absl::Seconds(60));
  ASSERT_TRUE(status.has_value()) << "the watchdog did not eject the scheduler\n" << sched.output();
  EXPECT_EQ(*status, 1) << sched.output();
  EXPECT_THAT(sched.output(), HasSubstr("error (stall)")) << sched.output();
  EXPECT_THAT(sched.output(), HasSubstr("stallme")) << sched.output();
  // Back on the default scheduler, the stranded task runs again.
  ASSERT_TRUE(WaitUntil(SchedExtDisabled, absl::Seconds(10)));
  char buf[64];
  fcntl(pipefd[0], F_SETFL, O_NONBLOCK);
  while (read(pipefd[0], buf, sizeof(buf)) > 0) {
  }
  EXPECT_TRUE(WaitUntil([&] { return read(pipefd[0], buf, 1) == 1; }, absl::Seconds(20)))
      << "the stranded task did not run again after the scheduler was ejected";
  kill(victim, SIGKILL);
  waitpid(victim, nullptr, 0);
  close(pipefd[0]);
}

TEST_F(LifecycleVmTest, RestartRequestIsHonoured) {
  Subprocess sched({SCXPP_TESTSCHED_BIN, "--fault=restart", "--fault_after=50",
                    "--stats_interval=0"});
  testing::RunResult bench = RunCommand({"/usr/bin/hackbench", "-g", "1", "-l", "100"},
                                        absl::Seconds(120));
  ASSERT_TRUE(sched.WaitForOutput("restarting", absl::Seconds(60))) << sched.output();
  // Attached a second time, with the same configuration (minus the one-shot fault).
  ASSERT_TRUE(sched.WaitForOutput("attached", absl::Seconds(30), /*count=*/2)) << sched.output();
  EXPECT_EQ(ReadFileTrimmed(kState), "enabled");
  EXPECT_THAT(sched.output(), HasSubstr("injected restart request"));
  sched.Signal(SIGINT);
  std::optional<int> status = sched.Wait(absl::Seconds(30));
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(*status, 0) << sched.output();
}

TEST_F(LifecycleVmTest, FailedInitIsReportedWithItsMessage) {
  testing::RunResult r = RunCommand({SCXPP_TESTSCHED_BIN, "--fault=init"}, absl::Seconds(60));
  ASSERT_TRUE(r.status.has_value());
  // Kernels differ in whether a failing ops.init fails the attach itself (start failure, 2)
  // or ejects the scheduler right after it (error exit, 1); either way the user is told why.
  EXPECT_THAT(*r.status, ::testing::AnyOf(1, 2)) << r.output;
  EXPECT_THAT(r.output, HasSubstr("injected init failure")) << r.output;
  EXPECT_TRUE(SchedExtDisabled());
}

TEST_F(LifecycleVmTest, VerifierRejectionShowsTheLogTail) {
  testing::RunResult r = RunCommand({SCXPP_TESTSCHED_BIN, "--bad_verifier"}, absl::Seconds(60));
  ASSERT_TRUE(r.status.has_value());
  EXPECT_EQ(*r.status, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("load badverifier: the BPF verifier rejected the program"));
  // The verifier's own words about the faulty access are in the tail.
  EXPECT_THAT(r.output, HasSubstr("invalid access to map value")) << r.output;
  EXPECT_TRUE(SchedExtDisabled());
}

TEST_F(LifecycleVmTest, NonRootIsToldToUseRoot) {
  // Drop to nobody in a child, then exec the scheduler.
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], 1);
    dup2(fds[1], 2);
    if (setgid(65534) != 0 || setuid(65534) != 0) _exit(99);
    execl(SCXPP_MINIMAL_BIN, SCXPP_MINIMAL_BIN, static_cast<char*>(nullptr));
    _exit(98);
  }
  close(fds[1]);
  std::string out;
  char buf[512];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof(buf))) > 0) out.append(buf, n);
  close(fds[0]);
  int st = 0;
  waitpid(pid, &st, 0);
  ASSERT_TRUE(WIFEXITED(st));
  EXPECT_EQ(WEXITSTATUS(st), 2) << out;
  EXPECT_THAT(out, HasSubstr("needs root")) << out;
  EXPECT_TRUE(SchedExtDisabled());
}

int CountFds() {
  int n = 0;
  DIR* d = opendir("/proc/self/fd");
  while (readdir(d) != nullptr) ++n;
  closedir(d);
  return n;
}

long RssKb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

// testsched's configure step as main.cc does it: the DSQ plan from the topology.
absl::Status ConfigureTestsched(testsched& skel) {
  absl::StatusOr<Topology> topo = Topology::FromSysfs();
  if (!topo.ok()) return topo.status();
  const_cast<scxpp_dsq_plan&>(skel.rodata->scxpp_dsq_plan) =
      MakeDsqPlan(*topo, {SCXPP_DSQ_SHARED, SCXPP_DSQ_CPU, SCXPP_DSQ_USER}, 0, 1);
  return absl::OkStatus();
}

TEST_F(LifecycleVmTest, DsqDepthsAreReadBackFromThePlan) {
  absl::StatusOr<Scheduler<testsched>> s =
      Scheduler<testsched>::Create(&testsched__open_opts, ConfigureTestsched);
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_TRUE(s->Attach().ok());
  absl::StatusOr<Topology> topo = Topology::FromSysfs();
  ASSERT_TRUE(topo.ok());
  // Four CPU hogs on two CPUs: at any moment about two wait in the shared DSQ.
  std::vector<pid_t> hogs;
  for (int i = 0; i < 4; ++i) {
    pid_t pid = fork();
    if (pid == 0) {
      for (;;) asm volatile("" ::: "memory");  // spin; the barrier keeps the loop
    }
    hogs.push_back(pid);
  }
  int max_shared = -1;
  size_t nr_dsqs = 0;
  WaitUntil([&] {
    absl::StatusOr<std::vector<DsqDepth>> d = ReadDsqDepths(s->object());
    if (!d.ok()) {
      ADD_FAILURE() << d.status();
      return true;
    }
    nr_dsqs = d->size();
    EXPECT_EQ((*d)[0].kind, SCXPP_DSQ_SHARED);
    max_shared = std::max(max_shared, (*d)[0].depth);
    return max_shared >= 1;
  }, absl::Seconds(10));
  for (pid_t pid : hogs) kill(pid, SIGKILL);
  for (pid_t pid : hogs) waitpid(pid, nullptr, 0);
  EXPECT_EQ(nr_dsqs, static_cast<size_t>(1 + topo->nr_cpu_ids() + 1));
  EXPECT_GE(max_shared, 1) << "hogs never showed up queued in shared:0";
  s->Detach();
}

TEST_F(LifecycleVmTest, HundredAttachDetachCyclesLeakNothing) {
  auto cycle = [] {
    absl::StatusOr<Scheduler<testsched>> s =
        Scheduler<testsched>::Create(&testsched__open_opts, ConfigureTestsched);
    ASSERT_TRUE(s.ok()) << s.status();
    ASSERT_TRUE(s->Attach().ok());
    ASSERT_EQ(ReadFileTrimmed(kState), "enabled");
    s->Detach();
    absl::StatusOr<ExitInfo> e = s->Exit();
    ASSERT_TRUE(e.ok());
    EXPECT_EQ(e->kind, ExitKind::kUnregistered) << e->Summary();
    // The kernel finishes disabling asynchronously; the next attach needs it done.
    ASSERT_TRUE(WaitUntil(SchedExtDisabled, absl::Seconds(10)));
  };
  for (int i = 0; i < 5; ++i) cycle();  // warm-up: libbpf's and libc's one-time allocations
  const int fds_before = CountFds();
  const long rss_before = RssKb();
  for (int i = 0; i < 100; ++i) {
    cycle();
    if (::testing::Test::HasFatalFailure()) return;
  }
  EXPECT_EQ(CountFds(), fds_before) << "file descriptors leaked over 100 cycles";
#if defined(__SANITIZE_ADDRESS__)
  // Under ASan freed memory waits in its quarantine (up to 256 MB) instead of being reused,
  // so RSS grows by design (266 MB seen); LeakSanitizer checks for leaks at exit instead.
  (void)rss_before;
#else
  // A leak of one skeleton per cycle would be megabytes; allow allocator noise.
  EXPECT_LT(RssKb() - rss_before, 2048) << "RSS grew from " << rss_before << " kB";
#endif
}

}  // namespace
}  // namespace scxpp

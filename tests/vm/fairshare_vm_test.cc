// SPDX-License-Identifier: Apache-2.0
// The fairshare reference scheduler in the sched_ext VM: cpu.weight shares (flat and nested),
// cpu.max caps with the rest absorbed, a cap written while running, an idle tenant's return,
// cgroup churn under load
// without leaks, a yield charged as a slice, and bad flags refused before attaching.
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/util/subprocess.h"
#include "tests/util/with_scheduler.h"

namespace scxpp {
namespace {

using ::testing::HasSubstr;
using testing::FinalStat;
using testing::JsonNumber;
using testing::ReadFileTrimmed;
using testing::RunCommand;
using testing::SchedExtDisabled;
using testing::WithScheduler;

const std::string kTenantLoad = std::string(SCXPP_WORKLOAD_DIR) + "/scxpp_tenant_load";
constexpr char kCg[] = "/sys/fs/cgroup";
#if defined(__SANITIZE_ADDRESS__)
// Instrumented (SCXPP_PRESET=asan), the userspace side — the workload's monitor, and on
// kernels before 6.17 fairshare's cpu.max reader (then a poller) — runs 2-3x slower and
// takes CPU from the tenants: utilisation 0.85-0.89 and a capped-case error of 0.13-0.16
// were seen on 6.16.
// That mode is for memory errors; the policy's numbers are judged in the normal build.
constexpr double kTolerance = 0.20;
constexpr double kMinUtil = 0.80;
#else
constexpr double kTolerance = 0.10;  // relative error of one short run (see WeightsAreHonoured)
constexpr double kMinUtil = 0.95;
#endif

class FairshareVmTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(SchedExtDisabled()); }
};

// Runs the tenant workload under fairshare; returns {workload JSON, scheduler output}.
std::pair<std::string, std::string> Tenants(const std::string& spec, int seconds = 5) {
  std::string json;
  std::string out = WithScheduler(SCXPP_FAIRSHARE_BIN, {}, [&] {
    testing::RunResult r = RunCommand(
        {kTenantLoad, "--tenants=" + spec, absl::StrCat("--duration_s=", seconds)},
        absl::Seconds(120));
    EXPECT_EQ(r.status, 0) << r.output;
    json = r.output;
  });
  return {json, out};
}

double TenantField(const std::string& json, const std::string& name, const std::string& key) {
  return JsonNumber(json, key, "name\":\"" + name);
}

TEST_F(FairshareVmTest, WeightsAreHonoured) {
  auto [json, out] = Tenants("a:100:1,b:200:4,c:400:8");
  const double err = JsonNumber(json, "max_rel_err");
  ASSERT_GE(err, 0) << json;
  // The 3% bound is judged on benchmark medians (docs/benchmarks.md). One 5 s run
  // under TCG scatters: the one-thread tenant's share was seen from -4% to +7% of its
  // ideal in back-to-back runs. A scheduler that ignored the weights (per-thread fairness)
  // would be ~50% off here, so the test allows 10%.
  EXPECT_LT(err, kTolerance) << json;
  EXPECT_GE(JsonNumber(json, "jain"), 0.99) << json;
  // cpu_util is the tenants' CPU time over all CPUs' time; the rest is the workload's own
  // parent, the scheduler's loader and the kernel (and emulation noise under TCG). Before
  // 6.17 the loader also keeps cpu.max in step: reading every cgroup's file every 100 ms cost
  // 5% here on 6.16 (0.885-0.957 in this test, EEVDF 0.984); watched with inotify, 0.974.
  EXPECT_GE(JsonNumber(json, "cpu_util"), kMinUtil) << "CPUs idled while work waited\n" << json;
  printf("weights 100/200/400: max relative error %.4f, utilisation %.4f (floor %.2f)\n", err,
         JsonNumber(json, "cpu_util"), kMinUtil);
}

TEST_F(FairshareVmTest, NestedWeightsAreHonoured) {
  // b is split 1:3 between b/x and b/y: ideal a 0.5, b/x 0.125, b/y 0.375.
  // 10 s, not 5: one 5 s TCG run moves the small b/x share a lot. Seen 0.025, 0.067, 0.070
  // and 0.134, and once 0.233 (a fresh-clone CI run, session 12, while the bench's 3-rep
  // matrices of the same day gave 0.008-0.015): a host stall costs a 5 s run twice what it
  // costs a 10 s one.
  auto [json, out] = Tenants("a:100:2,b:100:0,b/x:100:2,b/y:300:2", 10);
  const double err = JsonNumber(json, "max_rel_err");
  ASSERT_GE(err, 0) << json;
  // Flat weights (ignoring the tree) would be 38% off, EEVDF 34%, so the bound is 0.2, well
  // clear of both the noise and a scheduler that ignores the tree.
  EXPECT_LT(err, 0.2) << json;
  // 3 +- 0.5: one short TCG run moves b/x's small share by up to ~7% (seen 2.78 once);
  // ignoring the nested weights would give 1.
  EXPECT_NEAR(TenantField(json, "b/y", "share") / TenantField(json, "b/x", "share"), 3.0, 0.5)
      << json;
  printf("nested 1:3: max relative error %.4f\n", err);
}

TEST_F(FairshareVmTest, CpuMaxCapsATenantAndTheOthersAbsorbTheRest) {
  // a may use half a CPU (a quarter of 2 CPUs) although its weight would give it a third.
  auto [json, out] = Tenants("a:100:2:0.5,b:100:2,c:100:2");
  const double share = TenantField(json, "a", "share");
  const double ideal = TenantField(json, "a", "ideal");
  ASSERT_GT(ideal, 0) << json;
  // share is a fraction of what the tenants used together, which is a little less than
  // the machine (cpu_util < 1); the cap is absolute: CPUs used = share * cpu_util * cpus.
  const double cpus_used = share * JsonNumber(json, "cpu_util") * JsonNumber(json, "cpus");
  EXPECT_LE(cpus_used, 0.5 * 1.02) << json;
  // The shares are of what the tenants used together, so lost utilisation inflates a's
  // (0.111 at 0.903 used, when the loader still read cpu.max every 100 ms on 6.16).
  EXPECT_LT(JsonNumber(json, "max_rel_err"), kTolerance) << json;
  // A scheduler that held b and c to their weights (2/3 CPU each) would leave the machine
  // at most (0.5 + 4/3) / 2 = 0.917 used. Absorbing, it is 1 less the overhead, so this
  // case's floor is 0.02 under kMinUtil: above 0.917 in the normal build.
  EXPECT_GE(JsonNumber(json, "cpu_util"), kMinUtil - 0.02)
      << "the others did not absorb a's rest\n" << json;
  printf("cpu.max case: utilisation %.4f (floor %.4f)\n", JsonNumber(json, "cpu_util"),
         kMinUtil - 0.02);
  EXPECT_GE(FinalStat(out, "throttles"), 10) << out;
  EXPECT_GE(FinalStat(out, "unthrottles"), 10) << out;
  printf("cpu.max 0.5 CPU: used %.4f CPUs; share %.4f of the tenants' time, ideal %.4f\n",
         cpus_used, share, ideal);
}

// The same cap on a tenant alone, the rest of the machine idle: a throttled task is then
// often the last runnable task of its CPU, which the kernel keeps running with a fresh
// slice unless the scheduler asks to decide (SCX_OPS_ENQ_LAST). Without that flag a
// 0.5-CPU cap was held as 0.42-0.87 CPUs over 4 s windows.
TEST_F(FairshareVmTest, CpuMaxHoldsOnAnOtherwiseIdleMachine) {
  auto [json, out] = Tenants("a:100:2:0.5");
  const double cpus_used = TenantField(json, "a", "cpus");
  ASSERT_GT(cpus_used, 0) << json;
  printf("cpu.max 0.5 CPU, tenant alone: used %.4f CPUs\n", cpus_used);
  EXPECT_NEAR(cpus_used, 0.5, 0.05) << json << out;
  // Once per 100 ms period: about 50 in 5 s (seen 40-47 in 4 s in ControlVmTest). Kept
  // running, a throttled task is not parked, its debt grows and the cgroup stays throttled
  // for many periods: 2-9 throttles in 4 s.
  EXPECT_GE(FinalStat(out, "throttles"), 30) << out;
}

void WriteFile(const std::string& path, const std::string& value) {
  std::ofstream f(path);
  f << value;
  f.close();
  ASSERT_TRUE(f.good()) << "write " << value << " to " << path;
}

// A process that joins `cgroup` and spins until killed.
pid_t Hog(const std::string& cgroup) {
  pid_t pid = fork();
  if (pid == 0) {
    std::ofstream(cgroup + "/cgroup.procs") << getpid();
    for (;;) asm volatile("");
  }
  return pid;
}

long UsageUs(const std::string& cgroup) {
  std::ifstream f(cgroup + "/cpu.stat");
  std::string key;
  long v = -1;
  while (f >> key >> v) {
    if (key == "usage_usec") return v;
  }
  return -1;
}

TEST_F(FairshareVmTest, IdleTenantGetsItsShareWithinASecond) {
  const std::string root = std::string(kCg) + "/fs-idle";
  mkdir(root.c_str(), 0755);
  WriteFile(std::string(kCg) + "/cgroup.subtree_control", "+cpu");
  WriteFile(root + "/cgroup.subtree_control", "+cpu");
  for (const char* t : {"a", "b", "c"}) mkdir((root + "/" + t).c_str(), 0755);
  const long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  std::vector<pid_t> hogs;
  long got[3] = {-1, -1, -1};
  std::string out = WithScheduler(SCXPP_FAIRSHARE_BIN, {}, [&] {
    for (int i = 0; i < ncpu; ++i) hogs.push_back(Hog(root + "/b"));
    for (int i = 0; i < ncpu; ++i) hogs.push_back(Hog(root + "/c"));
    sleep(3);  // b and c have had the machine for a while; a was idle
    long before[3];
    int k = 0;
    for (const char* t : {"a", "b", "c"}) before[k++] = UsageUs(root + "/" + t);
    for (int i = 0; i < ncpu; ++i) hogs.push_back(Hog(root + "/a"));
    usleep(1000 * 1000);
    k = 0;
    for (const char* t : {"a", "b", "c"}) {
      got[k] = UsageUs(root + "/" + t) - before[k];
      ++k;
    }
    for (pid_t p : hogs) kill(p, SIGKILL);
    for (pid_t p : hogs) waitpid(p, nullptr, 0);
  });
  for (const char* t : {"a", "b", "c"}) rmdir((root + "/" + t).c_str());
  rmdir(root.c_str());
  // Each tenant's ideal over that second: a third of the machine.
  const double third_us = ncpu * 1e6 / 3;
  EXPECT_GE(got[0], 0.8 * third_us) << "a returned and did not get its share\n" << out;
  EXPECT_GE(got[1], 0.5 * third_us) << "b starved by a's return\n" << out;
  EXPECT_GE(got[2], 0.5 * third_us) << "c starved by a's return\n" << out;
  printf("first second after a returns: a %ld us, b %ld us, c %ld us (ideal %.0f each)\n",
         got[0], got[1], got[2], third_us);
}

// cpu.max written while fairshare runs, to a cgroup that already exists and has a task:
// applied within a fraction of a second, and lifted again. From 6.17 the kernel reports the
// change (ops.cgroup_set_bandwidth); before, fairshare's loader learns of it through an
// inotify watch on the file, which this exercises (the tenant workload writes its caps
// before it starts its threads, so the other cpu.max tests see a value already there).
TEST_F(FairshareVmTest, CpuMaxWrittenWhileRunningAppliesAndLifts) {
  const std::string cg = std::string(kCg) + "/fs-live-cap";
  WriteFile(std::string(kCg) + "/cgroup.subtree_control", "+cpu");
  mkdir(cg.c_str(), 0755);
  double uncapped = -1, capped = -1, lifted = -1;
  // CPUs used by the cgroup over `seconds`, starting after `settle_ms`; with `series`, also
  // the use per 100 ms (to tell a short period from a long throttle).
  auto cpus_used = [&](int settle_ms, double seconds, std::string* series = nullptr) {
    usleep(settle_ms * 1000);
    const long before = UsageUs(cg);
    long last = before;
    for (int i = 0; i < seconds * 10; ++i) {
      usleep(100 * 1000);
      const long now = UsageUs(cg);
      if (series) absl::StrAppend(series, (now - last) / 1000, " ");
      last = now;
    }
    return (last - before) / (seconds * 1e6);
  };
  std::string series;
  std::string out = WithScheduler(SCXPP_FAIRSHARE_BIN, {}, [&] {
    pid_t hog = Hog(cg);
    uncapped = cpus_used(500, 1.5);
    WriteFile(cg + "/cpu.max", "25000 100000");
    capped = cpus_used(500, 2.0, &series);
    WriteFile(cg + "/cpu.max", "max 100000");
    lifted = cpus_used(500, 1.5);
    kill(hog, SIGKILL);
    waitpid(hog, nullptr, 0);
  });
  rmdir(cg.c_str());
  printf("one spinner: %.3f CPUs uncapped, %.3f under a 0.25-CPU cap written live, %.3f lifted\n"
         "ms used per 100 ms while capped: %s\n",
         uncapped, capped, lifted, series.c_str());
  EXPECT_GE(uncapped, 0.8) << out;
  // Seen 0.249-0.263 beside a busy host. Not applied, it keeps ~0.95. Held past its period
  // (the timer read a stale clock on an idle CPU), 0.076-0.237, with runs of 100 ms
  // samples at 0 in the series.
  EXPECT_LE(capped, 0.33) << "the cap written while running did not apply\n" << series << out;
  EXPECT_GE(capped, 0.2) << "held below the cap written while running\n" << series << out;
  EXPECT_GE(lifted, 0.8) << "the cap was not lifted\n" << out;
}

TEST_F(FairshareVmTest, CgroupChurnUnderLoadLeavesNoState) {
  const std::string root = std::string(kCg) + "/fs-churn";
  mkdir(root.c_str(), 0755);
  WriteFile(std::string(kCg) + "/cgroup.subtree_control", "+cpu");
  WriteFile(root + "/cgroup.subtree_control", "+cpu");
  mkdir((root + "/base").c_str(), 0755);
  const long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  std::vector<pid_t> hogs;
  int cycles = 0;
  std::string out = WithScheduler(SCXPP_FAIRSHARE_BIN, {}, [&] {
    for (int i = 0; i < ncpu + 1; ++i) hogs.push_back(Hog(root + "/base"));
    for (int i = 0; i < 1000; ++i) {
      const std::string g = absl::StrCat(root, "/g", i);
      if (mkdir(g.c_str(), 0755) != 0) break;
      const pid_t mover = hogs[i % hogs.size()];
      std::ofstream(g + "/cpu.weight") << 1 + (i * 37) % 10000;
      std::ofstream(g + "/cgroup.procs") << mover;
      std::ofstream(g + "/cpu.weight") << 1 + (i * 91) % 10000;
      std::ofstream(root + "/base/cgroup.procs") << mover;
      if (rmdir(g.c_str()) != 0) break;
      ++cycles;
    }
    for (pid_t p : hogs) kill(p, SIGKILL);
    for (pid_t p : hogs) waitpid(p, nullptr, 0);
    rmdir((root + "/base").c_str());
    rmdir(root.c_str());
    sleep(1);  // cgroups are freed (and cgroup_exit called) after an RCU grace period
  });
  EXPECT_EQ(cycles, 1000) << out;
  EXPECT_GE(FinalStat(out, "moves"), 2000) << out;
  // Writing a cgroup's current weight again is not a change (the kernel calls no hook).
  EXPECT_GE(FinalStat(out, "weight_changes"), 1900) << out;
  // "cgroups tracked: N (live under /sys/fs/cgroup: M)": every entry removed again.
  const size_t pos = out.find("cgroups tracked: ");
  ASSERT_NE(pos, std::string::npos) << out;
  long tracked = -1, live = -2;
  ASSERT_EQ(sscanf(out.c_str() + pos, "cgroups tracked: %ld (live under %*s %ld)", &tracked,
                   &live),
            2)
      << out.substr(pos);
  EXPECT_EQ(tracked, live) << "cgroup table entries leaked\n" << out;
}

// A child pinned to CPU 0 that runs `body` until killed.
pid_t PinnedChild(void (*body)()) {
  pid_t pid = fork();
  if (pid == 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(0, &set);
    if (sched_setaffinity(0, sizeof(set), &set) != 0) _exit(1);
    body();
    _exit(0);
  }
  return pid;
}

// CPU time a task has run, in ns (first field of /proc/PID/schedstat).
long RunNs(pid_t pid) {
  std::ifstream f(absl::StrCat("/proc/", pid, "/schedstat"));
  long ns = -1;
  f >> ns;
  return ns;
}

// A task that calls sched_yield() gives up its slice and is charged for all of it, so a
// user-space spin lock's waiters (spin, then yield until the holder lets go) go behind the
// preempted holder. Here a CPU hog shares CPU 0 with four tasks that only yield: charged
// for the slice they give up, the yielders run once per hog slice and the hog keeps nearly
// all of the CPU (EEVDF does the same). Without the charge each yielder, having used next
// to nothing, stayed at the head of the queue until it had used as much CPU as the hog: an
// even split, the hog at a fifth — and, in ASan's allocator, a holder kept waiting behind
// 10,000 yielding threads until the watchdog ejected the scheduler.
TEST_F(FairshareVmTest, YieldCedesTheSlice) {
  std::vector<pid_t> kids;
  long hog_ns = -1, yield_ns = 0;
  std::string out = WithScheduler(SCXPP_FAIRSHARE_BIN, {}, [&] {
    kids.push_back(PinnedChild([] {
      for (;;) asm volatile("");
    }));
    for (int i = 0; i < 4; ++i) {
      kids.push_back(PinnedChild([] {
        for (;;) sched_yield();
      }));
    }
    usleep(500 * 1000);
    std::vector<long> before;
    for (pid_t p : kids) before.push_back(RunNs(p));
    sleep(2);
    hog_ns = RunNs(kids[0]) - before[0];
    for (size_t i = 1; i < kids.size(); ++i) yield_ns += RunNs(kids[i]) - before[i];
    for (pid_t p : kids) kill(p, SIGKILL);
    for (pid_t p : kids) waitpid(p, nullptr, 0);
  });
  ASSERT_GT(hog_ns, 0) << out;
  const double hog_part = static_cast<double>(hog_ns) / (hog_ns + yield_ns);
  printf("CPU 0 over 2 s: hog %.0f ms, four yielders %.0f ms (hog %.0f%%)\n", hog_ns / 1e6,
         yield_ns / 1e6, 100 * hog_part);
  EXPECT_GE(hog_part, 0.6) << "the yielders kept the hog off its CPU\n" << out;
  EXPECT_GT(FinalStat(out, "yields"), 0) << out;
}

// A cgroup subtree delegated to `uid` the way systemd delegates one to user@.service: the
// directory and the files that let its owner create and populate children are its own.
std::string Delegate(const std::string& name, uid_t uid) {
  const std::string dir = std::string(kCg) + "/" + name;
  mkdir(dir.c_str(), 0755);
  WriteFile(std::string(kCg) + "/cgroup.subtree_control", "+cpu");
  WriteFile(dir + "/cgroup.subtree_control", "+cpu");
  for (const char* f : {"", "/cgroup.procs", "/cgroup.threads", "/cgroup.subtree_control"}) {
    EXPECT_EQ(chown((dir + f).c_str(), uid, uid), 0) << dir << f;
  }
  return dir;
}

// Runs `body` in a child as `uid`; returns its exit status (99: could not drop privileges).
template <typename Body>
int AsUser(uid_t uid, Body body) {
  const pid_t pid = fork();
  if (pid == 0) {
    if (setgroups(0, nullptr) != 0 || setresgid(uid, uid, uid) != 0 ||
        setresuid(uid, uid, uid) != 0) {
      _exit(99);
    }
    _exit(body());
  }
  int st = 0;
  waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

// Makes `n` children c0..c<n-1> of `dir` as `uid`; returns how many it made.
int MakeChildrenAs(uid_t uid, const std::string& dir, int n) {
  int made = 0;
  AsUser(uid, [&] {
    for (int i = 0; i < n; ++i) {
      if (mkdir(absl::StrCat(dir, "/c", i).c_str(), 0755) != 0) break;
    }
    return 0;
  });
  for (int i = 0; i < n; ++i) {
    struct stat st {};
    if (stat(absl::StrCat(dir, "/c", i).c_str(), &st) == 0) ++made;
  }
  return made;
}

void RemoveChildren(const std::string& dir, int n) {
  for (int i = n - 1; i >= 0; --i) rmdir(absl::StrCat(dir, "/c", i).c_str());
  rmdir(dir.c_str());
}

// `n` cgroups made as `uid` in a subtree delegated to it, under fairshare with `flags`; a
// task of the user's in the last one. Returns fairshare's output; fails if it was ejected,
// if a cgroup could not be made or if the task did not run.
std::string Flood(const std::string& name, uid_t uid, int n, std::vector<std::string> flags) {
  const std::string dir = Delegate(name, uid);
  int made = 0;
  long hog_ns = -1;
  std::string out = WithScheduler(SCXPP_FAIRSHARE_BIN, flags, [&] {
    made = MakeChildrenAs(uid, dir, n);
    ASSERT_EQ(ReadFileTrimmed("/sys/kernel/sched_ext/state"), "enabled")
        << "ejected after " << made << " cgroups";
    const std::string last = absl::StrCat(dir, "/c", n - 1);
    const pid_t hog = fork();
    if (hog == 0) {
      std::ofstream(last + "/cgroup.procs") << getpid();  // As root: from outside the subtree.
      if (setresgid(uid, uid, uid) != 0 || setresuid(uid, uid, uid) != 0) _exit(99);
      for (;;) asm volatile("");
    }
    sleep(2);
    hog_ns = RunNs(hog);
    EXPECT_EQ(ReadFileTrimmed(last + "/cgroup.procs"), absl::StrCat(hog));
    kill(hog, SIGKILL);
    waitpid(hog, nullptr, 0);
  });
  const absl::Time start = absl::Now();
  RemoveChildren(dir, n);
  printf("%d cgroups made as uid %u; removed in %.1f s; a task in the last one ran %.0f ms\n",
         made, uid, absl::ToDoubleSeconds(absl::Now() - start), hog_ns / 1e6);
  EXPECT_EQ(made, n);
  EXPECT_GT(hog_ns, 200'000'000L) << "a task in an untracked cgroup did not run";
  EXPECT_THAT(out, ::testing::Not(HasSubstr("table full")));
  return out;
}

// More cgroups than anyone should track, made by an ordinary user in its delegated subtree:
// past --user_cgroups they are left out of the table (counted in `untracked`), their tasks
// count as the nearest ancestor in it, and fairshare stays attached. Then the table itself
// full (the per-user limit lifted; cpu.max off, so that kernels before 6.17 do not spend the
// run watching 16,000 cpu.max files). Before, the 16,383rd mkdir ejected fairshare ("cgroup
// table full").
TEST_F(FairshareVmTest, OrdinaryUserCannotFillTheCgroupTable) {
  constexpr int kChildren = 20000;
  const std::string limited = Flood("fs-deleg", 1000, kChildren, {});
  EXPECT_GE(FinalStat(limited, "untracked"), kChildren - 1024) << limited;
  const std::string full =
      Flood("fs-full", 1002, kChildren, {"--user_cgroups=16384", "--bandwidth=false"});
  EXPECT_GE(FinalStat(full, "untracked"), kChildren - 16384) << full;
}

// One user's cgroups take at most --user_cgroups table entries and --user_capped parking
// queues: after it capped 70 of its cgroups (more than the 64 queues), the cap root puts on
// the top of its delegated subtree (its own to write: systemd's user@.service) still holds,
// also over a task in one of the user's cgroups left out of the table.
TEST_F(FairshareVmTest, OrdinaryUserCannotTakeEveryCap) {
  constexpr uid_t kUser = 1001;
  constexpr int kChildren = 1100, kCapped = 70;
  const std::string dir = Delegate("fs-caps", kUser);
  int made = 0, cap_failures = -1;
  std::string out = WithScheduler(SCXPP_FAIRSHARE_BIN, {}, [&] {
    made = MakeChildrenAs(kUser, dir, kChildren);
    cap_failures = AsUser(kUser, [&] {
      int failed = 0;
      for (int i = 0; i < kCapped; ++i) {
        std::ofstream f(absl::StrCat(dir, "/c", i, "/cpu.max"));
        f << "50000 100000";
        f.close();
        failed += !f.good();
      }
      return failed;
    });
    sleep(1);  // Before 6.17 fairshare reads cpu.max itself (inotify), then the timer applies.
    WriteFile(dir + "/cpu.max", "20000 100000");
    const pid_t hog = Hog(absl::StrCat(dir, "/c", kChildren - 1));  // Not in the table.
    sleep(4);
    kill(hog, SIGKILL);
    waitpid(hog, nullptr, 0);
  });
  RemoveChildren(dir, kChildren);
  EXPECT_EQ(made, kChildren);
  EXPECT_EQ(cap_failures, 0);
  EXPECT_GE(FinalStat(out, "untracked"), kChildren - 1024) << out;
  // Each cap read beyond the owner's 8 is refused (before 6.17 fairshare reads the files in
  // passes, and the last ones written may not have been read yet).
  EXPECT_GE(FinalStat(out, "user_no_slot"), kCapped / 2) << out;
  // Root's 0.2-CPU cap is enforced: the hog is throttled about every 100 ms period.
  EXPECT_GE(FinalStat(out, "throttles"), 10) << out;
}

// A user with subordinate uids (rootless containers: root inside its own user namespace)
// can chown directories of its delegated subtree, its top included, to those uids. Each of
// them used to count as an owner of its own, with a fresh --user_cgroups: 16 of them made
// 1,600 cgroups here, every one tracked. The limits are the delegated subtree's, whoever
// owns what lies in it.
TEST_F(FairshareVmTest, SubordinateUidsDoNotMultiplyAUsersLimits) {
  constexpr uid_t kUser = 1003, kSubuid = 200000;
  constexpr int kSubtrees = 16, kEach = 100;
  const std::string dir = Delegate("fs-subuid", kUser);
  int made = 0;
  std::string out = WithScheduler(SCXPP_FAIRSHARE_BIN, {}, [&] {
    ASSERT_EQ(MakeChildrenAs(kUser, dir, kSubtrees), kSubtrees);
    for (int i = 0; i < kSubtrees; ++i) {
      // What the user's namespace root can do: hand the delegated top, and subtree i, to
      // subordinate uid kSubuid + i.
      EXPECT_EQ(chown(dir.c_str(), kSubuid + i, kSubuid + i), 0);
      const std::string sub = absl::StrCat(dir, "/c", i);
      WriteFile(sub + "/cgroup.subtree_control", "+cpu");
      for (const char* f : {"", "/cgroup.procs", "/cgroup.threads", "/cgroup.subtree_control"}) {
        EXPECT_EQ(chown((sub + f).c_str(), kSubuid + i, kSubuid + i), 0) << sub << f;
      }
      made += MakeChildrenAs(kSubuid + i, sub, kEach);
    }
    ASSERT_EQ(ReadFileTrimmed("/sys/kernel/sched_ext/state"), "enabled");
  });
  for (int i = 0; i < kSubtrees; ++i) RemoveChildren(absl::StrCat(dir, "/c", i), kEach);
  rmdir(dir.c_str());
  EXPECT_EQ(made, kSubtrees * kEach);
  std::cout << "[ info ] " << made + kSubtrees << " cgroups of uid " << kUser << " and its subuids, "
            << FinalStat(out, "untracked") << " untracked\n";
  // 1,616 cgroups of one user, 1,024 (--user_cgroups) tracked at most.
  EXPECT_GE(FinalStat(out, "untracked"), kSubtrees * (kEach + 1) - 1024) << out;
}

TEST_F(FairshareVmTest, BadFlagsAreRefusedBeforeAttaching) {
  using testing::ExpectRefusedBeforeAttaching;
  const std::string bin = SCXPP_FAIRSHARE_BIN;
  ExpectRefusedBeforeAttaching(bin, {"--slice_us=0"},
                               "--slice_us: 0 is out of range for slice_us (100..100000)");
  ExpectRefusedBeforeAttaching(bin, {"--slice_us=-5"}, "--slice_us: '-5' is not a value for slice_us");
  ExpectRefusedBeforeAttaching(bin, {"--lag_us=5000000"}, "--lag_us: 5000000 is out of range");
  ExpectRefusedBeforeAttaching(bin, {"--bw_tick_us=10"}, "--bw_tick_us: 10 is out of range");
  // Not a tunable: checked by fairshare's own CheckFlags().
  ExpectRefusedBeforeAttaching(bin, {"--cpu_max_poll_ms=5"}, "--cpu_max_poll_ms=5 is too small");
}

}  // namespace
}  // namespace scxpp

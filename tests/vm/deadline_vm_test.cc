// SPDX-License-Identifier: Apache-2.0
// The deadline reference scheduler in the sched_ext VM: an admitted task set next to CPU
// hogs misses far fewer deadlines than under EEVDF; a task overrunning its budget is
// throttled and does not make the others miss; an over-utilised set is refused before
// anything changes; a thread that exits is released; --spawn and --cgroup register tasks;
// bad parameters are refused before anything is attached.
//
// Timing under TCG is noisy (the host deschedules vCPUs for milliseconds), so the
// assertions compare against a control measured in the same boot, with margins, rather than
// against absolute numbers; the benchmark suite reports the numbers.
#include <grp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/util/subprocess.h"
#include "tests/util/with_scheduler.h"

namespace scxpp {
namespace {

using testing::FinalStat;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::ReadFileTrimmed;
using testing::RunCommand;
using testing::SchedExtDisabled;
using testing::Subprocess;
using testing::WaitUntil;

constexpr char kState[] = "/sys/kernel/sched_ext/state";
const std::string kWl = SCXPP_WORKLOAD_DIR;
// Per CPU 0.4 of a CPU (0.48 with rt_taskset's 20% budget slack); deadlines of 5-30 ms.
constexpr char kLightSet[] =
    "2000:10000,1000:10000:5000,3000:30000,2000:10000,1000:10000:5000,3000:30000";

// The integer after "key": at or after `from` in a JSON line (-1 if absent).
long JsonInt(const std::string& json, const std::string& key, size_t from = 0) {
  size_t pos = json.find("\"" + key + "\":", from);
  if (pos == std::string::npos) return -1;
  pos += key.size() + 3;
  const size_t end = json.find_first_of(",}", pos);
  long v = -1;
  if (!absl::SimpleAtoi(json.substr(pos, end - pos), &v)) return -1;
  return v;
}

// The number after "key": at or after `from` (NaN if absent).
double JsonDouble(const std::string& json, const std::string& key, size_t from = 0) {
  size_t pos = json.find("\"" + key + "\":", from);
  if (pos == std::string::npos) return std::nan("");
  pos += key.size() + 3;
  const size_t end = json.find_first_of(",}", pos);
  double v = std::nan("");
  if (!absl::SimpleAtod(json.substr(pos, end - pos), &v)) return std::nan("");
  return v;
}

// One field of each task in the workload's "per_task" list, in order, read by `read`.
template <typename T, typename Read>
std::vector<T> PerTaskField(const std::string& json, const std::string& key, Read read) {
  std::vector<T> out;
  size_t pos = json.find("\"per_task\":[");
  while (pos != std::string::npos) {
    pos = json.find("\"" + key + "\":", pos + 1);
    if (pos == std::string::npos) break;
    out.push_back(read(json, key, pos));
  }
  return out;
}
std::vector<long> PerTask(const std::string& json, const std::string& key) {
  return PerTaskField<long>(json, key, [](auto&... a) { return JsonInt(a...); });
}
std::vector<double> PerTaskDouble(const std::string& json, const std::string& key) {
  return PerTaskField<double>(json, key, [](auto&... a) { return JsonDouble(a...); });
}
std::vector<long> PerTaskMisses(const std::string& json) { return PerTask(json, "misses"); }

// The last JSON line of an output.
std::string LastJson(const std::string& out) {
  std::string last;
  for (absl::string_view l : absl::StrSplit(out, '\n')) {
    if (!l.empty() && l.front() == '{') last = std::string(l);
  }
  return last;
}

// Hogs on every CPU (2 per CPU) for `seconds` + 2, then the task set for `seconds`.
std::string TaskSetBesideHogs(const std::string& tasks, const std::string& extra, int seconds) {
  testing::RunResult r = RunCommand(
      {"/bin/sh", "-c",
       absl::StrCat(kWl, "/scxpp_cpu_hogs --threads=$((2 * $(nproc))) --duration_s=", seconds + 2,
                    " >/dev/null & sleep 1; ", kWl, "/scxpp_rt_taskset --tasks=", tasks,
                    " --duration_s=", seconds, " ", extra, "; st=$?; wait; exit $st")},
      absl::Seconds(120));
  EXPECT_EQ(r.status, 0) << r.output;
  return LastJson(r.output);
}

// Runs deadline with `flags` around `body`; returns its output (with the final stats).
template <typename Body>
std::string WithDeadline(std::vector<std::string> flags, Body body) {
  std::vector<std::string> argv = {SCXPP_DEADLINE_BIN, "--stats_interval=0"};
  argv.insert(argv.end(), flags.begin(), flags.end());
  Subprocess sched(argv);
  if (!sched.WaitForOutput("attached", absl::Seconds(30))) {
    ADD_FAILURE() << "deadline did not attach:\n" << sched.output();
    return sched.output();
  }
  body();
  EXPECT_EQ(ReadFileTrimmed(kState), "enabled") << "deadline was ejected:\n" << sched.output();
  sched.Signal(SIGINT);
  std::optional<int> status = sched.Wait(absl::Seconds(30));
  EXPECT_EQ(status, 0) << sched.output();
  EXPECT_TRUE(WaitUntil(SchedExtDisabled, absl::Seconds(10)));
  return sched.output();
}

testing::RunResult Ctl(std::vector<std::string> args) {
  args.insert(args.begin(), SCXPP_DEADLINECTL_BIN);
  return RunCommand(args, absl::Seconds(30));
}

// A child that sleeps `period_us` and spins `work_us`, `iters` times; in `cgroup` if given;
// as user `uid` if given.
pid_t StartPeriodic(long period_us, long work_us, long iters, const std::string& cgroup = "",
                    uid_t uid = 0) {
  pid_t pid = fork();
  if (pid != 0) return pid;
  if (!cgroup.empty()) std::ofstream(cgroup + "/cgroup.procs") << getpid();
  if (uid != 0 && (setresgid(uid, uid, uid) != 0 || setresuid(uid, uid, uid) != 0)) _exit(99);
  for (long i = 0; i < iters; ++i) {
    usleep(static_cast<useconds_t>(period_us));
    timespec a, b;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
    do {
      clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
    } while ((b.tv_sec - a.tv_sec) * 1000000L + (b.tv_nsec - a.tv_nsec) / 1000 < work_us);
  }
  _exit(0);
}

// A raw connection to the daemon's socket (-errno on failure).
int ConnectDaemon() {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strcpy(addr.sun_path, "/run/scxpp-deadline.sock");
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    const int err = errno;
    close(fd);
    return -err;
  }
  return fd;
}

int Reap(pid_t pid) {
  int st = 0;
  waitpid(pid, &st, 0);
  return st;
}

class DeadlineVmTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(SchedExtDisabled()); }
};

TEST_F(DeadlineVmTest, AdmittedSetMissesFarLessThanUnderEevdfBesideHogs) {
  // Per CPU 1000:5000, 2000:10000 and 500:10000:2000: the benchmark's set without its
  // 3000:20000 task, with budgets of runtime x 1.2 + 500 us. Under TCG a job costs its
  // runtime plus 200-500 us (rt_taskset's measured_utilization), so the benchmark's set,
  // declared at 60%, uses 67-95% of this machine as the host's speed varies (1.89 CPUs of 2
  // under deadline in one fresh-clone run, where both policies were overloaded and their p99
  // lateness compared by chance: 15.5 vs 15.4 ms). This set measured 55-62% and deadline
  // missed 305-390 of 6,400 jobs against EEVDF's 3,378-4,824 (README, "What this machine can
  // show"); the test keeps the set within what the machine can carry.
  std::string set;
  for (int i = 0; i < 2; ++i)
    absl::StrAppend(&set, i ? "," : "", "1000:5000,2000:10000,500:10000:2000");
  const std::string eevdf = TaskSetBesideHogs(set, "--policy=other", 4);
  std::string dl;
  std::string out = WithDeadline({}, [&] {
    dl = TaskSetBesideHogs(set, "--policy=scx_deadline --dl_overhead_us=500", 4);
  });
  const long jobs = JsonInt(dl, "jobs"), misses = JsonInt(dl, "misses");
  const long eevdf_misses = JsonInt(eevdf, "misses");
  ASSERT_GE(jobs, 1000) << dl;
  ASSERT_GE(eevdf_misses, 0) << eevdf;
  // Under TCG the host deschedules vCPUs for milliseconds (every policy misses then, the
  // kernel's SCHED_DEADLINE too): compare with EEVDF in the same boot, with a margin.
  EXPECT_LT(misses, eevdf_misses) << "deadline:\n" << dl << "\nEEVDF:\n" << eevdf;
  EXPECT_LT(JsonDouble(dl, "p99", dl.find("\"lateness_us\"")),
            JsonDouble(eevdf, "p99", eevdf.find("\"lateness_us\"")))
      << "deadline:\n"
      << dl << "\nEEVDF:\n"
      << eevdf;
  EXPECT_THAT(out, HasSubstr("admitted thread"));
  EXPECT_GE(FinalStat(out, "jobs"), 1000) << out;
  EXPECT_GE(FinalStat(out, "preempts"), 100) << out;  // Wakeups preempted the hogs.

  // The workload measures what each job really cost (its CPU time from the end of the
  // previous job, wakeup and switches included): never less than the runtime it burns, and
  // the set's measured utilisation never less than the declared 0.9 CPUs.
  for (const std::string* run : {&eevdf, static_cast<const std::string*>(&dl)}) {
    EXPECT_GE(JsonDouble(*run, "measured_utilization"), JsonDouble(*run, "utilization")) << *run;
    std::vector<long> runtime = PerTask(*run, "runtime_us");
    std::vector<double> cost = PerTaskDouble(*run, "cpu_mean_us");
    ASSERT_EQ(cost.size(), runtime.size()) << *run;
    for (size_t i = 0; i < cost.size(); ++i) {
      EXPECT_GE(cost[i], static_cast<double>(runtime[i])) << "task " << i << ": " << *run;
    }
  }
}

TEST_F(DeadlineVmTest, OverrunningTaskIsThrottledAndDoesNotMakeOthersMiss) {
  // Task 0 (2 ms every 10 ms) burns 4x its runtime in every job. Budgets are 2x the
  // runtime (--dl_slack=1), so that the host's vCPU stalls under TCG rarely make the
  // well-behaved tasks overrun: the overrunning task is then the only one. In the control run
  // task 0 uses 1.8x its runtime, nearly all of its budget: the others are promised their
  // deadlines against the whole reservation, and only what goes beyond it is under test.
  std::string control, overrun;
  std::string out_control = WithDeadline({}, [&] {
    control =
        TaskSetBesideHogs(kLightSet, "--policy=scx_deadline --dl_slack=1 --overrun=0:1.8", 4);
  });
  std::string out = WithDeadline({}, [&] {
    overrun = TaskSetBesideHogs(kLightSet, "--policy=scx_deadline --dl_slack=1 --overrun=0:4", 4);
  });
  std::vector<long> c = PerTaskMisses(control), o = PerTaskMisses(overrun);
  ASSERT_EQ(c.size(), 6u) << control;
  ASSERT_EQ(o.size(), 6u) << overrun;
  const std::vector<long> jobs = PerTask(overrun, "jobs");
  ASSERT_EQ(jobs.size(), 6u) << overrun;
  // The others keep being served while task 0 overruns: none misses more than a quarter of
  // its jobs. Under TCG they miss more than in the control, the task that shares task 0's
  // CPU (1 ms due in 5 ms) most: 70 of its 400 against 9 beside another VM's load; 68
  // against 3 in a quiet fresh-clone run, where the others' sum (114 against 5) crossed this
  // test's earlier bound, twice the control's sum + 100. That the budget is enforced is shown
  // by the scheduler's own counts below (overruns, throttles): with enforcement removed those
  // failed, while the others still missed only 0-23 of their jobs, so this check is a bound
  // on harm to the others, not the detector of enforcement.
  for (size_t i = 1; i < 6; ++i) {
    printf("task %zu: %ld of %ld jobs missed beside the overrun, %ld in the control\n", i, o[i],
           jobs[i], c[i]);
    EXPECT_LE(4 * o[i], jobs[i]) << "task " << i << " missed " << o[i] << " of " << jobs[i]
                                 << " jobs (control: " << c[i] << ")\ncontrol:\n"
                                 << control << "\nwith overrun:\n"
                                 << overrun;
  }
  EXPECT_GE(o[0], 200) << overrun;  // 400 jobs in 4 s; 8 ms of work per 4 ms budget.
  // The scheduler's own per-task view of task 0 (admitted first, printed when it exits).
  const size_t admitted = out.find("admitted thread ");
  ASSERT_NE(admitted, std::string::npos) << out;
  long tid = -1;
  ASSERT_TRUE(absl::SimpleAtoi(
      out.substr(admitted + 16, out.find(' ', admitted + 16) - admitted - 16), &tid));
  const size_t line = out.find(absl::StrCat("released: tid=", tid, " "));
  ASSERT_NE(line, std::string::npos) << out;
  const std::string task0 = out.substr(line, out.find('\n', line) - line);
  auto field = [&](const std::string& name) {
    const size_t p = task0.find(" " + name + "=");
    long v = -1;
    if (p != std::string::npos) {
      const size_t b = p + name.size() + 2;
      absl::SimpleAtoi(task0.substr(b, task0.find(' ', b) - b), &v);
    }
    return v;
  };
  EXPECT_GE(field("overruns"), 200) << task0;  // About one per period of 10 ms, 4 s.
  // Throttled when it overran before its next period began (by default it then runs as
  // best-effort, so some overruns end after the period and need no throttle).
  EXPECT_GE(field("throttles"), 50) << task0;
}

// --throttle=hold, the task alone on an idle machine: an admitted task that burns 5x its
// runtime gets no more than its budget per period. Alone on its CPU, a held task is that
// CPU's last runnable task; unless the scheduler sets SCX_OPS_ENQ_LAST the kernel keeps it
// running with fresh slices without calling ops.enqueue, so it is never held.
TEST_F(DeadlineVmTest, HeldTaskAloneGetsOnlyItsBudget) {
  const std::string cg = "/sys/fs/cgroup/dl-hold";
  mkdir(cg.c_str(), 0755);
  std::string json;
  std::string out = WithDeadline({"--throttle=hold"}, [&] {
    testing::RunResult r = RunCommand(
        {"/bin/sh", "-c",
         absl::StrCat("echo $$ > ", cg, "/cgroup.procs && exec ", kWl,
                      "/scxpp_rt_taskset --tasks=2000:10000 --duration_s=3 "
                      "--policy=scx_deadline --overrun=0:5")},
        absl::Seconds(60));
    EXPECT_EQ(r.status, 0) << r.output;
    json = LastJson(r.output);
  });
  const std::string stat = ReadFileTrimmed(cg + "/cpu.stat");
  long usage_us = -1;
  for (absl::string_view line : absl::StrSplit(stat, '\n')) {
    if (absl::ConsumePrefix(&line, "usage_usec ")) absl::SimpleAtoi(line, &usage_us);
  }
  rmdir(cg.c_str());
  ASSERT_GT(usage_us, 0) << stat;
  // Budget 2.4 ms (runtime x 1.2) per 10 ms: 0.24 CPU over the 3 s run, plus the workload's
  // start and end and the budget timer's lateness under TCG: 0.34-0.36 measured. Kept
  // running (no SCX_OPS_ENQ_LAST) it used 1.05 (seen to fail).
  const double cpus = usage_us / 1e6 / 3.0;
  printf("held task alone: %.3f CPUs (budget 0.24)\n", cpus);
  EXPECT_LT(cpus, 0.6) << json << out;
  EXPECT_GE(JsonInt(json, "jobs"), 200) << json;
}

TEST_F(DeadlineVmTest, OverUtilisedSetIsRefusedBeforeAnythingChanges) {
  std::string out = WithDeadline({}, [&] {
    // Three tasks of 0.8 each on 2 CPUs: 2.4 (2.88 with the budget slack) > 1.9.
    testing::RunResult r =
        RunCommand({kWl + "/scxpp_rt_taskset", "--policy=scx_deadline",
                    "--tasks=8000:10000,8000:10000,8000:10000", "--duration_s=1"},
                   absl::Seconds(60));
    EXPECT_EQ(r.status, 1) << r.output;
    EXPECT_THAT(r.output, HasSubstr("refused"));
    EXPECT_THAT(r.output, HasSubstr("over by"));
    testing::RunResult list = Ctl({"list"});
    EXPECT_EQ(list.status, 0) << list.output;
    EXPECT_EQ(list.output, "") << "something was admitted:\n" << list.output;
  });
  EXPECT_EQ(FinalStat(out, "jobs"), 0) << out;

  // The same through the daemon's own flags: refused before loading anything.
  std::vector<pid_t> kids;
  std::string tasks;
  for (int i = 0; i < 3; ++i) {
    kids.push_back(StartPeriodic(100000, 0, 20));
    absl::StrAppend(&tasks, i ? "," : "", kids.back(), ":8ms:10ms");
  }
  std::vector<std::string> argv = {SCXPP_DEADLINE_BIN, "--task=" + tasks};
  testing::RunResult r = RunCommand(argv, absl::Seconds(30));
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("startup set: refused"));
  EXPECT_THAT(r.output, HasSubstr("over by"));
  EXPECT_THAT(r.output, Not(HasSubstr("attached")));
  EXPECT_TRUE(SchedExtDisabled());
  for (pid_t k : kids) Reap(k);
}

TEST_F(DeadlineVmTest, ExitedThreadIsReleased) {
  std::string a, b, c;
  pid_t first = -1;
  std::string out = WithDeadline({}, [&] {
    pid_t k1 = StartPeriodic(10000, 100, 300), k2 = StartPeriodic(10000, 100, 300),
          k3 = StartPeriodic(10000, 100, 300);
    first = k1;
    ASSERT_EQ(Ctl({"admit", absl::StrCat(k1, ":8ms:10ms")}).status, 0);
    ASSERT_EQ(Ctl({"admit", absl::StrCat(k2, ":8ms:10ms")}).status, 0);
    testing::RunResult refused = Ctl({"admit", absl::StrCat(k3, ":8ms:10ms")});
    EXPECT_EQ(refused.status, 1) << refused.output;
    EXPECT_THAT(refused.output, HasSubstr("over by"));
    kill(k1, SIGKILL);
    Reap(k1);
    // The daemon notices the exit (ops.exit_task marks it; it polls every 100 ms).
    EXPECT_TRUE(WaitUntil(
        [&] {
          return Ctl({"list"}).output.find(absl::StrCat("tid=", k1, " ")) == std::string::npos;
        },
        absl::Seconds(5)));
    testing::RunResult now = Ctl({"admit", absl::StrCat(k3, ":8ms:10ms")});
    EXPECT_EQ(now.status, 0) << now.output;
    EXPECT_EQ(Ctl({"release", absl::StrCat(k2)}).status, 0);
    EXPECT_EQ(Ctl({"release", absl::StrCat(k2)}).status, 1);  // Not admitted any more.
    kill(k2, SIGKILL);
    kill(k3, SIGKILL);
    Reap(k2);
    Reap(k3);
  });
  EXPECT_THAT(out, HasSubstr(absl::StrCat("exited, reservation released: tid=", first, " ")));
}

TEST_F(DeadlineVmTest, SpawnAndCgroupRegisterTasks) {
  // --spawn: the command's thread is admitted; the daemon ends with the command.
  Subprocess spawn({SCXPP_DEADLINE_BIN, "--stats_interval=0", "--spawn=1ms:10ms", "--", "/bin/sh",
                    "-c", "i=0; while [ $i -lt 100 ]; do sleep 0.01; i=$((i+1)); done"});
  std::optional<int> st = spawn.Wait(absl::Seconds(60));
  EXPECT_EQ(st, 0) << spawn.output();
  EXPECT_THAT(spawn.output(), HasSubstr("spawned /bin/sh as thread"));
  EXPECT_THAT(spawn.output(), HasSubstr("spawned command exited (status 0)"));
  EXPECT_GE(FinalStat(spawn.output(), "jobs"), 50) << spawn.output();
  EXPECT_TRUE(WaitUntil(SchedExtDisabled, absl::Seconds(10)));

  // --cgroup: a thread already in the cgroup and one that joins later are both admitted.
  const std::string cg = "/sys/fs/cgroup/deadline-rt";
  mkdir(cg.c_str(), 0755);
  // 4 s of periods: it must still be running well after the daemon has attached (an
  // instrumented daemon took ~1.5 s, and with 2 s of periods the jobs counted fell short).
  pid_t early = StartPeriodic(10000, 100, 400, cg);
  ASSERT_TRUE(
      WaitUntil([&] { return ReadFileTrimmed(cg + "/cgroup.procs") != ""; }, absl::Seconds(5)));
  pid_t late = -1;
  std::string out = WithDeadline({absl::StrCat("--cgroup=", cg, ":1ms:10ms")}, [&] {
    late = StartPeriodic(10000, 100, 100, cg);
    Reap(early);
    Reap(late);
  });
  rmdir(cg.c_str());
  EXPECT_THAT(out, HasSubstr(absl::StrCat("admitted thread ", early, " ")));
  EXPECT_THAT(out, HasSubstr(absl::StrCat("admitted thread ", late, " of ", cg)));
  EXPECT_THAT(out, HasSubstr(absl::StrCat("exited, reservation released: tid=", early, " ")));
  EXPECT_GE(FinalStat(out, "jobs"), 150) << out;
}

TEST_F(DeadlineVmTest, BadParametersAreRefusedBeforeAttaching) {
  const std::string self = absl::StrCat(getpid());
  struct Case {
    std::vector<std::string> args;
    std::string message;
  } cases[] = {
      {{"--task=abc:1ms:10ms"}, "--task: 'abc' is not a thread id"},
      {{"--task=999999:1ms:10ms"}, "no thread 999999"},
      {{"--task=" + self + ":5ms:2ms"}, "runtime 5000 us is longer than the deadline 2000 us"},
      {{"--task=" + self + ":1ms:10ms:20ms"}, "deadline 20000 us is longer than the period"},
      {{"--task=" + self + ":1ms:10"}, "period: '10' has no unit"},
      {{"--cgroup=/tmp:1ms:10ms"}, "is not a cgroup v2 directory"},
      {{"--spawn=1ms:10ms"}, "--spawn needs a command"},
      {{"--capacity=1.5"}, "--capacity must be in (0, 1]"},
      {{"--placement=best"}, "unknown placement 'best'"},
      {{"--cpus=0,7"}, "CPU 7 is not online"},
      // The socket is made before attaching: a path that cannot be served changes nothing.
      {{"--socket=/nonexistent/dl.sock"}, "--socket: cannot create /nonexistent/dl.sock"},
      {{"--socket_group=no-such-group"}, "--socket_group: no group 'no-such-group'"},
      {{"--user_cpus=-1"}, "--user_cpus must be in"},
  };
  for (const Case& c : cases) {
    testing::ExpectRefusedBeforeAttaching(SCXPP_DEADLINE_BIN, c.args, c.message);
  }
  testing::RunResult bad = Ctl({"admit", self + ":5ms:2ms"});
  EXPECT_EQ(bad.status, 2) << bad.output;
  EXPECT_THAT(bad.output, HasSubstr("longer than the deadline"));
  testing::RunResult none = Ctl({"list"});  // No daemon: a clear error, not a hang.
  EXPECT_EQ(none.status, 1) << none.output;
  EXPECT_THAT(none.output, HasSubstr("is `deadline` running?"));
}

// What another local user can do to the socket (docs/reliability.md, "Who can do what"):
// clients that close before their answer, trickle their request or come a hundred at once
// neither end the daemon nor lose a reservation nor block others; only the socket's group
// connects (0660), a member admits and releases only its own threads, within --user_cpus.
TEST_F(DeadlineVmTest, SocketSurvivesHostileClientsAndChecksWhoAsks) {
  constexpr uid_t kUser = 1000, kNobody = 65534;
  constexpr gid_t kRtGroup = 4242;
  const pid_t root_rt = StartPeriodic(10000, 100, 3000);  // 30 s of periods, root's.
  const pid_t user_rt = StartPeriodic(10000, 100, 3000, "", kUser);
  const pid_t user_rt2 = StartPeriodic(10000, 100, 3000, "", kUser);
  std::string out = WithDeadline(
      {absl::StrCat("--socket_group=", kRtGroup), "--user_cpus=0.3",
       absl::StrCat("--task=", root_rt, ":1ms:10ms")},
      [&] {
        struct stat st {};
        EXPECT_EQ(stat("/run/scxpp-deadline.sock", &st), 0) << "no socket once attached";
        EXPECT_EQ(st.st_mode & 0777, 0660u);
        EXPECT_EQ(st.st_gid, kRtGroup);

        // Twenty clients that send a request and leave before the answer.
        for (int i = 0; i < 20; ++i) {
          const int fd = ConnectDaemon();
          ASSERT_GE(fd, 0) << std::strerror(-fd);
          ASSERT_EQ(write(fd, "list\n", 5), 5);
          shutdown(fd, SHUT_WR);
          close(fd);
        }
        testing::RunResult after = Ctl({"list"});
        ASSERT_EQ(after.status, 0) << "the daemon died of early-closing clients:\n" << after.output;
        EXPECT_THAT(after.output, HasSubstr(absl::StrCat("tid=", root_rt, " ")));

        // A trickle (a byte every 300 ms) is cut off, and others are served meanwhile.
        const int slow = ConnectDaemon();
        ASSERT_GE(slow, 0);
        bool cut_off = false, served_meanwhile = false;
        for (int i = 0; i < 30 && !cut_off; ++i) {  // 9 s at most.
          usleep(300'000);
          cut_off = send(slow, "l", 1, MSG_NOSIGNAL) != 1;
          if (i == 1) served_meanwhile = Ctl({"list"}).status == 0;
        }
        close(slow);
        EXPECT_TRUE(cut_off) << "the daemon kept reading a trickle for 9 s";
        EXPECT_TRUE(served_meanwhile);

        // A hundred clients open at once, all answered.
        std::vector<int> fds;
        for (int i = 0; i < 100; ++i) {
          const int fd = ConnectDaemon();
          ASSERT_GE(fd, 0) << i << ": " << std::strerror(-fd);
          ASSERT_EQ(write(fd, "li", 2), 2);
          fds.push_back(fd);
        }
        int answered = 0;
        for (int fd : fds) {
          (void)!write(fd, "st\n", 3);
          shutdown(fd, SHUT_WR);
        }
        for (int fd : fds) {
          std::string resp;
          char buf[4096];
          ssize_t n;
          while ((n = read(fd, buf, sizeof(buf))) > 0) resp.append(buf, static_cast<size_t>(n));
          answered += absl::EndsWith(resp, "ok\n") && resp.find(absl::StrCat("tid=", root_rt)) !=
                                                          std::string::npos;
          close(fd);
        }
        EXPECT_EQ(answered, 100);

        // Not in the group: refused in one line. In it: own threads only, within the limit.
        testing::RunResult outsider = RunCommand({SCXPP_DEADLINECTL_BIN, "list"}, absl::Seconds(30),
                                                 testing::Identity{.uid = kNobody, .gid = kNobody});
        EXPECT_EQ(outsider.status, 1) << outsider.output;
        EXPECT_THAT(outsider.output, HasSubstr("not allowed to use the deadline scheduler's socket"));
        auto member = [&](std::vector<std::string> args) {
          args.insert(args.begin(), SCXPP_DEADLINECTL_BIN);
          return RunCommand(args, absl::Seconds(30),
                            testing::Identity{.uid = kUser, .gid = kUser, .groups = {kRtGroup}});
        };
        testing::RunResult own = member({"admit", absl::StrCat(user_rt, ":2ms:10ms")});
        EXPECT_EQ(own.status, 0) << own.output;
        testing::RunResult theirs = member({"admit", absl::StrCat(getpid(), ":1ms:10ms")});
        EXPECT_EQ(theirs.status, 1) << theirs.output;
        EXPECT_THAT(theirs.output, HasSubstr("may register only its own threads"));
        testing::RunResult steal = member({"release", absl::StrCat(root_rt)});
        EXPECT_EQ(steal.status, 1) << steal.output;
        EXPECT_THAT(steal.output, HasSubstr("may release only its own threads"));
        testing::RunResult greedy = member({"admit", absl::StrCat(user_rt2, ":2ms:10ms")});
        EXPECT_EQ(greedy.status, 1) << greedy.output;  // 0.2 + 0.2 CPUs > --user_cpus=0.3.
        EXPECT_THAT(greedy.output, HasSubstr("the limit per user is 0.300"));
        EXPECT_EQ(member({"release", absl::StrCat(user_rt)}).status, 0);
        testing::RunResult now = member({"admit", absl::StrCat(user_rt2, ":2ms:10ms")});
        EXPECT_EQ(now.status, 0) << now.output;

        // Nothing lost: root's reservation is still there and still scheduled.
        testing::RunResult last = Ctl({"list"});
        EXPECT_THAT(last.output, HasSubstr(absl::StrCat("tid=", root_rt, " ")));
        EXPECT_THAT(last.output, HasSubstr(absl::StrCat("tid=", user_rt2, " ")));
      });
  EXPECT_THAT(out, HasSubstr(absl::StrCat("admitted thread ", user_rt2)));
  for (pid_t k : {root_rt, user_rt, user_rt2}) {
    kill(k, SIGKILL);
    Reap(k);
  }
  struct stat gone {};
  EXPECT_NE(stat("/run/scxpp-deadline.sock", &gone), 0) << "the socket outlived the daemon";
}

}  // namespace
}  // namespace scxpp

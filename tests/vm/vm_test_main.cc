// SPDX-License-Identifier: Apache-2.0
// main() of the VM test binary: refuses to run outside the VM, so a VM test can never pass
// by accident on a host without sched_ext (or harm a host that has it).
#include <dirent.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "tests/util/subprocess.h"

namespace {

// A /proc or /sys file's text, or "-" when it is empty or unreadable.
std::string Field(const std::string& path) {
  std::string s = scxpp::testing::ReadFileTrimmed(path);
  return s.empty() ? "-" : s;
}

// What the guest was doing when a test hung: the scheduler's state and every process's
// state, wait channel and kernel stack. Without it a hang ends as the VM's timeout with
// nothing said about which process waited on what.
void DumpGuestState() {
  std::fprintf(stderr, "sched_ext state: %s\n", Field("/sys/kernel/sched_ext/state").c_str());
  std::fprintf(stderr, "sched_ext root ops: %s\n",
               Field("/sys/kernel/sched_ext/root/ops").c_str());
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return;
  while (dirent* e = readdir(proc)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    const std::string dir = std::string("/proc/") + e->d_name;
    // Kernel threads have an empty cmdline; only the dozen of them that are not idle matter,
    // and those show up in the blocked state below.
    const std::string stat = scxpp::testing::ReadFileTrimmed(dir + "/stat");
    const size_t close = stat.rfind(')');
    const char state = close != std::string::npos && close + 2 < stat.size() ? stat[close + 2] : '?';
    std::string cmdline = scxpp::testing::ReadFileTrimmed(dir + "/cmdline");
    for (char& c : cmdline) c = c == '\0' ? ' ' : c;
    if (cmdline.empty() && state != 'D') continue;
    std::fprintf(stderr, "pid %s [%c] wchan=%s %s\n", e->d_name, state,
                 Field(dir + "/wchan").c_str(),
                 cmdline.empty() ? stat.substr(0, close + 1).c_str() : cmdline.c_str());
    const std::string stack = scxpp::testing::ReadFileTrimmed(dir + "/stack");
    if (!stack.empty() && state != 'S' && state != 'I') std::fprintf(stderr, "%s\n", stack.c_str());
  }
  closedir(proc);
}

// Fails the run when one test takes longer than SCXPP_VM_TEST_TIMEOUT seconds (default 300;
// the slowest test takes about 40 s under TCG), naming the test and dumping the guest, so a
// hang costs minutes and says where it was instead of ending as vm-run's timeout.
class PerTestWatchdog : public ::testing::EmptyTestEventListener {
 public:
  explicit PerTestWatchdog(int seconds) : limit_(seconds), thread_([this] { Watch(); }) {}
  ~PerTestWatchdog() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

  void OnTestStart(const ::testing::TestInfo& info) override {
    std::lock_guard<std::mutex> lock(mu_);
    name_ = std::string(info.test_suite_name()) + "." + info.name();
    deadline_ = std::chrono::steady_clock::now() + limit_;
    armed_ = true;
    cv_.notify_all();
  }
  void OnTestEnd(const ::testing::TestInfo&) override {
    std::lock_guard<std::mutex> lock(mu_);
    armed_ = false;
    cv_.notify_all();
  }

 private:
  void Watch() {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stop_) {
      if (!armed_) {
        cv_.wait(lock);
        continue;
      }
      if (cv_.wait_until(lock, deadline_) == std::cv_status::timeout && armed_ &&
          std::chrono::steady_clock::now() >= deadline_) {
        std::fprintf(stderr, "\n[  HUNG    ] %s: still running after %lld s; the guest:\n",
                     name_.c_str(), static_cast<long long>(limit_.count()));
        DumpGuestState();
        std::fprintf(stderr, "[  FAILED  ] %s (hung)\n", name_.c_str());
        std::fflush(nullptr);
        _exit(1);
      }
    }
  }

  const std::chrono::seconds limit_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool armed_ = false;
  std::string name_;
  std::chrono::steady_clock::time_point deadline_;
  std::thread thread_;  // last: starts after the fields it reads
};

// Run only by vm.watchdog (tests/CMakeLists.txt), which checks that the watchdog names it.
TEST(VmTestWatchdog, DISABLED_HangsUntilTheWatchdogEndsTheRun) {
  std::this_thread::sleep_for(std::chrono::hours(1));
}

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  const char* in_vm = std::getenv("SCXPP_IN_VM");
  if (in_vm == nullptr || std::strcmp(in_vm, "1") != 0) {
    std::fprintf(stderr,
                 "scxpp VM tests load real schedulers and must run inside the test VM:\n"
                 "  scripts/vm-run --bin %s -- %s\n"
                 "(or `ctest -L vm` from the build directory)\n", argv[0], argv[0]);
    return 2;
  }
  int limit = 300;
  if (const char* s = std::getenv("SCXPP_VM_TEST_TIMEOUT"); s != nullptr && std::atoi(s) > 0) {
    limit = std::atoi(s);
  }
  // gtest owns listeners it is given and deletes them after RUN_ALL_TESTS's caller returns;
  // released here so the watchdog thread is joined before main returns.
  auto* watchdog = new PerTestWatchdog(limit);
  ::testing::UnitTest::GetInstance()->listeners().Append(watchdog);
  const int rc = RUN_ALL_TESTS();
  delete ::testing::UnitTest::GetInstance()->listeners().Release(watchdog);
  if (::testing::UnitTest::GetInstance()->test_to_run_count() == 0) {
    std::fprintf(stderr, "no VM test matches the filter: refusing to pass vacuously\n");
    return 3;
  }
  return rc;
}

// SPDX-License-Identifier: Apache-2.0
// Test helper for VM tests: run a scheduler binary around a piece of test code.
#ifndef SCXPP_TESTS_UTIL_WITH_SCHEDULER_H_
#define SCXPP_TESTS_UTIL_WITH_SCHEDULER_H_

#include <signal.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/util/sched_events.h"
#include "tests/util/subprocess.h"

namespace scxpp::testing {

// Starts `bin` (a scxpp runner binary) with --stats_interval=0 and `flags`, waits until it
// says "attached", runs `body`, checks the scheduler was not ejected meanwhile, stops it
// with SIGINT and checks a clean exit and detach, and that the kernel counted no event that
// means a scheduler bug meanwhile (ExpectNoSchedulerBugEvents). Returns its whole output (with
// the "final:" stats line FinalStat() reads). Failures are reported as test failures.
inline std::string WithScheduler(const std::string& bin, const std::vector<std::string>& flags,
                                 const std::function<void()>& body) {
  std::vector<std::string> argv = {bin, "--stats_interval=0"};
  argv.insert(argv.end(), flags.begin(), flags.end());
  Subprocess sched(argv);
  if (!sched.WaitForOutput("attached", absl::Seconds(30))) {
    ADD_FAILURE() << bin << " did not attach:\n" << sched.output();
    return sched.output();
  }
  const std::map<std::string, int64_t> events = ReadSchedExtEvents();
  body();
  EXPECT_EQ(ReadFileTrimmed("/sys/kernel/sched_ext/state"), "enabled")
      << bin << " was ejected:\n" << sched.output();
  ExpectNoSchedulerBugEvents(events, ReadSchedExtEvents(), bin);
  sched.Signal(SIGINT);
  std::optional<int> status = sched.Wait(absl::Seconds(30));
  EXPECT_EQ(status, 0) << sched.output();
  EXPECT_TRUE(WaitUntil(SchedExtDisabled, absl::Seconds(10)));
  return sched.output();
}

// Runs `bin` with `args` and expects it to refuse them before attaching: exit status
// `status` (2, kExitStartFailed, for the scheduler's own checks; 1 for a value absl's flag
// parser rejects), `message` in its output, no "attached", sched_ext still disabled.
inline void ExpectRefusedBeforeAttaching(const std::string& bin,
                                         const std::vector<std::string>& args,
                                         const std::string& message, int status = 2) {
  std::vector<std::string> argv = {bin};
  argv.insert(argv.end(), args.begin(), args.end());
  const std::string what = args.empty() ? bin : args[0];
  RunResult r = RunCommand(argv, absl::Seconds(30));
  ASSERT_TRUE(r.status.has_value()) << what << " did not exit";
  EXPECT_EQ(*r.status, status) << what << ": " << r.output;
  EXPECT_NE(r.output.find(message), std::string::npos)
      << what << ": no \"" << message << "\" in:\n" << r.output;
  EXPECT_EQ(r.output.find("attached"), std::string::npos) << what << ": " << r.output;
  EXPECT_TRUE(SchedExtDisabled()) << what;
}

}  // namespace scxpp::testing

#endif  // SCXPP_TESTS_UTIL_WITH_SCHEDULER_H_

// SPDX-License-Identifier: Apache-2.0
// Test helper for VM tests: the kernel's sched_ext event counters around a scheduler's run.
#ifndef SCXPP_TESTS_UTIL_SCHED_EVENTS_H_
#define SCXPP_TESTS_UTIL_SCHED_EVENTS_H_

#include <cstdint>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace scxpp::testing {

// The attached scheduler's event counters, from /sys/kernel/sched_ext/root/events ("NAME
// value" lines, counted since that scheduler was enabled; the file exists only while one is
// attached, from kernel 6.15). Empty when there is no such file.
inline std::map<std::string, int64_t> ReadSchedExtEvents() {
  std::map<std::string, int64_t> events;
  std::ifstream in("/sys/kernel/sched_ext/root/events");
  std::string name;
  int64_t value = 0;
  while (in >> name >> value) events[name] = value;
  return events;
}

// Counters whose growth means the scheduler did something wrong, not that the kernel took a
// normal path (keeping the last task, skipping an exiting one, the bypass of attach and
// detach): a task was dispatched to the local DSQ of an offline CPU (a test without hotplug
// has none); ops.select_cpu() returned a CPU the task may not use, or ops.enqueue sent a
// waking task straight into another CPU's local DSQ (the kernel counts that as a fallback
// too: docs/reliability.md, lowlat's preemption); a task was inserted by a scheduler that
// did not own it. Each falls back silently, so only the counter shows it.
inline constexpr const char* kSchedulerBugEvents[] = {
    "SCX_EV_DISPATCH_LOCAL_DSQ_OFFLINE",
    "SCX_EV_SELECT_CPU_FALLBACK",
    "SCX_EV_INSERT_NOT_OWNED",
};

// Prints the counters that grew between `before` and `after` (both read while the same
// scheduler was attached) and fails the test if one of kSchedulerBugEvents did. A kernel
// without the file (older than 6.15) says so once in the output and checks nothing.
inline void ExpectNoSchedulerBugEvents(const std::map<std::string, int64_t>& before,
                                       const std::map<std::string, int64_t>& after,
                                       const std::string& what) {
  if (after.empty()) {
    std::cout << "[ info ] " << what << ": this kernel has no sched_ext event counters\n";
    return;
  }
  std::ostringstream grew;
  for (const auto& [name, value] : after) {
    const auto it = before.find(name);
    const int64_t delta = value - (it == before.end() ? 0 : it->second);
    if (delta != 0) grew << " " << name << "=" << delta;
  }
  std::cout << "[ info ] " << what << " events:" << (grew.str().empty() ? " none" : grew.str())
            << "\n";
  for (const char* name : kSchedulerBugEvents) {
    const auto a = after.find(name);
    if (a == after.end()) continue;  // not counted by this kernel
    const auto b = before.find(name);
    EXPECT_EQ(a->second - (b == before.end() ? 0 : b->second), 0)
        << what << ": the kernel counted " << name << " (a scheduler bug it fell back from)";
  }
}

}  // namespace scxpp::testing

#endif  // SCXPP_TESTS_UTIL_SCHED_EVENTS_H_

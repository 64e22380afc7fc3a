// SPDX-License-Identifier: Apache-2.0
#include "scxpp/spawn.h"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace scxpp {
namespace {

std::optional<int> WaitFor(HeldChild& c) {
  for (int i = 0; i < 500; ++i) {
    if (std::optional<int> s = c.Poll()) return s;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return std::nullopt;
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(HeldChildTest, RunsNothingUntilReleased) {
  const std::string marker = testing::TempDir() + "/held_child_marker";
  std::remove(marker.c_str());
  absl::StatusOr<HeldChild> c = HeldChild::Start({"/bin/sh", "-c", "echo ran > " + marker + "; exit 7"});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_GT(c->pid(), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(c->Poll(), std::nullopt);
  EXPECT_EQ(access(marker.c_str(), F_OK), -1) << "the command ran before Release()";
  ASSERT_TRUE(c->Release().ok());
  EXPECT_EQ(WaitFor(*c), 7);
  EXPECT_EQ(Slurp(marker), "ran\n");
  EXPECT_EQ(c->Release().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(HeldChildTest, NeverReleasedChildIsKilledAndReaped) {
  pid_t pid;
  {
    absl::StatusOr<HeldChild> c = HeldChild::Start({"/bin/sleep", "60"});
    ASSERT_TRUE(c.ok()) << c.status();
    pid = c->pid();
  }
  EXPECT_EQ(kill(pid, 0), -1) << "the held child outlived its HeldChild";
}

TEST(HeldChildTest, CommandThatCannotRunExits127) {
  absl::StatusOr<HeldChild> c = HeldChild::Start({"/nonexistent/command"});
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_TRUE(c->Release().ok());
  EXPECT_EQ(WaitFor(*c), 127);
  EXPECT_EQ(HeldChild::Start({}).status().code(), absl::StatusCode::kInvalidArgument);
}

// The runner blocks SIGINT and SIGTERM; the command must not inherit that.
TEST(HeldChildTest, ChildStartsWithNoSignalBlocked) {
  sigset_t block, old;
  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  sigaddset(&block, SIGINT);
  ASSERT_EQ(pthread_sigmask(SIG_BLOCK, &block, &old), 0);
  const std::string out = testing::TempDir() + "/held_child_sigblk";
  absl::StatusOr<HeldChild> c =
      HeldChild::Start({"/bin/sh", "-c", "grep SigBlk /proc/self/status > " + out});
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_TRUE(c->Release().ok());
  ASSERT_EQ(WaitFor(*c), 0);
  EXPECT_THAT(Slurp(out), testing::MatchesRegex("SigBlk:\\s+0+\n"));
}

}  // namespace
}  // namespace scxpp

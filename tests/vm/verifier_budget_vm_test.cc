// SPDX-License-Identifier: Apache-2.0
// How much work the kernel's verifier does to load each reference scheduler. The verifier
// walks every path through a program, up to 1M instructions in all; a loop whose branches
// keep states from merging (a running minimum kept on the stack, say) multiplies that. Such
// a program still loads, but slowly (a minute under TCG, where the runner attached after its
// benchmark cell had ended), and a kernel whose verifier looks a little further rejects it
// (E2BIG). This test prints every program's count and fails on one over a quarter of the
// limit, long before a user meets either. Runs inside scripts/vm-run.
#include <bpf/bpf.h>
#include <signal.h>
#include <unistd.h>

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/util/subprocess.h"

namespace scxpp {
namespace {

using testing::SchedExtDisabled;

// The verifier's own limit (BPF_COMPLEXITY_LIMIT_INSNS) and the share of it a program may use.
constexpr uint32_t kVerifierLimit = 1000000;
constexpr uint32_t kBudget = kVerifierLimit / 4;

struct Prog {
  uint32_t id;
  std::string name;
  uint32_t verified_insns;
};

// Every BPF program loaded now, with its name and verified instruction count.
std::vector<Prog> LoadedPrograms() {
  std::vector<Prog> progs;
  uint32_t id = 0;
  while (bpf_prog_get_next_id(id, &id) == 0) {
    const int fd = bpf_prog_get_fd_by_id(id);
    if (fd < 0) continue;  // unloaded meanwhile
    bpf_prog_info info = {};
    uint32_t len = sizeof(info);
    if (bpf_prog_get_info_by_fd(fd, &info, &len) == 0) {
      progs.push_back({id, info.name, info.verified_insns});
    }
    close(fd);
  }
  return progs;
}

class VerifierBudgetVmTest : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override { ASSERT_TRUE(SchedExtDisabled()); }
};

TEST_P(VerifierBudgetVmTest, EveryProgramVerifiesWellInsideTheLimit) {
  const std::string bin = GetParam();
  std::set<uint32_t> before;
  for (const Prog& p : LoadedPrograms()) before.insert(p.id);
  // Not WithScheduler's 30 s: a program this test exists to catch takes minutes to load,
  // and the count it then reports is the useful part of the failure.
  testing::Subprocess sched({bin, "--stats_interval=0"});
  const bool attached = sched.WaitForOutput("attached", absl::Seconds(300));
  std::vector<Prog> mine;
  for (const Prog& p : LoadedPrograms()) {
    if (!before.count(p.id)) mine.push_back(p);
  }
  sched.Signal(SIGINT);
  EXPECT_EQ(sched.Wait(absl::Seconds(60)), 0) << sched.output();
  ASSERT_TRUE(attached) << bin << " did not attach in 300 s:\n" << sched.output();
  EXPECT_TRUE(testing::WaitUntil(SchedExtDisabled, absl::Seconds(10)));
  // A scheduler has at least its struct_ops callbacks; none found means the count is broken.
  ASSERT_GE(mine.size(), 3u) << bin << ": its programs were not found";
  uint32_t total = 0;
  for (const Prog& p : mine) {
    std::printf("  %-16s %8u verified instructions\n", p.name.c_str(), p.verified_insns);
    total += p.verified_insns;
    EXPECT_LE(p.verified_insns, kBudget)
        << bin << ": " << p.name << " took " << p.verified_insns << " of the verifier's "
        << kVerifierLimit << " instructions; simplify the branches inside its loops (keep a "
        << "value that changes every iteration in a map, not on the stack)";
  }
  EXPECT_GT(total, 0u) << bin << ": every count is 0 (verified_insns needs Linux 5.16+)";
  std::printf("  %-16s %8u in all\n", "", total);
}

// Every reference scheduler in examples/schedulers.txt: {name, binary} entries that
// tests/CMakeLists.txt generates.
struct ExampleEntry {
  const char* name;
  const char* bin;
};
constexpr ExampleEntry kExamples[] = {
#include "scxpp_schedulers.inc"
};

std::vector<const char*> ExampleBins() {
  std::vector<const char*> bins;
  for (const ExampleEntry& e : kExamples) bins.push_back(e.bin);
  return bins;
}

INSTANTIATE_TEST_SUITE_P(Examples, VerifierBudgetVmTest, ::testing::ValuesIn(ExampleBins()),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           std::string name = info.param;
                           return name.substr(name.rfind('/') + 1);
                         });

}  // namespace
}  // namespace scxpp

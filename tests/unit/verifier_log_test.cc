// SPDX-License-Identifier: Apache-2.0
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/internal/libbpf_errors.h"

namespace scxpp::internal {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(VerifierLogTest, KeepsFailingInstructionErrorAndStats) {
  std::vector<std::string> log = {
      "libbpf: prog 'bad_enqueue': BPF program load failed: -EACCES",
      "libbpf: prog 'bad_enqueue': -- BEGIN PROG LOAD LOG --",
      "0: R1=ctx() R10=fp0",
      "0: (79) r6 = *(u64 *)(r1 +0)",
      "1: (b7) r1 = 0",
      "8: (85) call bpf_map_lookup_elem#1",
      "9: (15) if r0 == 0x0 goto pc+3",
      "10: (79) r1 = *(u64 *)(r0 +8)",
      "invalid access to map value, value_size=8 off=8 size=8",
      "R0 min value is outside of the allowed memory range",
      "",
      "  bad_enqueue @ badverifier.bpf.c:14:6",
      "Suggestion:",
      "  Add or adjust a bounds check.",
      "processed 10 insns (limit 1000000) max_states_per_insn 0 total_states 0",
      "-- END PROG LOAD LOG --",
      "libbpf: failed to load object 'badverifier'",
  };
  std::string s = VerifierLogSummary(log);
  EXPECT_THAT(s, HasSubstr("10: (79) r1 = *(u64 *)(r0 +8)"));
  EXPECT_THAT(s, HasSubstr("invalid access to map value, value_size=8 off=8 size=8"));
  EXPECT_THAT(s, HasSubstr("R0 min value is outside"));
  EXPECT_THAT(s, HasSubstr("processed 10 insns"));
  EXPECT_THAT(s, Not(HasSubstr("Suggestion")));
}

TEST(VerifierLogTest, FallsBackToTheTailOfOtherLogs) {
  std::vector<std::string> log;
  for (int i = 0; i < 40; ++i) log.push_back("line " + std::to_string(i));
  std::string s = VerifierLogSummary(log);
  EXPECT_THAT(s, HasSubstr("line 39"));
  EXPECT_THAT(s, Not(HasSubstr("line 14\n")));
}

}  // namespace
}  // namespace scxpp::internal

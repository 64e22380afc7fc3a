// SPDX-License-Identifier: Apache-2.0
#include "scxpp/stats.h"

#include "gtest/gtest.h"
#include "scxpp/bpf/stats_common.h"

#define TEST_STATS(X)                 \
  X(FOO, "foo", "foo events")          \
  X(BAR, "bar", "bar events")          \
  X(BAZ, "baz", "baz events")
SCXPP_STATS_ENUM(test_stat, TEST_STATS);

namespace scxpp {
namespace {

TEST(StatsTest, OneListYieldsEnumAndDescriptions) {
  EXPECT_EQ(SCXPP_STAT_FOO, 0);
  EXPECT_EQ(SCXPP_STAT_BAZ, 2);
  EXPECT_EQ(SCXPP_NR_STATS, 3);
  std::vector<StatDesc> d = SCXPP_STATS_DESCS(TEST_STATS);
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(d[1].name, "bar");
  EXPECT_EQ(d[2].description, "baz events");
}

TEST(StatsTest, TextShowsTotalsAndDeltas) {
  std::vector<StatDesc> d = SCXPP_STATS_DESCS(TEST_STATS);
  StatsSample prev{absl::UnixEpoch(), {1, 2, 3}};
  StatsSample now{absl::UnixEpoch() + absl::Seconds(1), {11, 2, 30}};
  EXPECT_EQ(FormatStatsText(d, now, nullptr), "foo=11 bar=2 baz=30");
  EXPECT_EQ(FormatStatsText(d, now, &prev), "foo=11(+10) bar=2(+0) baz=30(+27)");
}

TEST(StatsTest, JsonIsOneObjectPerSample) {
  std::vector<StatDesc> d = SCXPP_STATS_DESCS(TEST_STATS);
  StatsSample now{absl::FromUnixSeconds(1700000000), {1, 2, 3}};
  EXPECT_EQ(FormatStatsJson(d, now), "{\"ts\":1700000000.000,\"foo\":1,\"bar\":2,\"baz\":3}");
}

}  // namespace
}  // namespace scxpp

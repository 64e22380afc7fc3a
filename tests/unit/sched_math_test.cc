// SPDX-License-Identifier: Apache-2.0
// The BPF side's scheduling arithmetic and DSQ-id plan, compiled and tested on the host.
#include <cstdint>

#include "gtest/gtest.h"
#include "scxpp/bpf/dsq_plan_common.h"
#include "scxpp/bpf/sched_math_common.h"

namespace {

constexpr uint64_t kMs = 1000 * 1000;

TEST(SchedMathTest, TimeBeforeIsWrapSafe) {
  EXPECT_TRUE(scxpp_time_before(1, 2));
  EXPECT_FALSE(scxpp_time_before(2, 1));
  EXPECT_FALSE(scxpp_time_before(5, 5));
  EXPECT_TRUE(scxpp_time_before(UINT64_MAX - 10, 5));  // 5 comes after the wrap
  EXPECT_EQ(scxpp_time_max(UINT64_MAX - 10, 5), 5u);
}

TEST(SchedMathTest, VtimeScalesInverselyWithWeight) {
  EXPECT_EQ(scxpp_vtime_delta(10 * kMs, 100), 10 * kMs);  // nice 0: 1:1
  EXPECT_EQ(scxpp_vtime_delta(10 * kMs, 200), 5 * kMs);   // twice the weight, half the aging
  EXPECT_EQ(scxpp_vtime_delta(10 * kMs, 50), 20 * kMs);
  // Out-of-range weights are clamped, never divide by zero.
  EXPECT_EQ(scxpp_vtime_delta(10 * kMs, 0), 10 * kMs * 100);
  EXPECT_EQ(scxpp_vtime_delta(10 * kMs, 20000), 10 * kMs / 100);
}

TEST(SchedMathTest, WeightedVtimeGivesProportionalShares) {
  // Two always-runnable tasks of weights 100 and 300; run whoever has the lower vtime for
  // 1 ms at a time: CPU time splits 1:3.
  uint64_t vt[2] = {0, 0}, ran[2] = {0, 0};
  const uint32_t w[2] = {100, 300};
  for (int i = 0; i < 4000; ++i) {
    int t = scxpp_time_before(vt[1], vt[0]) ? 1 : 0;
    vt[t] += scxpp_vtime_delta(kMs, w[t]);
    ran[t] += kMs;
  }
  EXPECT_NEAR(static_cast<double>(ran[1]) / ran[0], 3.0, 0.01);
}

TEST(SchedMathTest, LagClampLimitsBankedCredit) {
  const uint64_t now = 1000 * kMs, lag = 20 * kMs;
  EXPECT_EQ(scxpp_vtime_clamp_lag(10 * kMs, now, lag), now - lag);       // slept long: floor
  EXPECT_EQ(scxpp_vtime_clamp_lag(now - kMs, now, lag), now - kMs);      // within the lag
  EXPECT_EQ(scxpp_vtime_clamp_lag(now + kMs, now, lag), now + kMs);      // ahead: unchanged
  EXPECT_EQ(scxpp_vtime_clamp_lag(0, 5 * kMs, lag), 0u);                 // no floor yet
}

TEST(SchedMathTest, DeadlinesOrderShortRequestsFirst) {
  EXPECT_LT(scxpp_vdeadline(100, 1 * kMs, 100), scxpp_vdeadline(100, 5 * kMs, 100));
  EXPECT_EQ(scxpp_vdeadline(0, 4 * kMs, 200), 2 * kMs);
  EXPECT_EQ(scxpp_abs_deadline(7 * kMs, 3 * kMs), 10 * kMs);
}

TEST(SchedMathTest, SliceShrinksUnderContentionButNotBelowMin) {
  EXPECT_EQ(scxpp_slice_scaled(20 * kMs, 0, kMs), 20 * kMs);
  EXPECT_EQ(scxpp_slice_scaled(20 * kMs, 3, kMs), 5 * kMs);
  EXPECT_EQ(scxpp_slice_scaled(20 * kMs, 100, kMs), kMs);
}

TEST(SchedMathTest, EwmaConvergesAndIsExactForEqualInputs) {
  uint64_t avg = 0;
  for (int i = 0; i < 200; ++i) avg = scxpp_ewma(avg, 1000, 3);
  EXPECT_NEAR(static_cast<double>(avg), 1000.0, 8.0);
  EXPECT_EQ(scxpp_ewma(500, 500, 3), 500u);
  EXPECT_EQ(scxpp_ewma(800, 0, 1), 400u);
  EXPECT_EQ(scxpp_ewma(0, 800, 2), 200u);
}

TEST(DsqPlanTest, IdsEncodeKindAndIndexAndStayUserDsqs) {
  const uint64_t id = SCXPP_DSQ_ID(SCXPP_DSQ_LLC, 3);
  EXPECT_EQ(SCXPP_DSQ_KIND_OF(id), static_cast<uint32_t>(SCXPP_DSQ_LLC));
  EXPECT_EQ(SCXPP_DSQ_INDEX_OF(id), 3u);
  EXPECT_EQ(id >> 63, 0u) << "bit 63 marks built-in DSQs; plan ids must not set it";
  EXPECT_NE(SCXPP_DSQ_ID(SCXPP_DSQ_CPU, 3), SCXPP_DSQ_ID(SCXPP_DSQ_LLC, 3));
  EXPECT_EQ(SCXPP_DSQ_INDEX_OF(SCXPP_DSQ_ID(SCXPP_DSQ_TENANT, 0xffffffffu)), 0xffffffffu);
}

}  // namespace

// SPDX-License-Identifier: Apache-2.0
// The deadline scheduler's admission control (examples/deadline/admission.h): parsing and
// validation of reservations, the exact EDF processor-demand test, and partitioning.
#include "admission.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace scxpp::deadline {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kUs = 1'000;

TaskParams P(int64_t c_ms, int64_t d_ms, int64_t t_ms) {
  return {.runtime_ns = c_ms * kMs, .deadline_ns = d_ms * kMs, .period_ns = t_ms * kMs};
}

TEST(DeadlineParseTest, DurationsNeedUnits) {
  EXPECT_EQ(*ParseDuration("500us"), 500 * kUs);
  EXPECT_EQ(*ParseDuration("2.5ms"), 2500 * kUs);
  EXPECT_EQ(*ParseDuration("1s"), 1000 * kMs);
  EXPECT_EQ(*ParseDuration("750ns"), 750);
  EXPECT_THAT(ParseDuration("1000").status().message(), HasSubstr("has no unit"));
  EXPECT_THAT(ParseDuration("-1ms").status().message(), HasSubstr("not a positive duration"));
  EXPECT_THAT(ParseDuration("xms").status().message(), HasSubstr("not a positive duration"));
}

TEST(DeadlineParseTest, ReservationsAreValidated) {
  EXPECT_EQ(*ParseTaskParams("2ms:10ms"), P(2, 10, 10));
  EXPECT_EQ(*ParseTaskParams("2ms:10ms:5ms"), P(2, 5, 10));
  EXPECT_THAT(ParseTaskParams("5ms:10ms:2ms").status().message(),
              HasSubstr("runtime 5000 us is longer than the deadline 2000 us"));
  EXPECT_THAT(ParseTaskParams("1ms:10ms:20ms").status().message(),
              HasSubstr("deadline 20000 us is longer than the period 10000 us"));
  EXPECT_THAT(ParseTaskParams("5us:1ms").status().message(), HasSubstr("below the minimum"));
  EXPECT_THAT(ParseTaskParams("1ms:20s").status().message(), HasSubstr("above the maximum"));
  EXPECT_THAT(ParseTaskParams("1ms").status().message(), HasSubstr("runtime:period[:deadline]"));
  EXPECT_THAT(ParseTaskParams("1ms:10").status().message(), HasSubstr("period: '10' has no unit"));
}

TEST(DeadlineDemandTest, ImplicitDeadlinesAreUtilisationBound) {
  EXPECT_TRUE(EdfDemandTest({P(5, 10, 10), P(10, 20, 20)}, 1.0).schedulable);  // U = 1
  DemandCheck over = EdfDemandTest({P(5, 10, 10), P(11, 20, 20)}, 1.0);        // U = 1.05
  EXPECT_FALSE(over.schedulable);
  EXPECT_EQ(over.t_ns, 0);
  EXPECT_NEAR(over.Overload(), 0.05, 1e-9);
  EXPECT_FALSE(EdfDemandTest({P(5, 10, 10), P(10, 20, 20)}, 0.9).schedulable);
}

TEST(DeadlineDemandTest, ConstrainedDeadlinesUseTheDemandBound) {
  // U = 0.4, but two jobs due within 3 ms need 4 ms: refused at t = 3 ms.
  DemandCheck d = EdfDemandTest({P(2, 2, 10), P(2, 3, 10)}, 1.0);
  EXPECT_FALSE(d.schedulable);
  EXPECT_TRUE(d.exact);
  EXPECT_EQ(d.t_ns, 3 * kMs);
  EXPECT_DOUBLE_EQ(d.demand, 4.0 * kMs);
  // Density 1.5 > 1 (the density test would refuse), yet dbf(t) <= t everywhere.
  DemandCheck ok = EdfDemandTest({P(2, 2, 10), P(3, 6, 10)}, 1.0);
  EXPECT_TRUE(ok.schedulable);
  EXPECT_TRUE(ok.exact);
}

TEST(DeadlineAdmissionTest, WorstFitSpreadsFirstFitPacks) {
  std::vector<Request> set;
  for (int i = 0; i < 4; ++i) set.push_back({.id = 10 + i, .params = P(3, 10, 10)});
  Admission spread({0, 1}, 0.95, Placement::kWorstFit);
  EXPECT_THAT(*spread.AdmitSet(set), ElementsAre(0, 1, 0, 1));
  Admission pack({0, 1}, 0.95, Placement::kFirstFit);
  EXPECT_THAT(*pack.AdmitSet(set), ElementsAre(0, 0, 0, 1));
  EXPECT_NEAR(pack.Utilization(0), 0.9, 1e-9);
}

TEST(DeadlineAdmissionTest, OverUtilisedSetIsRefusedWholeAndSaysByHowMuch) {
  Admission a({0, 1}, 0.95, Placement::kWorstFit);
  ASSERT_TRUE(
      a.AdmitSet({{.id = 1, .params = P(8, 10, 10)}, {.id = 2, .params = P(7, 10, 10)}}).ok());
  // 1.5 admitted + 0.6 asked > 1.9 available: over by 0.2 CPUs.
  absl::StatusOr<std::vector<int>> r =
      a.AdmitSet({{.id = 3, .params = P(3, 10, 10)}, {.id = 4, .params = P(3, 10, 10)}});
  ASSERT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(r.status().message(), HasSubstr("over by 0.200 CPUs"));
  EXPECT_EQ(a.size(), 2u);  // Nothing of the refused set was kept.
  EXPECT_FALSE(a.Contains(3));
  EXPECT_NEAR(a.Utilization(0) + a.Utilization(1), 1.5, 1e-9);
}

TEST(DeadlineAdmissionTest, SetThatFitsInTotalButNotInPartitionsIsRefused) {
  Admission a({0, 1}, 0.95, Placement::kWorstFit);
  // 3 x 0.6 = 1.8 <= 1.9, but no CPU can hold two of them.
  absl::StatusOr<std::vector<int>> r = a.AdmitSet({{.id = 1, .params = P(6, 10, 10)},
                                                   {.id = 2, .params = P(6, 10, 10)},
                                                   {.id = 3, .params = P(6, 10, 10)}});
  ASSERT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(r.status().message(), HasSubstr("fits on no CPU"));
  EXPECT_THAT(r.status().message(), HasSubstr("utilisation would reach 1.200 > capacity 0.95"));
  EXPECT_THAT(r.status().message(), HasSubstr("over by 26.3%"));
  EXPECT_EQ(a.size(), 0u);
}

TEST(DeadlineAdmissionTest, ReleaseFreesTheReservation) {
  Admission a({0}, 1.0, Placement::kWorstFit);
  ASSERT_TRUE(a.AdmitSet({{.id = 7, .params = P(6, 10, 10)}}).ok());
  EXPECT_FALSE(a.AdmitSet({{.id = 8, .params = P(6, 10, 10)}}).ok());
  EXPECT_TRUE(a.Release(7));
  EXPECT_FALSE(a.Release(7));
  EXPECT_TRUE(a.AdmitSet({{.id = 8, .params = P(6, 10, 10)}}).ok());
}

TEST(DeadlineAdmissionTest, JitterToleranceShortensTheAnalysedPeriod) {
  Admission exact({0}, 1.0, Placement::kWorstFit, 0.0);
  Admission tolerant({0}, 1.0, Placement::kWorstFit, 0.1);
  EXPECT_EQ(tolerant.Analysed(P(9, 10, 10)), (TaskParams{9 * kMs, 10 * kMs, 9 * kMs}));
  EXPECT_EQ(tolerant.JitterNs(10 * kMs), 1 * kMs);
  // 9.5 ms every 10 ms fits one CPU exactly, but not every 9 ms.
  const TaskParams p{.runtime_ns = 9500 * kUs, .deadline_ns = 10 * kMs, .period_ns = 10 * kMs};
  EXPECT_TRUE(exact.AdmitSet({{.id = 1, .params = p}}).ok());
  EXPECT_FALSE(tolerant.AdmitSet({{.id = 1, .params = p}}).ok());
  EXPECT_TRUE(tolerant.AdmitSet({{.id = 2, .params = P(9, 10, 10)}}).ok());
}

TEST(DeadlineAdmissionTest, AffinityAndDuplicatesAreHonoured) {
  Admission a({0, 1}, 0.95, Placement::kWorstFit);
  EXPECT_THAT(*a.AdmitSet({{.id = 1, .params = P(1, 10, 10), .allowed_cpus = {1}}}),
              ElementsAre(1));
  EXPECT_THAT(a.AdmitSet({{.id = 1, .params = P(1, 10, 10)}}).status().message(),
              HasSubstr("already admitted"));
  EXPECT_THAT(
      a.AdmitSet({{.id = 2, .params = P(1, 10, 10), .allowed_cpus = {5}}}).status().message(),
      HasSubstr("affinity allows none"));
  EXPECT_THAT(a.AdmitSet({{.id = 3, .params = P(5, 2, 10)}}).status().message(),
              HasSubstr("task 3: runtime"));
}

}  // namespace
}  // namespace scxpp::deadline

// SPDX-License-Identifier: Apache-2.0
#include "benchmarks/workloads/latency_stats.h"

#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace scxpp::workloads {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

LatencyRecorder OneToN(int n) {
  LatencyRecorder r;
  // Reverse order so Summarize() has to sort.
  for (int v = n; v >= 1; --v) r.Record(v);
  return r;
}

TEST(NearestRankPercentileTest, OneToThousand) {
  const LatencySummary s = OneToN(1000).Summarize();
  EXPECT_EQ(s.count, 1000);
  EXPECT_EQ(s.min, 1);
  EXPECT_EQ(s.max, 1000);
  EXPECT_DOUBLE_EQ(s.mean, 500.5);
  EXPECT_EQ(s.p50, 500);
  EXPECT_EQ(s.p90, 900);
  EXPECT_EQ(s.p99, 990);
  EXPECT_EQ(s.p999, 999);
}

TEST(NearestRankPercentileTest, RanksRoundUp) {
  // n=10: p50 is rank 5, p90 rank 9, p99 and p99.9 rank ceil(9.9)=10.
  const LatencySummary s = OneToN(10).Summarize();
  EXPECT_EQ(s.p50, 5);
  EXPECT_EQ(s.p90, 9);
  EXPECT_EQ(s.p99, 10);
  EXPECT_EQ(s.p999, 10);
}

TEST(NearestRankPercentileTest, SingleSampleAndBounds) {
  const std::vector<int64_t> one = {42};
  EXPECT_EQ(NearestRankPercentile(one, 0), 42);
  EXPECT_EQ(NearestRankPercentile(one, 50), 42);
  EXPECT_EQ(NearestRankPercentile(one, 100), 42);
  const std::vector<int64_t> sorted = {1, 2, 3, 4};
  EXPECT_EQ(NearestRankPercentile(sorted, 0), 1);
  EXPECT_EQ(NearestRankPercentile(sorted, -5), 1);
  EXPECT_EQ(NearestRankPercentile(sorted, 100), 4);
  EXPECT_EQ(NearestRankPercentile(sorted, 250), 4);
  EXPECT_EQ(NearestRankPercentile(sorted, 25), 1);
  EXPECT_EQ(NearestRankPercentile(sorted, 25.1), 2);
}

TEST(NearestRankPercentileTest, EmptyInput) {
  EXPECT_EQ(NearestRankPercentile({}, 50), 0);
  const LatencySummary s = LatencyRecorder().Summarize();
  EXPECT_EQ(s.count, 0);
  EXPECT_EQ(s.max, 0);
  EXPECT_EQ(s.p99, 0);
  EXPECT_DOUBLE_EQ(s.mean, 0);
}

TEST(LatencyRecorderTest, MergeAndSummarizeDoesNotReorder) {
  LatencyRecorder a;
  a.Record(30);
  a.Record(10);
  LatencyRecorder b;
  b.Record(20);
  a.Merge(b);
  EXPECT_EQ(a.Summarize().p50, 20);
  EXPECT_THAT(a.samples(), ElementsAre(30, 10, 20));
}

TEST(Log2HistogramTest, BucketBoundaries) {
  EXPECT_EQ(Log2Histogram::BucketFor(-7), 0);
  EXPECT_EQ(Log2Histogram::BucketFor(0), 0);
  EXPECT_EQ(Log2Histogram::BucketFor(1), 0);
  EXPECT_EQ(Log2Histogram::BucketFor(2), 1);
  EXPECT_EQ(Log2Histogram::BucketFor(3), 1);
  EXPECT_EQ(Log2Histogram::BucketFor(4), 2);
  EXPECT_EQ(Log2Histogram::BucketFor(1023), 9);
  EXPECT_EQ(Log2Histogram::BucketFor(1024), 10);
  EXPECT_EQ(Log2Histogram::BucketFor(std::numeric_limits<int64_t>::max()), 62);
  EXPECT_LT(Log2Histogram::BucketFor(std::numeric_limits<int64_t>::max()), Log2Histogram::kBuckets);
}

TEST(Log2HistogramTest, CountsTrimAndMerge) {
  Log2Histogram h;
  EXPECT_THAT(h.Trimmed(), IsEmpty());
  for (int64_t v : {1, 2, 3, 5, 6, 7, 16}) h.Add(v);
  EXPECT_THAT(h.Trimmed(), ElementsAre(1, 2, 3, 0, 1));
  Log2Histogram other;
  other.Add(0);
  other.Add(4);
  h.Merge(other);
  EXPECT_THAT(h.Trimmed(), ElementsAre(2, 2, 4, 0, 1));
  EXPECT_EQ(h.total(), 9);
}

TEST(JsonTest, ObjectShape) {
  JsonObject nested;
  nested.Add("p50", int64_t{500}).Add("mean", 500.5);
  JsonObject o;
  o.Add("workload", "latency_probe")
      .Add("threads", 4)
      .Add("lat_ns", nested)
      .Add("hist", std::vector<int64_t>{1, 0, 3})
      .Add("cpu_ms", std::vector<double>{1.5, 2})
      .Add("empty", std::vector<int64_t>{})
      .AddNull("none");
  EXPECT_EQ(ToJson(o),
            R"({"workload":"latency_probe","threads":4,"lat_ns":{"p50":500,"mean":500.5},)"
            R"("hist":[1,0,3],"cpu_ms":[1.5,2],"empty":[],"none":null})");
}

TEST(JsonTest, EscapesStringsAndNonFiniteDoubles) {
  JsonObject o;
  o.Add("s", "a\"b\\c\nd\x01")
      .Add("nan", std::numeric_limits<double>::quiet_NaN())
      .Add("inf", std::numeric_limits<double>::infinity())
      .Add("neg", int64_t{-1});
  EXPECT_EQ(ToJson(o), R"({"s":"a\"b\\c\nd\u0001","nan":null,"inf":null,"neg":-1})");
  EXPECT_EQ(ToJson(JsonObject()), "{}");
}

TEST(JsonTest, LatencySummary) {
  const std::string json = ToJson(ToJsonObject(OneToN(1000).Summarize()));
  EXPECT_EQ(json, R"({"p50":500,"p90":900,"p99":990,"p999":999,"max":1000,"mean":500.5})");
}

TEST(JsonTest, EmptyLatencySummaryIsNullNotZero) {
  // A run with no samples must not look like a perfect 0 ns scheduler.
  EXPECT_EQ(ToJson(ToJsonObject(LatencySummary())),
            R"({"p50":null,"p90":null,"p99":null,"p999":null,"max":null,"mean":null})");
}

TEST(ProcParseTest, StatusCtxSwitches) {
  const CtxSwitches c = ParseStatusCtxSwitches(
      "Name:\tfoo\nState:\tR (running)\nvoluntary_ctxt_switches:\t12\n"
      "nonvoluntary_ctxt_switches:\t3\n");
  EXPECT_EQ(c.voluntary, 12);
  EXPECT_EQ(c.involuntary, 3);
  const CtxSwitches missing = ParseStatusCtxSwitches("Name:\tfoo\n");
  EXPECT_EQ(missing.voluntary, -1);
  EXPECT_EQ(missing.involuntary, -1);
}

TEST(ProcParseTest, SchedMigrations) {
  EXPECT_EQ(ParseSchedMigrations("foo (1, #threads: 1)\n-------\n"
                                 "se.exec_start                                :   1.5\n"
                                 "se.nr_migrations                             :    7\n"
                                 "numa_pages_migrated                          :    0\n"),
            7);
  EXPECT_EQ(ParseSchedMigrations("se.nr_migrations : garbage\n"), -1);
  EXPECT_EQ(ParseSchedMigrations(""), -1);
}

TEST(SchedstatTest, RunDelayIsTheSecondField) {
  EXPECT_EQ(ParseSchedstatRunDelay("123456789 4242 17\n"), 4242);
  EXPECT_EQ(ParseSchedstatRunDelay("1 0 0"), 0);
  EXPECT_EQ(ParseSchedstatRunDelay("1 2\n"), -1);        // too few fields
  EXPECT_EQ(ParseSchedstatRunDelay("1 -5 3\n"), -1);     // negative
  EXPECT_EQ(ParseSchedstatRunDelay("1 x 3\n"), -1);      // not a number
  EXPECT_EQ(ParseSchedstatRunDelay(""), -1);
}

TEST(SchedstatTest, ReaderSeesThisThreadsCounter) {
  RunDelayReader r;
  ASSERT_TRUE(r.Open()) << "no /proc/thread-self/schedstat: a kernel without CONFIG_SCHED_INFO";
  const int64_t a = r.Read();
  EXPECT_GE(a, 0);
  EXPECT_GE(r.Read(), a);  // a counter: never goes back
}

TEST(ProcParseTest, ProcStatCpu) {
  // user nice system idle iowait irq softirq steal guest guest_nice: guest is inside user.
  const CpuTimes t = ParseProcStatCpu("cpu  100 5 20 300 10 1 2 3 50 0\ncpu0 1 2 3 4\n");
  EXPECT_EQ(t.idle, 310);
  EXPECT_EQ(t.total, 441);
  EXPECT_EQ(ParseProcStatCpu("cpu0 1 2 3 4\n").total, -1);
  EXPECT_EQ(ParseProcStatCpu("cpu  1 2 x 4\n").total, -1);
  EXPECT_EQ(ParseProcStatCpu("cpu  1 2\n").total, -1);
  EXPECT_DOUBLE_EQ(IdlePercent({.idle = 10, .total = 100}, {.idle = 30, .total = 200}), 20.0);
  EXPECT_EQ(IdlePercent({.idle = 10, .total = 100}, {.idle = 10, .total = 100}), -1);
  EXPECT_EQ(IdlePercent({}, {.idle = 10, .total = 100}), -1);
  EXPECT_GE(ReadCpuTimes().total, 0);
}

TEST(ProcReadTest, ReadsOwnThread) {
  // procfs is always there on the Linux hosts and VMs this runs on; the sched file only
  // with CONFIG_SCHED_DEBUG, so migrations may legitimately be -1.
  const CtxSwitches self = ReadThreadCtxSwitches(gettid());
  EXPECT_GE(self.voluntary, 0);
  EXPECT_GE(self.involuntary, 0);
  EXPECT_GE(ReadThreadMigrations(gettid()), -1);
  const CtxSwitches process = ReadProcessCtxSwitches();
  EXPECT_GE(process.voluntary, 0);
  EXPECT_GE(process.involuntary, 0);
  // A thread id that cannot be ours.
  EXPECT_EQ(ReadThreadCtxSwitches(-1).voluntary, -1);
  EXPECT_EQ(ReadThreadMigrations(-1), -1);
}

TEST(SumCountersTest, UnavailablePoisonsTheSum) {
  EXPECT_EQ(SumCounters({}), 0);
  EXPECT_EQ(SumCounters({1, 2, 3}), 6);
  EXPECT_EQ(SumCounters({1, -1, 3}), -1);
}

// --- Tenant fairness math (scxpp_tenant_load) ---

constexpr double kInf = std::numeric_limits<double>::infinity();

TEST(IdealCpuAllocationTest, FlatWeightsSplitCapacity) {
  // The issue's case on 2 CPUs: a:100:1, b:200:4, c:400:8 -> 1/7, 2/7, 4/7 of 2 CPUs.
  const std::vector<double> a =
      IdealCpuAllocation({{.parent = -1, .weight = 100, .limit_cpus = 1},
                          {.parent = -1, .weight = 200, .limit_cpus = 4},
                          {.parent = -1, .weight = 400, .limit_cpus = 8}},
                         2);
  ASSERT_EQ(a.size(), 3u);
  EXPECT_NEAR(a[0], 2.0 / 7, 1e-12);
  EXPECT_NEAR(a[1], 4.0 / 7, 1e-12);
  EXPECT_NEAR(a[2], 8.0 / 7, 1e-12);
}

TEST(IdealCpuAllocationTest, ThreadCountLimitsAndRedistributes) {
  // Heavy weight but one thread: it can use one CPU at most, the rest goes to b.
  const std::vector<double> a = IdealCpuAllocation(
      {{.parent = -1, .weight = 900, .limit_cpus = 1},
       {.parent = -1, .weight = 100, .limit_cpus = 4}},
      4);
  EXPECT_NEAR(a[0], 1, 1e-12);
  EXPECT_NEAR(a[1], 3, 1e-12);
}

TEST(IdealCpuAllocationTest, CapGetsMinOfCapAndShareRemainderRedistributed) {
  // c's weighted share would be 4/7 * 2 = 1.14 CPUs; capped at 0.5, the other 1.5 CPUs are
  // split 1:2 between a and b.
  const std::vector<double> a =
      IdealCpuAllocation({{.parent = -1, .weight = 100, .limit_cpus = 1},
                          {.parent = -1, .weight = 200, .limit_cpus = 4},
                          {.parent = -1, .weight = 400, .limit_cpus = 0.5}},
                         2);
  EXPECT_NEAR(a[0], 0.5, 1e-12);
  EXPECT_NEAR(a[1], 1.0, 1e-12);
  EXPECT_NEAR(a[2], 0.5, 1e-12);
  // A cap above the weighted share changes nothing.
  const std::vector<double> loose = IdealCpuAllocation(
      {{.parent = -1, .weight = 100, .limit_cpus = 8},
       {.parent = -1, .weight = 100, .limit_cpus = 1.5}},
      2);
  EXPECT_NEAR(loose[0], 1, 1e-12);
  EXPECT_NEAR(loose[1], 1, 1e-12);
}

TEST(IdealCpuAllocationTest, NestedWeightsMultiplyDownTheTree) {
  // t1 (300) and d (100) at the top; t1 splits 1:3 between x and y. On 4 CPUs:
  // t1 = 3, d = 1, x = 0.75, y = 2.25.
  const std::vector<double> a =
      IdealCpuAllocation({{.parent = -1, .weight = 300, .limit_cpus = kInf},
                          {.parent = 0, .weight = 1, .limit_cpus = 8},
                          {.parent = 0, .weight = 3, .limit_cpus = 8},
                          {.parent = -1, .weight = 100, .limit_cpus = 8}},
                         4);
  EXPECT_NEAR(a[0], 3, 1e-12);
  EXPECT_NEAR(a[1], 0.75, 1e-12);
  EXPECT_NEAR(a[2], 2.25, 1e-12);
  EXPECT_NEAR(a[3], 1, 1e-12);
}

TEST(IdealCpuAllocationTest, InnerCapAndIdleSubtrees) {
  // t1 is capped at 1 CPU (cpu.max on the inner node): its children share that 1:1; d takes
  // the rest. The idle leaf (0 threads) under t2 makes all of t2 idle, so t2's weight does
  // not dilute anyone.
  const std::vector<double> a =
      IdealCpuAllocation({{.parent = -1, .weight = 100, .limit_cpus = 1},
                          {.parent = 0, .weight = 100, .limit_cpus = 4},
                          {.parent = 0, .weight = 100, .limit_cpus = 4},
                          {.parent = -1, .weight = 100, .limit_cpus = 4},
                          {.parent = -1, .weight = 5000, .limit_cpus = kInf},
                          {.parent = 4, .weight = 100, .limit_cpus = 0}},
                         4);
  EXPECT_NEAR(a[0], 1, 1e-12);
  EXPECT_NEAR(a[1], 0.5, 1e-12);
  EXPECT_NEAR(a[2], 0.5, 1e-12);
  EXPECT_NEAR(a[3], 3, 1e-12);
  EXPECT_EQ(a[4], 0);
  EXPECT_EQ(a[5], 0);
}

TEST(IdealCpuAllocationTest, UnderloadLeavesCapacityUnusedAndCyclesGetNothing) {
  const std::vector<double> a = IdealCpuAllocation(
      {{.parent = -1, .weight = 100, .limit_cpus = 1},
       {.parent = -1, .weight = 1, .limit_cpus = 1}},
      8);
  EXPECT_NEAR(a[0], 1, 1e-12);
  EXPECT_NEAR(a[1], 1, 1e-12);
  const std::vector<double> cycle = IdealCpuAllocation(
      {{.parent = 1, .weight = 100, .limit_cpus = 1}, {.parent = 0, .weight = 100, .limit_cpus = 1},
       {.parent = -1, .weight = 100, .limit_cpus = 1}},
      2);
  EXPECT_EQ(cycle[0], 0);
  EXPECT_EQ(cycle[1], 0);
  EXPECT_NEAR(cycle[2], 1, 1e-12);
  EXPECT_THAT(IdealCpuAllocation({}, 2), IsEmpty());
}

TEST(JainIndexTest, EqualIsOneMonopolyIsOneOverN) {
  EXPECT_DOUBLE_EQ(JainIndex({1, 1, 1, 1}), 1);
  EXPECT_DOUBLE_EQ(JainIndex({0.5, 0.5}), 1);
  EXPECT_DOUBLE_EQ(JainIndex({1, 0, 0, 0}), 0.25);
  // (1 + 2)^2 / (2 * (1 + 4)) = 0.9
  EXPECT_DOUBLE_EQ(JainIndex({1, 2}), 0.9);
  EXPECT_TRUE(std::isnan(JainIndex({})));
  EXPECT_TRUE(std::isnan(JainIndex({0, 0})));
}

TEST(CompareSharesTest, RelativeErrorsAndJainOverRatios) {
  const ShareComparison c = CompareShares({0.2, 0.3, 0.5}, {0.25, 0.25, 0.5});
  ASSERT_EQ(c.rel_err.size(), 3u);
  EXPECT_NEAR(c.rel_err[0], 0.2, 1e-12);
  EXPECT_NEAR(c.rel_err[1], 0.2, 1e-12);
  EXPECT_NEAR(c.rel_err[2], 0, 1e-12);
  EXPECT_NEAR(c.max_rel_err, 0.2, 1e-12);
  // Ratios 0.8, 1.2, 1.0: 9 / (3 * 3.08).
  EXPECT_NEAR(c.jain, 9.0 / (3 * 3.08), 1e-12);
  const ShareComparison perfect =
      CompareShares({1.0 / 7, 2.0 / 7, 4.0 / 7}, {1.0 / 7, 2.0 / 7, 4.0 / 7});
  EXPECT_NEAR(perfect.max_rel_err, 0, 1e-12);
  EXPECT_NEAR(perfect.jain, 1, 1e-12);
  // An entry with no ideal share is skipped, not divided by zero.
  const ShareComparison skip = CompareShares({0.5, 0.5}, {1, 0});
  EXPECT_TRUE(std::isnan(skip.rel_err[1]));
  EXPECT_NEAR(skip.max_rel_err, 0.5, 1e-12);
  EXPECT_DOUBLE_EQ(skip.jain, 1);
  EXPECT_TRUE(std::isnan(CompareShares({}, {}).max_rel_err));
}

}  // namespace
}  // namespace scxpp::workloads

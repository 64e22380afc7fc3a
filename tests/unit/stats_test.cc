// SPDX-License-Identifier: Apache-2.0
#include "scxpp/stats.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "scxpp/bpf/stats_common.h"

#define TEST_STATS(X)                 \
  X(FOO, "foo", "foo events")          \
  X(BAR, "bar", "bar events")          \
  X(BAZ, "baz", "baz events")
SCXPP_STATS_ENUM(test_stat, TEST_STATS);

namespace scxpp {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<StatDesc> Descs() { return SCXPP_STATS_DESCS(TEST_STATS); }

StatsSample Totals(absl::Time at, std::vector<uint64_t> totals) {
  StatsSample s;
  s.at = at;
  s.totals = std::move(totals);
  return s;
}

std::string ReadFile(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

// A fresh directory under TEST_TMPDIR (or /tmp), removed with its files.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TEST_TMPDIR");
    std::string tmpl = std::string(base != nullptr ? base : "/tmp") + "/scxpp_stats_test.XXXXXX";
    path_ = mkdtemp(tmpl.data()) != nullptr ? tmpl : "";
  }
  ~TempDir() {
    if (!path_.empty()) std::system(("rm -rf '" + path_ + "'").c_str());
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(StatsTest, OneListYieldsEnumAndDescriptions) {
  EXPECT_EQ(SCXPP_STAT_FOO, 0);
  EXPECT_EQ(SCXPP_STAT_BAZ, 2);
  EXPECT_EQ(SCXPP_NR_STATS, 3);
  std::vector<StatDesc> d = Descs();
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(d[1].name, "bar");
  EXPECT_EQ(d[2].description, "baz events");
}

// --- aggregation ----------------------------------------------------------------------------

TEST(StatsAggregateTest, SumsEachCounterOverCpusAndKeepsThePerCpuView) {
  // 3 counters x 4 CPUs, counter-major as the kernel returns a per-CPU array.
  const std::vector<uint64_t> raw = {
      1,  2,  3,  4,    // foo
      0,  0,  0,  0,    // bar
      10, 0,  0,  100,  // baz
  };
  StatsSample s;
  AggregatePerCpu(raw.data(), 3, 4, &s);
  EXPECT_THAT(s.totals, ElementsAre(10u, 0u, 110u));
  EXPECT_EQ(s.nr_cpus, 4u);
  EXPECT_EQ(s.per_cpu, raw);
  EXPECT_EQ(s.PerCpu(0, 0), 1u);
  EXPECT_EQ(s.PerCpu(0, 3), 4u);
  EXPECT_EQ(s.PerCpu(2, 0), 10u);
  EXPECT_EQ(s.PerCpu(2, 3), 100u);
  EXPECT_EQ(s.PerCpu(1, 2), 0u);
}

TEST(StatsAggregateTest, PerCpuOutOfRangeIsZero) {
  const std::vector<uint64_t> raw = {5, 6, 7, 8};  // 2 counters x 2 CPUs
  StatsSample s;
  AggregatePerCpu(raw.data(), 2, 2, &s);
  EXPECT_EQ(s.PerCpu(1, 1), 8u);
  EXPECT_EQ(s.PerCpu(2, 0), 0u);  // No such counter.
  EXPECT_EQ(s.PerCpu(0, 2), 0u);  // No such CPU.
  // A sample built from totals only has no per-CPU view.
  StatsSample t = Totals(absl::UnixEpoch(), {1, 2});
  EXPECT_EQ(t.PerCpu(0, 0), 0u);
}

TEST(StatsAggregateTest, ReusesTheSampleAndSumsInPlace) {
  StatsSample s;
  std::vector<uint64_t> raw(2 * 1024, 1);
  raw[1023] = 1000;  // counter 0, last CPU
  AggregatePerCpu(raw.data(), 2, 1024, &s);
  EXPECT_THAT(s.totals, ElementsAre(1023u + 1000u, 1024u));
  EXPECT_EQ(s.PerCpu(0, 1023), 1000u);

  // A reader reads straight into per_cpu and sums in place: same buffer, new values.
  const uint64_t* buffer = s.per_cpu.data();
  s.per_cpu.assign(s.per_cpu.size(), 2);
  AggregatePerCpu(s.per_cpu.data(), 2, 1024, &s);
  EXPECT_EQ(s.per_cpu.data(), buffer);
  EXPECT_THAT(s.totals, ElementsAre(2048u, 2048u));

  // A smaller shape shrinks the views.
  const std::vector<uint64_t> small = {3, 4, 5};  // 1 counter x 3 CPUs
  AggregatePerCpu(small.data(), 1, 3, &s);
  EXPECT_THAT(s.totals, ElementsAre(12u));
  EXPECT_EQ(s.per_cpu.size(), 3u);
  EXPECT_EQ(s.PerCpu(0, 2), 5u);
}

TEST(StatsAggregateTest, WrapsLikeTheBpfCounters) {
  const std::vector<uint64_t> raw = {UINT64_MAX, 2};
  StatsSample s;
  AggregatePerCpu(raw.data(), 1, 2, &s);
  EXPECT_THAT(s.totals, ElementsAre(1u));
}

// --- deltas ---------------------------------------------------------------------------------

TEST(StatsDeltaTest, DeltasAndRatesPerSecond) {
  StatsSample prev = Totals(absl::UnixEpoch(), {100, 5, 0});
  StatsSample now = Totals(absl::UnixEpoch() + absl::Milliseconds(500), {150, 5, 7});
  StatsDelta d = Delta(prev, now);
  EXPECT_EQ(d.interval, absl::Milliseconds(500));
  EXPECT_THAT(d.deltas, ElementsAre(50u, 0u, 7u));
  EXPECT_THAT(d.rates, ElementsAre(100.0, 0.0, 14.0));
}

TEST(StatsDeltaTest, ADecreaseIsAResetAndCountsFromZero) {
  StatsSample prev = Totals(absl::UnixEpoch(), {1000, 10});
  StatsSample now = Totals(absl::UnixEpoch() + absl::Seconds(2), {40, 30});
  StatsDelta d = Delta(prev, now);
  EXPECT_THAT(d.deltas, ElementsAre(40u, 20u));
  EXPECT_THAT(d.rates, ElementsAre(20.0, 10.0));
}

TEST(StatsDeltaTest, ZeroOrNegativeIntervalGivesZeroRates) {
  StatsSample a = Totals(absl::UnixEpoch() + absl::Seconds(5), {1});
  StatsSample b = Totals(absl::UnixEpoch() + absl::Seconds(5), {4});
  StatsDelta same = Delta(a, b);
  EXPECT_THAT(same.deltas, ElementsAre(3u));
  EXPECT_THAT(same.rates, ElementsAre(0.0));

  StatsSample earlier = Totals(absl::UnixEpoch() + absl::Seconds(4), {9});  // Clock stepped back.
  StatsDelta back = Delta(a, earlier);
  EXPECT_EQ(back.interval, absl::Seconds(-1));
  EXPECT_THAT(back.deltas, ElementsAre(8u));
  EXPECT_THAT(back.rates, ElementsAre(0.0));
}

TEST(StatsDeltaTest, CountersMissingFromPrevCountFromZero) {
  StatsSample prev = Totals(absl::UnixEpoch(), {1});
  StatsSample now = Totals(absl::UnixEpoch() + absl::Seconds(1), {3, 8});
  StatsDelta d = Delta(prev, now);
  EXPECT_THAT(d.deltas, ElementsAre(2u, 8u));
  EXPECT_THAT(d.rates, ElementsAre(2.0, 8.0));
}

// --- formats --------------------------------------------------------------------------------

TEST(StatsFormatTest, TextShowsTotalsAndDeltas) {
  std::vector<StatDesc> d = Descs();
  StatsSample prev{absl::UnixEpoch(), {1, 2, 3}};
  StatsSample now{absl::UnixEpoch() + absl::Seconds(1), {11, 2, 30}};
  EXPECT_EQ(FormatStatsText(d, now, nullptr), "foo=11 bar=2 baz=30");
  EXPECT_EQ(FormatStatsText(d, now, &prev), "foo=11(+10) bar=2(+0) baz=30(+27)");
  // A reset counts from zero instead of wrapping around.
  StatsSample after_reset{absl::UnixEpoch() + absl::Seconds(2), {4, 2, 30}};
  EXPECT_EQ(FormatStatsText(d, after_reset, &now), "foo=4(+4) bar=2(+0) baz=30(+0)");
}

TEST(StatsFormatTest, TableAlignsColumns) {
  std::vector<StatDesc> d = {{"enqueued", "tasks enqueued"},
                             {"dispatched", "tasks moved to a local DSQ"},
                             {"x", ""}};
  StatsSample prev = Totals(absl::UnixEpoch(), {1000, 7, 0});
  StatsSample now = Totals(absl::UnixEpoch() + absl::Seconds(2), {123456, 8, 3});
  StatsDelta delta = Delta(prev, now);
  EXPECT_EQ(FormatStatsTable(d, now, &delta),
            "name         total   delta   rate/s  description\n"
            "enqueued    123456  122456  61228.0  tasks enqueued\n"
            "dispatched       8       1      0.5  tasks moved to a local DSQ\n"
            "x                3       3      1.5\n");
  EXPECT_EQ(FormatStatsTable(d, now, nullptr),
            "name         total  delta  rate/s  description\n"
            "enqueued    123456      -       -  tasks enqueued\n"
            "dispatched       8      -       -  tasks moved to a local DSQ\n"
            "x                3      -       -\n");
}

TEST(StatsFormatTest, JsonIsOneObjectPerSample) {
  std::vector<StatDesc> d = Descs();
  StatsSample now{absl::FromUnixSeconds(1700000000), {1, 2, 3}};
  EXPECT_EQ(FormatStatsJson(d, now), "{\"ts\":1700000000.000,\"foo\":1,\"bar\":2,\"baz\":3}");
}

TEST(StatsFormatTest, JsonWithRatesAndEscapedNames) {
  std::vector<StatDesc> d = {{"a\"b", ""}, {"c\\d\n", ""}};
  StatsSample prev = Totals(absl::FromUnixMillis(1700000000250), {10, 0});
  StatsSample now = Totals(absl::FromUnixMillis(1700000004250), {30, 1});
  StatsDelta delta = Delta(prev, now);
  EXPECT_EQ(FormatStatsJson(d, now, &delta),
            "{\"ts\":1700000004.250,\"a\\\"b\":30,\"c\\\\d\\n\":1,"
            "\"interval_s\":4.000,\"rates\":{\"a\\\"b\":5.000,\"c\\\\d\\n\":0.250}}");
}

TEST(StatsFormatTest, JsonTimestampBeforeTheEpoch) {
  StatsSample now = Totals(absl::FromUnixMillis(-1500), {});
  EXPECT_EQ(FormatStatsJson({}, now), "{\"ts\":-2.500}");
}

TEST(StatsPrometheusTest, ExpositionFormat) {
  std::vector<StatDesc> d = Descs();
  StatsSample now = Totals(absl::UnixEpoch(), {11, 0, 18446744073709551615u});
  EXPECT_EQ(FormatStatsPrometheus(d, now, "minimal"),
            "# HELP scxpp_foo_total foo events\n"
            "# TYPE scxpp_foo_total counter\n"
            "scxpp_foo_total{scheduler=\"minimal\"} 11\n"
            "# HELP scxpp_bar_total bar events\n"
            "# TYPE scxpp_bar_total counter\n"
            "scxpp_bar_total{scheduler=\"minimal\"} 0\n"
            "# HELP scxpp_baz_total baz events\n"
            "# TYPE scxpp_baz_total counter\n"
            "scxpp_baz_total{scheduler=\"minimal\"} 18446744073709551615\n");
}

TEST(StatsPrometheusTest, EscapesHelpAndLabelValue) {
  std::vector<StatDesc> d = {{"odd", "back\\slash \"quoted\"\nsecond line"}};
  StatsSample now = Totals(absl::UnixEpoch(), {2});
  // HELP escapes only \ and line feed; the label value also ".
  EXPECT_EQ(FormatStatsPrometheus(d, now, "my \"sched\"\\\n"),
            "# HELP scxpp_odd_total back\\\\slash \"quoted\"\\nsecond line\n"
            "# TYPE scxpp_odd_total counter\n"
            "scxpp_odd_total{scheduler=\"my \\\"sched\\\"\\\\\\n\"} 2\n");
}

TEST(StatsPrometheusTest, SanitizesNames) {
  EXPECT_EQ(SanitizeMetricName("dsq.local-hits"), "dsq_local_hits");
  EXPECT_EQ(SanitizeMetricName("a:b"), "a_b");  // Colons are for recording rules.
  EXPECT_EQ(SanitizeMetricName("9lives"), "_9lives");
  EXPECT_EQ(SanitizeMetricName(""), "_");
  EXPECT_EQ(SanitizeMetricName("Ok_Name_42"), "Ok_Name_42");
  EXPECT_EQ(SanitizeMetricName("caf\xc3\xa9"), "caf__");  // Each non-ASCII byte.

  std::vector<StatDesc> d = {{"wake-ups", "w"},  {"9lives", "n"},    {"tasks_total", "t"},
                             {"wake.ups", "dup"}, {"wake_ups", "dup2"}};
  StatsSample now = Totals(absl::UnixEpoch(), {1, 2, 3, 4, 5});
  const std::string text = FormatStatsPrometheus(d, now, "s");
  EXPECT_THAT(text, HasSubstr("\nscxpp_wake_ups_total{scheduler=\"s\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("\nscxpp_9lives_total{scheduler=\"s\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("\nscxpp_tasks_total{scheduler=\"s\"} 3\n"));  // No _total_total.
  // Names that collide after sanitizing stay distinct families.
  EXPECT_THAT(text, HasSubstr("# TYPE scxpp_wake_ups_3_total counter\n"
                              "scxpp_wake_ups_3_total{scheduler=\"s\"} 4\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE scxpp_wake_ups_4_total counter\n"
                              "scxpp_wake_ups_4_total{scheduler=\"s\"} 5\n"));
}

TEST(StatsPrometheusTest, WritesTheFileAtomically) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  const std::string path = dir.path() + "/scxpp.prom";
  ASSERT_TRUE(WritePrometheusFile(path, "first 1\n").ok());
  EXPECT_EQ(ReadFile(path), "first 1\n");

  // A rewrite replaces the whole file, even with shorter content.
  ASSERT_TRUE(WritePrometheusFile(path, "x 2\n").ok());
  EXPECT_EQ(ReadFile(path), "x 2\n");
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()),
                          std::filesystem::directory_iterator()),
            1)
      << "a temporary file was left behind";
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0044, 0044u) << "node-exporter must be able to read it";
}

// Its directory is usually writable by the exporter's account, and the scheduler writes as
// root every interval: nothing planted there may redirect the write.
TEST(StatsPrometheusTest, PlantedSymlinksAreNotFollowed) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  const std::string path = dir.path() + "/scxpp.prom";
  const std::string victim = dir.path() + "/victim";
  std::ofstream(victim) << "precious\n";
  // At the old fixed temporary name, and at the file itself.
  ASSERT_EQ(symlink(victim.c_str(), (path + ".tmp").c_str()), 0);
  ASSERT_TRUE(WritePrometheusFile(path, "a 1\n").ok());
  EXPECT_EQ(ReadFile(victim), "precious\n");
  EXPECT_EQ(ReadFile(path), "a 1\n");
  const std::string other = dir.path() + "/other.prom";
  ASSERT_EQ(symlink(victim.c_str(), other.c_str()), 0);
  ASSERT_TRUE(WritePrometheusFile(other, "b 2\n").ok());
  EXPECT_EQ(ReadFile(victim), "precious\n");
  struct stat st;
  ASSERT_EQ(lstat(other.c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode)) << "the symlink was written through, not replaced";
  // Only the planted link, the victim and the two files are left: no temporary files.
  int entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    (void)e;
    ++entries;
  }
  EXPECT_EQ(entries, 4);
}

TEST(StatsPrometheusTest, WriteErrorsSayWhat) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  absl::Status missing = WritePrometheusFile(dir.path() + "/no/such/dir/x.prom", "x 1\n");
  EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(missing.message()), HasSubstr("/no/such/dir/x.prom"));

  EXPECT_EQ(WritePrometheusFile("", "x").code(), absl::StatusCode::kInvalidArgument);

  // Renaming over a directory fails; the temporary file must not be left behind.
  const std::string target = dir.path() + "/adir";
  ASSERT_EQ(mkdir(target.c_str(), 0755), 0);
  ASSERT_EQ(mkdir((target + "/inside").c_str(), 0755), 0);  // Not empty: rename must fail.
  absl::Status over_dir = WritePrometheusFile(target, "x 1\n");
  EXPECT_FALSE(over_dir.ok());
  EXPECT_THAT(std::string(over_dir.message()), HasSubstr("renaming"));
  int entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    (void)e;
    ++entries;
  }
  EXPECT_EQ(entries, 1) << "the temporary file was left behind";
}

TEST(StatsFormatTest, ParsesFormatNames) {
  EXPECT_EQ(*ParseStatsFormat("text"), StatsFormat::kText);
  EXPECT_EQ(*ParseStatsFormat("table"), StatsFormat::kTable);
  EXPECT_EQ(*ParseStatsFormat("json"), StatsFormat::kJson);
  EXPECT_EQ(*ParseStatsFormat("prometheus"), StatsFormat::kPrometheus);
  absl::StatusOr<StatsFormat> bad = ParseStatsFormat("xml");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad.status().message()),
              HasSubstr("'xml'; use text, table, json or prometheus"));
}

}  // namespace
}  // namespace scxpp

// SPDX-License-Identifier: Apache-2.0
// What one stats interval costs in userspace once the map is read: summing the per-CPU
// values (up to 1024 CPUs) and formatting 64 counters in each output format.
#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "benchmark/benchmark.h"
#include "scxpp/stats.h"

namespace scxpp {
namespace {

constexpr size_t kCounters = 64;

std::vector<StatDesc> Descs() {
  std::vector<StatDesc> d;
  for (size_t i = 0; i < kCounters; ++i) {
    d.push_back({"counter_" + std::to_string(i), "what counter " + std::to_string(i) + " counts"});
  }
  return d;
}

std::vector<uint64_t> Raw(size_t nr_cpus) {
  std::vector<uint64_t> raw(kCounters * nr_cpus);
  for (size_t i = 0; i < raw.size(); ++i) raw[i] = (i * 2654435761u) % 100000;
  return raw;
}

StatsSample Sample(absl::Time at, uint64_t scale) {
  StatsSample s;
  s.at = at;
  for (size_t i = 0; i < kCounters; ++i) s.totals.push_back(scale * (i + 1) * 12345);
  return s;
}

// The copy from a separate buffer into the sample plus the sums (what a caller holding raw
// values pays). items = counter values aggregated.
void BM_AggregatePerCpu(benchmark::State& state) {
  const size_t nr_cpus = static_cast<size_t>(state.range(0));
  const std::vector<uint64_t> raw = Raw(nr_cpus);
  StatsSample out;
  for (auto _ : state) {
    AggregatePerCpu(raw.data(), kCounters, nr_cpus, &out);
    benchmark::DoNotOptimize(out.totals.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kCounters * nr_cpus));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * raw.size() * sizeof(uint64_t)));
}
BENCHMARK(BM_AggregatePerCpu)->Arg(8)->Arg(256)->Arg(1024);

// StatsReader's path: the kernel wrote into the sample's own buffer; sum in place.
void BM_AggregatePerCpuInPlace(benchmark::State& state) {
  const size_t nr_cpus = static_cast<size_t>(state.range(0));
  StatsSample out;
  out.per_cpu = Raw(nr_cpus);
  for (auto _ : state) {
    AggregatePerCpu(out.per_cpu.data(), kCounters, nr_cpus, &out);
    benchmark::DoNotOptimize(out.totals.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kCounters * nr_cpus));
}
BENCHMARK(BM_AggregatePerCpuInPlace)->Arg(8)->Arg(256)->Arg(1024);

void BM_Delta(benchmark::State& state) {
  const StatsSample prev = Sample(absl::UnixEpoch(), 1);
  const StatsSample now = Sample(absl::UnixEpoch() + absl::Seconds(1), 2);
  for (auto _ : state) benchmark::DoNotOptimize(Delta(prev, now));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kCounters));
}
BENCHMARK(BM_Delta);

// Formatting: items = counters formatted.
void BM_FormatText(benchmark::State& state) {
  const std::vector<StatDesc> d = Descs();
  const StatsSample prev = Sample(absl::UnixEpoch(), 1);
  const StatsSample now = Sample(absl::UnixEpoch() + absl::Seconds(1), 2);
  for (auto _ : state) benchmark::DoNotOptimize(FormatStatsText(d, now, &prev));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kCounters));
}
BENCHMARK(BM_FormatText);

void BM_FormatTable(benchmark::State& state) {
  const std::vector<StatDesc> d = Descs();
  const StatsSample prev = Sample(absl::UnixEpoch(), 1);
  const StatsSample now = Sample(absl::UnixEpoch() + absl::Seconds(1), 2);
  const StatsDelta delta = Delta(prev, now);
  for (auto _ : state) benchmark::DoNotOptimize(FormatStatsTable(d, now, &delta));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kCounters));
}
BENCHMARK(BM_FormatTable);

void BM_FormatJson(benchmark::State& state) {
  const std::vector<StatDesc> d = Descs();
  const StatsSample now = Sample(absl::FromUnixSeconds(1700000000), 2);
  for (auto _ : state) benchmark::DoNotOptimize(FormatStatsJson(d, now));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kCounters));
}
BENCHMARK(BM_FormatJson);

void BM_FormatJsonWithRates(benchmark::State& state) {
  const std::vector<StatDesc> d = Descs();
  const StatsSample prev = Sample(absl::FromUnixSeconds(1700000000), 1);
  const StatsSample now = Sample(absl::FromUnixSeconds(1700000001), 2);
  const StatsDelta delta = Delta(prev, now);
  for (auto _ : state) benchmark::DoNotOptimize(FormatStatsJson(d, now, &delta));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kCounters));
}
BENCHMARK(BM_FormatJsonWithRates);

void BM_FormatPrometheus(benchmark::State& state) {
  const std::vector<StatDesc> d = Descs();
  const StatsSample now = Sample(absl::UnixEpoch(), 2);
  for (auto _ : state) benchmark::DoNotOptimize(FormatStatsPrometheus(d, now, "minimal"));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kCounters));
}
BENCHMARK(BM_FormatPrometheus);

}  // namespace
}  // namespace scxpp

BENCHMARK_MAIN();

// SPDX-License-Identifier: Apache-2.0
#include "benchmarks/workloads/latency_stats.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "fmt/format.h"

namespace scxpp::workloads {
namespace {

std::string JsonString(absl::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

std::string JsonDouble(double v) {
  // fmt's shortest round-trip form is valid JSON for every finite double ("1", "0.25",
  // "1e+20").
  return std::isfinite(v) ? fmt::format("{}", v) : "null";
}

// Reads a whole procfs file; returns false when it cannot be opened (thread gone, no
// procfs, or a kernel without the file).
bool ReadWholeFile(const std::string& path, std::string* out) {
  std::ifstream f(path);
  if (!f) return false;
  std::ostringstream ss;
  ss << f.rdbuf();
  *out = ss.str();
  return true;
}

// Value of "key<sep>value" lines, e.g. "voluntary_ctxt_switches:\t12" or
// "se.nr_migrations    :    3". -1 when the key is missing or its value is not an integer.
int64_t FindKeyedValue(absl::string_view text, absl::string_view key) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(line, absl::MaxSplits(':', 1));
    if (absl::StripAsciiWhitespace(kv.first) != key) continue;
    int64_t v;
    if (absl::SimpleAtoi(absl::StripAsciiWhitespace(kv.second), &v)) return v;
    return -1;
  }
  return -1;
}

}  // namespace

int64_t NearestRankPercentile(const std::vector<int64_t>& sorted, double percent) {
  if (sorted.empty()) return 0;
  const int64_t n = static_cast<int64_t>(sorted.size());
  const int64_t ppm = std::clamp<int64_t>(std::llround(percent * 10000.0), 0, 1000000);
  // ceil(ppm * n / 1e6) in integers; n stays far below the 9e12 where this overflows.
  int64_t rank = (ppm * n + 999999) / 1000000;
  rank = std::clamp<int64_t>(rank, 1, n);
  return sorted[rank - 1];
}

void LatencyRecorder::Merge(const LatencyRecorder& other) {
  samples_.insert(samples_.end(), other.samples_.begin(), other.samples_.end());
}

LatencySummary LatencyRecorder::Summarize() const {
  LatencySummary s;
  if (samples_.empty()) return s;
  std::vector<int64_t> sorted = samples_;
  std::sort(sorted.begin(), sorted.end());
  s.count = static_cast<int64_t>(sorted.size());
  s.min = sorted.front();
  s.max = sorted.back();
  // Sum in long double: int64 could overflow only past ~9e18 ns total, but the mean should
  // not lose precision on large runs either.
  long double sum = 0;
  for (int64_t v : sorted) sum += v;
  s.mean = static_cast<double>(sum / s.count);
  s.p50 = NearestRankPercentile(sorted, 50);
  s.p90 = NearestRankPercentile(sorted, 90);
  s.p99 = NearestRankPercentile(sorted, 99);
  s.p999 = NearestRankPercentile(sorted, 99.9);
  return s;
}

int Log2Histogram::BucketFor(int64_t ns) {
  if (ns < 1) return 0;
  return std::bit_width(static_cast<uint64_t>(ns)) - 1;
}

void Log2Histogram::Merge(const Log2Histogram& other) {
  for (int i = 0; i < kBuckets; ++i) buckets_[i] += other.buckets_[i];
}

int64_t Log2Histogram::total() const {
  int64_t t = 0;
  for (int64_t b : buckets_) t += b;
  return t;
}

std::vector<int64_t> Log2Histogram::Trimmed() const {
  int last = kBuckets - 1;
  while (last >= 0 && buckets_[last] == 0) --last;
  return std::vector<int64_t>(buckets_.begin(), buckets_.begin() + (last + 1));
}

JsonObject& JsonObject::AddRaw(absl::string_view key, std::string rendered) {
  fields_.emplace_back(std::string(key), std::move(rendered));
  return *this;
}

JsonObject& JsonObject::Add(absl::string_view key, int64_t value) {
  return AddRaw(key, absl::StrCat(value));
}

JsonObject& JsonObject::Add(absl::string_view key, double value) {
  return AddRaw(key, JsonDouble(value));
}

JsonObject& JsonObject::Add(absl::string_view key, absl::string_view value) {
  return AddRaw(key, JsonString(value));
}

JsonObject& JsonObject::Add(absl::string_view key, const std::vector<int64_t>& values) {
  return AddRaw(key, absl::StrCat("[", absl::StrJoin(values, ","), "]"));
}

JsonObject& JsonObject::Add(absl::string_view key, const std::vector<double>& values) {
  std::string out = "[";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    out += JsonDouble(values[i]);
  }
  out += ']';
  return AddRaw(key, std::move(out));
}

JsonObject& JsonObject::Add(absl::string_view key, const JsonObject& value) {
  return AddRaw(key, ToJson(value));
}

JsonObject& JsonObject::AddNull(absl::string_view key) { return AddRaw(key, "null"); }

std::string ToJson(const JsonObject& object) {
  std::string out = "{";
  bool first = true;
  for (const auto& [key, rendered] : object.fields()) {
    if (!first) out += ',';
    first = false;
    absl::StrAppend(&out, JsonString(key), ":", rendered);
  }
  out += '}';
  return out;
}

JsonObject ToJsonObject(const LatencySummary& summary) {
  JsonObject o;
  if (summary.count == 0) {
    for (const char* key : {"p50", "p90", "p99", "p999", "max", "mean"}) o.AddNull(key);
    return o;
  }
  o.Add("p50", summary.p50)
      .Add("p90", summary.p90)
      .Add("p99", summary.p99)
      .Add("p999", summary.p999)
      .Add("max", summary.max)
      .Add("mean", summary.mean);
  return o;
}

CtxSwitches ReadProcessCtxSwitches() {
  rusage ru{};
  if (getrusage(RUSAGE_SELF, &ru) != 0) return {};
  return {.voluntary = ru.ru_nvcsw, .involuntary = ru.ru_nivcsw};
}

CtxSwitches ParseStatusCtxSwitches(absl::string_view status) {
  return {.voluntary = FindKeyedValue(status, "voluntary_ctxt_switches"),
          .involuntary = FindKeyedValue(status, "nonvoluntary_ctxt_switches")};
}

int64_t ParseSchedMigrations(absl::string_view sched) {
  return FindKeyedValue(sched, "se.nr_migrations");
}

CtxSwitches ReadThreadCtxSwitches(pid_t tid) {
  std::string text;
  if (!ReadWholeFile(absl::StrCat("/proc/self/task/", tid, "/status"), &text)) return {};
  return ParseStatusCtxSwitches(text);
}

int64_t ReadThreadMigrations(pid_t tid) {
  std::string text;
  if (!ReadWholeFile(absl::StrCat("/proc/self/task/", tid, "/sched"), &text)) return -1;
  return ParseSchedMigrations(text);
}

int64_t ParseSchedstatRunDelay(absl::string_view schedstat) {
  std::vector<absl::string_view> fields =
      absl::StrSplit(absl::StripTrailingAsciiWhitespace(schedstat), ' ', absl::SkipEmpty());
  int64_t v = 0;
  if (fields.size() != 3 || !absl::SimpleAtoi(fields[1], &v) || v < 0) return -1;
  return v;
}

RunDelayReader::~RunDelayReader() {
  if (fd_ >= 0) close(fd_);
}

bool RunDelayReader::Open() {
  if (fd_ < 0) fd_ = open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);
  return fd_ >= 0 && Read() >= 0;
}

int64_t RunDelayReader::Read() const {
  if (fd_ < 0) return -1;
  char buf[96];
  const ssize_t n = pread(fd_, buf, sizeof(buf) - 1, 0);
  if (n <= 0) return -1;
  return ParseSchedstatRunDelay(absl::string_view(buf, static_cast<size_t>(n)));
}

CpuTimes ParseProcStatCpu(absl::string_view proc_stat) {
  // "cpu  user nice system idle iowait irq softirq steal guest guest_nice"; guest time is
  // already inside user and nice, so only the first eight fields count.
  if (!absl::StartsWith(proc_stat, "cpu ")) return {};
  absl::string_view line = proc_stat.substr(0, proc_stat.find('\n'));
  std::vector<absl::string_view> fields =
      absl::StrSplit(line.substr(4), ' ', absl::SkipEmpty());
  if (fields.size() < 4) return {};
  CpuTimes t{.idle = 0, .total = 0};
  for (size_t i = 0; i < fields.size() && i < 8; ++i) {
    int64_t v = 0;
    if (!absl::SimpleAtoi(fields[i], &v) || v < 0) return {};
    t.total += v;
    if (i == 3 || i == 4) t.idle += v;
  }
  return t;
}

CpuTimes ReadCpuTimes() {
  std::string text;
  if (!ReadWholeFile("/proc/stat", &text)) return {};
  return ParseProcStatCpu(text);
}

double IdlePercent(const CpuTimes& before, const CpuTimes& after) {
  if (before.total < 0 || after.total < 0 || after.total <= before.total) return -1;
  return 100.0 * static_cast<double>(after.idle - before.idle) /
         static_cast<double>(after.total - before.total);
}

int64_t SumCounters(const std::vector<int64_t>& values) {
  int64_t sum = 0;
  for (int64_t v : values) {
    if (v < 0) return -1;
    sum += v;
  }
  return sum;
}

namespace {

// demand() of IdealCpuAllocation's comment, memoised; `visiting` breaks parent cycles.
double Demand(int i, const std::vector<ShareNode>& nodes, const std::vector<std::vector<int>>& kids,
              std::vector<double>& memo, std::vector<char>& visiting) {
  if (memo[i] >= 0) return memo[i];
  if (visiting[i]) return 0;
  visiting[i] = 1;
  double d = std::max(0.0, nodes[i].limit_cpus);
  if (!kids[i].empty()) {
    double sum = 0;
    for (int k : kids[i]) sum += Demand(k, nodes, kids, memo, visiting);
    d = std::min(d, sum);
  }
  visiting[i] = 0;
  memo[i] = d;
  return d;
}

void WaterFill(const std::vector<int>& siblings, double amount, const std::vector<ShareNode>& nodes,
               const std::vector<double>& demand, std::vector<double>& alloc) {
  std::vector<int> active;
  for (int s : siblings) {
    if (nodes[s].weight > 0 && demand[s] > 0) active.push_back(s);
  }
  double remaining = amount;
  while (!active.empty() && remaining > 0) {
    double sum_w = 0;
    for (int s : active) sum_w += nodes[s].weight;
    std::vector<int> unlimited;
    double taken = 0;
    for (int s : active) {
      if (demand[s] <= remaining * nodes[s].weight / sum_w) {
        alloc[s] = demand[s];
        taken += demand[s];
      } else {
        unlimited.push_back(s);
      }
    }
    if (unlimited.size() == active.size()) {  // nobody is demand-limited: split and stop
      for (int s : active) alloc[s] = remaining * nodes[s].weight / sum_w;
      return;
    }
    remaining -= taken;
    active = std::move(unlimited);
  }
}

}  // namespace

std::vector<double> IdealCpuAllocation(const std::vector<ShareNode>& nodes, double capacity_cpus) {
  const int n = static_cast<int>(nodes.size());
  std::vector<std::vector<int>> kids(n);
  std::vector<int> roots;
  for (int i = 0; i < n; ++i) {
    const int p = nodes[i].parent;
    if (p >= 0 && p < n && p != i) {
      kids[p].push_back(i);
    } else {
      roots.push_back(i);
    }
  }
  std::vector<double> demand(n, -1);
  std::vector<char> visiting(n, 0);
  for (int i = 0; i < n; ++i) Demand(i, nodes, kids, demand, visiting);

  std::vector<double> alloc(n, 0);
  // Breadth-first from the roots, so a node's allocation is final before its children
  // split it. Nodes on a parent cycle are never reached and keep 0.
  WaterFill(roots, std::max(0.0, capacity_cpus), nodes, demand, alloc);
  std::vector<int> queue = roots;
  for (size_t q = 0; q < queue.size(); ++q) {
    const int i = queue[q];
    if (kids[i].empty()) continue;
    WaterFill(kids[i], alloc[i], nodes, demand, alloc);
    queue.insert(queue.end(), kids[i].begin(), kids[i].end());
  }
  return alloc;
}

double JainIndex(const std::vector<double>& values) {
  double sum = 0, sum_sq = 0;
  for (double v : values) {
    sum += v;
    sum_sq += v * v;
  }
  if (values.empty() || sum_sq == 0) return std::numeric_limits<double>::quiet_NaN();
  return sum * sum / (static_cast<double>(values.size()) * sum_sq);
}

ShareComparison CompareShares(const std::vector<double>& actual, const std::vector<double>& ideal) {
  ShareComparison c;
  c.max_rel_err = std::numeric_limits<double>::quiet_NaN();
  std::vector<double> ratios;
  for (size_t i = 0; i < actual.size() && i < ideal.size(); ++i) {
    if (ideal[i] <= 0) {
      c.rel_err.push_back(std::numeric_limits<double>::quiet_NaN());
      continue;
    }
    const double err = std::fabs(actual[i] - ideal[i]) / ideal[i];
    c.rel_err.push_back(err);
    c.max_rel_err = ratios.empty() ? err : std::max(c.max_rel_err, err);
    ratios.push_back(actual[i] / ideal[i]);
  }
  c.jain = JainIndex(ratios);
  return c;
}

int64_t NowNs(clockid_t clock) {
  timespec ts;
  clock_gettime(clock, &ts);
  return int64_t{ts.tv_sec} * kNsPerSec + ts.tv_nsec;
}

void SleepUntil(int64_t deadline_ns) {
  timespec ts{.tv_sec = deadline_ns / kNsPerSec, .tv_nsec = deadline_ns % kNsPerSec};
  // A signal returns early with EINTR; the deadline is absolute, so just retry.
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
  }
}

}  // namespace scxpp::workloads

// SPDX-License-Identifier: Apache-2.0
#include "scxpp/stats.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <linux/bpf.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <unordered_set>

#include "absl/strings/str_cat.h"
#include "lib/internal/libbpf_errors.h"
#include "absl/time/clock.h"
#include "scxpp/bpf/stats_common.h"

namespace scxpp {
namespace {

using internal::ErrnoText;

// The kernel's ENOTSUPP (include/linux/errno.h): not in the uapi headers, yet it reaches
// userspace when a map type has no batch operations.
constexpr int kKernelENOTSUPP = 524;

// Formatting helpers. They append to one string without temporaries: formatting runs every
// interval and is benchmarked. absl::StrCat is avoided for std::string_view arguments
// (Debian's absl::string_view is not std::string_view).
void AppendUint(std::string* out, uint64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  out->append(buf, end);
}

void AppendFixed(std::string* out, double v, int decimals) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::fixed, decimals);
  if (ec != std::errc()) {  // Only for absurd magnitudes; still print something valid.
    out->append("0");
    return;
  }
  out->append(buf, end);
}

// Seconds since the epoch with milliseconds, e.g. "1700000000.250" (also before 1970).
void AppendUnixSeconds(std::string* out, absl::Time t) {
  const int64_t ms = absl::ToUnixMillis(t);
  int64_t secs = ms / 1000;
  int64_t frac = ms % 1000;
  if (frac < 0) {
    frac += 1000;
    secs -= 1;
  }
  char buf[48];
  const int n = snprintf(buf, sizeof(buf), "%lld.%03lld", static_cast<long long>(secs),
                         static_cast<long long>(frac));
  out->append(buf, static_cast<size_t>(n));
}

void AppendJsonString(std::string* out, std::string_view s) {
  out->push_back('"');
  for (char c : s) {
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned>(c));
          out->append(buf);
        } else {
          out->push_back(c);
        }
    }
  }
  out->push_back('"');
}

// Prometheus text format escaping: HELP text escapes `\` and line feed; label values also `"`.
// Runs without escapes are appended whole (descriptions rarely have any).
void AppendPromEscaped(std::string* out, std::string_view s, bool quote) {
  const std::string_view special = quote ? std::string_view("\\\n\"") : std::string_view("\\\n");
  size_t start = 0;
  for (size_t pos = s.find_first_of(special); pos != std::string_view::npos;
       pos = s.find_first_of(special, start)) {
    out->append(s.substr(start, pos - start));
    out->append(s[pos] == '\\' ? "\\\\" : s[pos] == '\n' ? "\\n" : "\\\"");
    start = pos + 1;
  }
  out->append(s.substr(start));
}

// Bytes outside [a-zA-Z0-9_] become '_'.
void AppendMetricChars(std::string* out, std::string_view name) {
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_';
    out->push_back(ok ? c : '_');
  }
}

uint64_t CounterDelta(uint64_t prev, uint64_t now) { return now >= prev ? now - prev : now; }

void AppendPadded(std::string* out, std::string_view s, size_t width, bool right) {
  const size_t pad = width > s.size() ? width - s.size() : 0;
  if (right) out->append(pad, ' ');
  out->append(s);
  if (!right) out->append(pad, ' ');
}

}  // namespace

void AggregatePerCpu(const uint64_t* raw, size_t nr_counters, size_t nr_cpus, StatsSample* out) {
  const size_t n = nr_counters * nr_cpus;
  const bool in_place = raw == out->per_cpu.data() && out->per_cpu.size() == n;
  out->per_cpu.resize(n);  // No allocation once the sample has held this many values.
  out->totals.resize(nr_counters);
  out->nr_cpus = nr_cpus;
  uint64_t* dst = out->per_cpu.data();
  // One pass over the values, copying (unless in place) and summing as it goes: at 1024
  // CPUs they are 8 KiB per counter, so a separate copy would double the memory traffic.
  for (size_t c = 0; c < nr_counters; ++c) {
    const uint64_t* __restrict row = raw + c * nr_cpus;
    uint64_t sum = 0;
    if (in_place) {
      for (size_t cpu = 0; cpu < nr_cpus; ++cpu) sum += row[cpu];
    } else {
      uint64_t* __restrict to = dst + c * nr_cpus;
      for (size_t cpu = 0; cpu < nr_cpus; ++cpu) {
        to[cpu] = row[cpu];
        sum += row[cpu];
      }
    }
    out->totals[c] = sum;
  }
}

StatsDelta Delta(const StatsSample& prev, const StatsSample& now) {
  StatsDelta d;
  d.interval = now.at - prev.at;
  const size_t n = now.totals.size();
  d.deltas.resize(n);
  d.rates.assign(n, 0.0);
  const double secs = absl::ToDoubleSeconds(d.interval);
  const bool rate_ok = secs > 0 && std::isfinite(secs);
  for (size_t i = 0; i < n; ++i) {
    const uint64_t before = i < prev.totals.size() ? prev.totals[i] : 0;
    d.deltas[i] = CounterDelta(before, now.totals[i]);
    if (rate_ok) d.rates[i] = static_cast<double>(d.deltas[i]) / secs;
  }
  return d;
}

StatsReader::StatsReader(const bpf_map* map, std::vector<StatDesc> descs, size_t nr_cpus)
    : map_(map), descs_(std::move(descs)), nr_cpus_(nr_cpus), keys_(descs_.size()) {}

absl::StatusOr<StatsReader> StatsReader::Bind(const bpf_object* obj, std::vector<StatDesc> descs) {
  const bpf_map* map = bpf_object__find_map_by_name(obj, SCXPP_STATS_MAP_NAME);
  if (map == nullptr) {
    return absl::NotFoundError(absl::StrCat("stats: object '", bpf_object__name(obj),
                                            "' has no map '", SCXPP_STATS_MAP_NAME,
                                            "'; declare it with SCXPP_STATS_MAP()"));
  }
  if (bpf_map__type(map) != BPF_MAP_TYPE_PERCPU_ARRAY || bpf_map__value_size(map) != 8 ||
      bpf_map__key_size(map) != 4) {
    return absl::InvalidArgumentError("stats: map 'scxpp_stats' must be a per-CPU array of u64");
  }
  if (bpf_map__max_entries(map) != descs.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "stats: map 'scxpp_stats' has ", bpf_map__max_entries(map), " counters but the C++ "
        "side names ", descs.size(), "; build both from the same stats list"));
  }
  const int ncpus = libbpf_num_possible_cpus();
  if (ncpus <= 0) return absl::InternalError("stats: cannot count possible CPUs");
  return StatsReader(map, std::move(descs), static_cast<size_t>(ncpus));
}

// The kernel's generic batch lookup walks keys from `in_batch` (or the first key) and
// returns up to `count` of them. With count == entries it stops after the last key and
// returns 0; asked for more than is left it returns ENOENT with `count` set to what it
// did copy. A loop covers both and any short read.
int StatsReader::LookupBatch(int fd, uint64_t* values) {
  const size_t n = descs_.size();
  size_t got = 0;
  uint32_t in_batch = 0, out_batch = 0;
  while (got < n) {
    uint32_t count = static_cast<uint32_t>(n - got);
    int err = bpf_map_lookup_batch(fd, got == 0 ? nullptr : &in_batch, &out_batch,
                                   keys_.data() + got, values + got * nr_cpus_, &count, nullptr);
    if (err < 0 && err != -ENOENT) return err;
    for (uint32_t i = 0; i < count; ++i) {
      // Array keys come back in order; anything else would put values in the wrong row.
      if (keys_[got + i] != got + i) return -EPROTO;
    }
    got += count;
    if (err == -ENOENT || count == 0) break;
    in_batch = out_batch;
  }
  return got == n ? 0 : -ENODATA;
}

absl::Status StatsReader::LookupEach(uint64_t* values) {
  const size_t row_bytes = nr_cpus_ * sizeof(uint64_t);
  for (uint32_t key = 0; key < descs_.size(); ++key) {
    int err = bpf_map__lookup_elem(map_, &key, sizeof(key), values + key * nr_cpus_, row_bytes, 0);
    if (err != 0) {
      return absl::InternalError(absl::StrCat("stats: reading counter '", descs_[key].name,
                                              "' of map '", SCXPP_STATS_MAP_NAME,
                                              "' failed: ", ErrnoText(err)));
    }
  }
  return absl::OkStatus();
}

absl::Status StatsReader::ReadInto(StatsSample* out) {
  const int fd = bpf_map__fd(map_);
  if (fd < 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "stats: map '", SCXPP_STATS_MAP_NAME, "' has no file descriptor; load the object first"));
  }
  const size_t n = descs_.size();
  out->per_cpu.resize(n * nr_cpus_);  // No allocation once the sample has been read into.
  out->at = absl::Now();
  uint64_t* values = out->per_cpu.data();
  if (use_batch_) {
    const int err = LookupBatch(fd, values);
    if (err == -EINVAL || err == -ENOTSUP || err == -kKernelENOTSUPP) {
      use_batch_ = false;  // Before 5.6, or a kernel without array batch ops: stop asking.
    } else if (err != 0) {
      return absl::InternalError(absl::StrCat("stats: batch lookup of map '",
                                              SCXPP_STATS_MAP_NAME, "' failed: ", ErrnoText(err)));
    }
  }
  if (!use_batch_) {
    if (absl::Status s = LookupEach(values); !s.ok()) return s;
  }
  AggregatePerCpu(values, n, nr_cpus_, out);
  return absl::OkStatus();
}

absl::StatusOr<StatsSample> StatsReader::Read() {
  StatsSample sample;
  if (absl::Status s = ReadInto(&sample); !s.ok()) return s;
  return sample;
}

std::string FormatStatsText(const std::vector<StatDesc>& descs, const StatsSample& now,
                            const StatsSample* prev) {
  std::string out;
  for (size_t i = 0; i < descs.size() && i < now.totals.size(); ++i) {
    if (i != 0) out.push_back(' ');
    out.append(descs[i].name);
    out.push_back('=');
    AppendUint(&out, now.totals[i]);
    if (prev != nullptr) {
      out.append("(+");
      AppendUint(&out, CounterDelta(i < prev->totals.size() ? prev->totals[i] : 0, now.totals[i]));
      out.push_back(')');
    }
  }
  return out;
}

std::string FormatStatsTable(const std::vector<StatDesc>& descs, const StatsSample& now,
                             const StatsDelta* delta) {
  const size_t n = std::min(descs.size(), now.totals.size());
  // Cells first, to size the columns.
  std::vector<std::string> totals(n), deltas(n), rates(n);
  size_t w_name = 4, w_total = 5, w_delta = 5, w_rate = 6;  // The header words.
  for (size_t i = 0; i < n; ++i) {
    AppendUint(&totals[i], now.totals[i]);
    if (delta != nullptr && i < delta->deltas.size()) {
      AppendUint(&deltas[i], delta->deltas[i]);
      AppendFixed(&rates[i], delta->rates[i], 1);
    } else {
      deltas[i].push_back('-');  // Not `= "-"`: GCC 12 -O3 warns wrongly (-Wrestrict, PR105329).
      rates[i].push_back('-');
    }
    w_name = std::max(w_name, descs[i].name.size());
    w_total = std::max(w_total, totals[i].size());
    w_delta = std::max(w_delta, deltas[i].size());
    w_rate = std::max(w_rate, rates[i].size());
  }
  std::string out;
  auto line = [&](std::string_view name, std::string_view total, std::string_view d,
                  std::string_view rate, std::string_view desc) {
    AppendPadded(&out, name, w_name, false);
    out.append("  ");
    AppendPadded(&out, total, w_total, true);
    out.append("  ");
    AppendPadded(&out, d, w_delta, true);
    out.append("  ");
    AppendPadded(&out, rate, w_rate, true);
    if (!desc.empty()) {
      out.append("  ");
      out.append(desc);
    }
    out.push_back('\n');
  };
  line("name", "total", "delta", "rate/s", "description");
  for (size_t i = 0; i < n; ++i) {
    line(descs[i].name, totals[i], deltas[i], rates[i], descs[i].description);
  }
  return out;
}

std::string FormatStatsJson(const std::vector<StatDesc>& descs, const StatsSample& now,
                            const StatsDelta* delta) {
  const size_t n = std::min(descs.size(), now.totals.size());
  std::string out = "{\"ts\":";
  AppendUnixSeconds(&out, now.at);
  for (size_t i = 0; i < n; ++i) {
    out.push_back(',');
    AppendJsonString(&out, descs[i].name);
    out.push_back(':');
    AppendUint(&out, now.totals[i]);
  }
  if (delta != nullptr) {
    out.append(",\"interval_s\":");
    const double secs = absl::ToDoubleSeconds(delta->interval);
    AppendFixed(&out, std::isfinite(secs) ? secs : 0.0, 3);
    out.append(",\"rates\":{");
    for (size_t i = 0; i < n && i < delta->rates.size(); ++i) {
      if (i != 0) out.push_back(',');
      AppendJsonString(&out, descs[i].name);
      out.push_back(':');
      AppendFixed(&out, delta->rates[i], 3);
    }
    out.push_back('}');
  }
  out.push_back('}');
  return out;
}

std::string SanitizeMetricName(std::string_view name) {
  std::string out;
  out.reserve(name.size() + 1);
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) out.push_back('_');
  AppendMetricChars(&out, name);
  return out;
}

std::string FormatStatsPrometheus(const std::vector<StatDesc>& descs, const StatsSample& sample,
                                  std::string_view scheduler_name) {
  const size_t n = std::min(descs.size(), sample.totals.size());
  std::string label = "{scheduler=\"";
  AppendPromEscaped(&label, scheduler_name, /*quote=*/true);
  label.append("\"} ");

  // Metric names first: "scxpp_" + the sanitized name (after the prefix a leading digit is
  // fine) + "_total", made unique.
  constexpr std::string_view kSuffix = "_total";
  std::vector<std::string> metrics(n);
  std::unordered_set<std::string_view> seen;
  for (size_t i = 0; i < n; ++i) {
    std::string& m = metrics[i];
    m = "scxpp_";
    AppendMetricChars(&m, descs[i].name);
    if (!m.ends_with(kSuffix)) m.append(kSuffix);
    while (!seen.insert(m).second) m.insert(m.size() - kSuffix.size(), absl::StrCat("_", i));
  }

  std::string out;
  out.reserve(n * 160);
  for (size_t i = 0; i < n; ++i) {
    out.append("# HELP ");
    out.append(metrics[i]);
    out.push_back(' ');
    AppendPromEscaped(&out, descs[i].description, /*quote=*/false);
    out.append("\n# TYPE ");
    out.append(metrics[i]);
    out.append(" counter\n");
    out.append(metrics[i]);
    out.append(label);
    AppendUint(&out, sample.totals[i]);
    out.push_back('\n');
  }
  return out;
}

absl::Status WritePrometheusFile(const std::string& path, std::string_view text) {
  if (path.empty()) return absl::InvalidArgumentError("stats: empty Prometheus file path");
  // A fresh name each time, created exclusively (mkstemp: O_CREAT | O_EXCL, which never
  // follows a symlink): the directory is often writable by the exporter's account, and a
  // fixed temporary name there would let it plant a link that this root process writes
  // through. rename() then replaces the name itself, a symlink planted at `path` included.
  // The suffix is not ".prom", so node-exporter never reads a half-written file.
  std::string tmp = path + ".tmp.XXXXXX";
  const int fd = mkostemp(tmp.data(), O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;  // Nothing of ours to remove.
    return absl::ErrnoToStatus(
        err, absl::StrCat("stats: creating a temporary file next to '", path, "' (", tmp,
                          "): ", ErrnoText(err)));
  }
  // Removes our temporary file and names the step that failed.
  auto fail = [&tmp](std::string_view what, int err) {
    unlink(tmp.c_str());
    return absl::ErrnoToStatus(err,
                               absl::StrCat("stats: ", std::string(what), ": ", ErrnoText(err)));
  };
  // 0644: node-exporter usually runs as another user (mkstemp made it 0600).
  if (fchmod(fd, 0644) != 0) {
    const int err = errno;
    close(fd);
    return fail(absl::StrCat("making '", tmp, "' readable"), err);
  }
  const char* p = text.data();
  size_t left = text.size();
  while (left > 0) {
    const ssize_t w = write(fd, p, left);
    if (w < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      close(fd);
      return fail(absl::StrCat("writing '", tmp, "'"), err);
    }
    p += w;
    left -= static_cast<size_t>(w);
  }
  if (close(fd) != 0) return fail(absl::StrCat("writing '", tmp, "'"), errno);
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    return fail(absl::StrCat("renaming '", tmp, "' to '", path, "'"), errno);
  }
  return absl::OkStatus();
}

absl::StatusOr<StatsFormat> ParseStatsFormat(std::string_view name) {
  if (name == "text") return StatsFormat::kText;
  if (name == "table") return StatsFormat::kTable;
  if (name == "json") return StatsFormat::kJson;
  if (name == "prometheus") return StatsFormat::kPrometheus;
  return absl::InvalidArgumentError(absl::StrCat("unknown stats format '", std::string(name),
                                                 "'; use text, table, json or prometheus"));
}

}  // namespace scxpp

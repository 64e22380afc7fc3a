// SPDX-License-Identifier: Apache-2.0
/// @file
/// A scheduler's stats counters: reading the per-CPU `scxpp_stats` map (declared on the BPF
/// side with SCXPP_STATS_MAP() from one X-macro list shared with C++), per-CPU and total
/// views, deltas and rates between two reads, and the output formats: one text line, an
/// aligned table, JSON lines and the Prometheus text exposition format.
///
/// Everything but StatsReader is pure and works without a kernel, so it is unit-tested and
/// benchmarked on the host.
#ifndef SCXPP_STATS_H_
#define SCXPP_STATS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

struct bpf_map;
struct bpf_object;

namespace scxpp {

/// Name and description of one counter.
struct StatDesc {
  std::string name;         ///< Short identifier, used as the JSON key and Prometheus name.
  std::string description;  ///< One-line meaning, for the table and the metric's HELP.
};

/// @cond
#define SCXPP__STAT_DESC(id, name, desc) ::scxpp::StatDesc{name, desc},
/// @endcond
/// The C++ view of a stats list: `SCXPP_STATS_DESCS(MYSCHED_STATS)` → std::vector<StatDesc>.
#define SCXPP_STATS_DESCS(LIST) (std::vector<::scxpp::StatDesc>{LIST(SCXPP__STAT_DESC)})

/// Counter values at one moment: totals, and the per-CPU values they were summed from.
struct StatsSample {
  absl::Time at;                 ///< When it was read (wall clock).
  std::vector<uint64_t> totals;  ///< Sum over CPUs, one per StatDesc, in list order.
  /// Per-CPU values, flat and counter-major: counter `c` on CPU `cpu` is
  /// `per_cpu[c * nr_cpus + cpu]`. This is the layout the kernel returns for a per-CPU
  /// array, so a read lands here without a copy. Empty when only totals are known (a
  /// sample built by hand). Use PerCpu() rather than indexing.
  std::vector<uint64_t> per_cpu;
  /// CPUs in the per-CPU view: the number of possible CPUs (highest possible CPU id + 1,
  /// so the index is the CPU id; CPUs that are possible but offline read 0). 0 when the
  /// sample has no per-CPU view.
  size_t nr_cpus = 0;

  /// Counter `counter` (an index into the stats list) on CPU `cpu`. Returns 0 when either
  /// is out of range or the sample has no per-CPU view.
  uint64_t PerCpu(size_t counter, size_t cpu) const {
    if (counter >= totals.size() || cpu >= nr_cpus || per_cpu.size() < totals.size() * nr_cpus) {
      return 0;
    }
    return per_cpu[counter * nr_cpus + cpu];
  }
};

/// Fills `out->per_cpu` and `out->totals` from `raw`, `nr_counters` rows of `nr_cpus` u64
/// values each (counter-major, the kernel's layout for a per-CPU array of u64), and sets
/// `out->nr_cpus`. Leaves `out->at` alone. Reuses `out`'s buffers: no allocation once they
/// have reached their size. `raw` may be `out->per_cpu.data()` when that already holds
/// `nr_counters * nr_cpus` values (the values are then summed in place, without a copy).
/// Pure; wraps around on u64 overflow like the BPF counters themselves.
/// REQUIRES: `raw` points to `nr_counters * nr_cpus` values; `out` is not null.
void AggregatePerCpu(const uint64_t* raw, size_t nr_counters, size_t nr_cpus, StatsSample* out);

/// What changed between two samples of the same counter list.
struct StatsDelta {
  /// `now.at - prev.at`. Zero or negative when the samples are the same or the wall clock
  /// stepped back; rates are then 0.
  absl::Duration interval;
  /// Increase of each counter (one per counter of `now`). A counter that went down was
  /// reset (the scheduler restarted and its map is new), so its delta is its value in
  /// `now`: what it counted since the reset. A counter missing from `prev` counts from 0.
  std::vector<uint64_t> deltas;
  /// `deltas[i]` per second of `interval`; all 0 when `interval` is not positive.
  std::vector<double> rates;
};

/// The per-counter change from `prev` to `now`, with rates per second. Pure.
StatsDelta Delta(const StatsSample& prev, const StatsSample& now);

/// Reads the per-CPU counter map of a loaded scheduler. A non-owning view: valid while the
/// bpf_object it was bound to lives (for Scheduler<Skel>, as long as the scheduler). Reads
/// reuse internal buffers, so a reader must not be used from two threads at once.
class StatsReader {
 public:
  /// Binds to map `scxpp_stats` of `obj`; checks once that it is a per-CPU array of u64
  /// with exactly descs.size() entries. The object may be opened or loaded; reads need
  /// it loaded. Minimum kernel: that of sched_ext (6.12); nothing is asked of the kernel
  /// here.
  /// @return the reader; kNotFound if the object has no such map; kInvalidArgument if the
  ///         map's type, key or value size differs or its entry count is not descs.size();
  ///         kInternal if the number of possible CPUs cannot be read from sysfs.
  static absl::StatusOr<StatsReader> Bind(const bpf_object* obj, std::vector<StatDesc> descs);

  /// Reads every counter on every possible CPU into `out` (totals and per-CPU view; `at`
  /// is the time of the read), reusing `out`'s buffers: at steady state a read allocates
  /// nothing. The whole map comes in one bpf_map_lookup_batch() syscall (array batch
  /// operations: Linux 5.6); if the kernel refuses batch lookups (EINVAL, ENOTSUP), this
  /// and later reads fall back to one lookup per counter.
  /// @return OK; kFailedPrecondition if the object is not loaded; kInternal if the kernel
  ///         refuses the read (the message names the counter and the errno). On error
  ///         `out` holds partial values.
  absl::Status ReadInto(StatsSample* out);

  /// Like ReadInto(), into a new sample (allocates; for occasional reads).
  /// @return the sample, or the errors of ReadInto().
  absl::StatusOr<StatsSample> Read();

  /// The counter list this reader was bound with.
  const std::vector<StatDesc>& descs() const { return descs_; }
  /// Possible CPUs: the width of each counter's per-CPU row.
  size_t nr_cpus() const { return nr_cpus_; }
  /// False once the kernel refused a batch lookup and reads use one syscall per counter.
  bool uses_batch_lookup() const { return use_batch_; }

 private:
  StatsReader(const bpf_map* map, std::vector<StatDesc> descs, size_t nr_cpus);
  // One bpf_map_lookup_batch() loop over the whole map into `values`; returns 0 or a
  // negative errno.
  int LookupBatch(int fd, uint64_t* values);
  absl::Status LookupEach(uint64_t* values);

  const bpf_map* map_;
  std::vector<StatDesc> descs_;
  size_t nr_cpus_;
  bool use_batch_ = true;
  std::vector<uint32_t> keys_;  // Batch-lookup key output, reused across reads.
};

/// `name=value ...` on one line; with `prev`, each value is followed by `(+delta)` (see
/// StatsDelta for how resets count). Pure.
std::string FormatStatsText(const std::vector<StatDesc>& descs, const StatsSample& now,
                            const StatsSample* prev);

/// A table for humans, one line per counter under a header, every line ending in '\n':
/// columns name, total, delta, rate/s and description, aligned (names and descriptions to
/// the left, numbers to the right, two spaces between columns). Without `delta` (the first
/// sample) the delta and rate columns show `-`. Rates have one decimal. Pure.
std::string FormatStatsTable(const std::vector<StatDesc>& descs, const StatsSample& now,
                             const StatsDelta* delta);

/// One JSON object on one line (JSON lines):
/// `{"ts":<seconds since the epoch, 3 decimals>,"<name>":<total>,...}`, and with `delta`
/// also `"interval_s":<seconds>,"rates":{"<name>":<per second, 3 decimals>,...}` at the end.
/// Names are JSON-escaped; a counter should not be called `ts`, `interval_s` or `rates`.
/// Pure.
std::string FormatStatsJson(const std::vector<StatDesc>& descs, const StatsSample& now,
                            const StatsDelta* delta = nullptr);

/// A valid Prometheus metric name part: every byte outside `[a-zA-Z0-9_]` becomes `_`
/// (colons too: the data model allows them but reserves them for recording rules, not
/// exporters), and a name that is empty or starts with a digit gets a leading `_`, so the
/// result always matches `[a-zA-Z_:][a-zA-Z0-9_:]*`. Pure.
std::string SanitizeMetricName(std::string_view name);

/// The Prometheus text exposition format (version 0.0.4), as node-exporter's textfile
/// collector reads it. Per counter, three lines:
///
///     # HELP scxpp_<name>_total <description>
///     # TYPE scxpp_<name>_total counter
///     scxpp_<name>_total{scheduler="<scheduler_name>"} <total>
///
/// `<name>` is SanitizeMetricName(name), without a second `_total` if it already ends so;
/// should two counters map to the same metric name, the later one gets `_<index>` added
/// (Prometheus rejects a file that repeats a metric family). HELP text escapes `\` and
/// line feeds, the label value also `"`. No timestamps (the textfile collector refuses
/// them). Every line, the last included, ends in '\n'. Pure.
std::string FormatStatsPrometheus(const std::vector<StatDesc>& descs, const StatsSample& sample,
                                  std::string_view scheduler_name);

/// Replaces the file at `path` with `text` atomically: writes a new file of a fresh name
/// (`<path>.tmp.XXXXXX`, made by mkstemp(), so never through a symlink planted in the
/// directory) and renames it over `path` (which replaces a symlink at `path` rather than
/// writing through it). A reader such as node-exporter sees the old file or the new one,
/// never a partial one (its textfile collector reads only `*.prom`, so the temporary file
/// is not picked up). The file is 0644. Not fsync'ed: atomic for readers, not durable
/// across a crash, which is what metrics rewritten every interval need. The temporary
/// file is removed on failure.
/// @return OK; kInvalidArgument for an empty path; otherwise the code absl::ErrnoToStatus
///         gives the failing call's errno, e.g. kNotFound (no such directory),
///         kPermissionDenied, kResourceExhausted (disk full); the message names the file
///         and the step.
absl::Status WritePrometheusFile(const std::string& path, std::string_view text);

/// How the runner prints stats each interval (`--stats_format`).
enum class StatsFormat {
  kText,        ///< FormatStatsText(): one line.
  kTable,       ///< FormatStatsTable(): an aligned table.
  kJson,        ///< FormatStatsJson(): JSON lines.
  kPrometheus,  ///< FormatStatsPrometheus(): the exposition text.
};

/// Parses "text", "table", "json" or "prometheus".
/// @return the format; kInvalidArgument for anything else (the message lists the choices).
absl::StatusOr<StatsFormat> ParseStatsFormat(std::string_view name);

}  // namespace scxpp

#endif  // SCXPP_STATS_H_

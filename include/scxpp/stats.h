// SPDX-License-Identifier: Apache-2.0
/// @file
/// Reading a scheduler's per-CPU stats counters (the `scxpp_stats` map, declared on the BPF
/// side with SCXPP_STATS_MAP() from one X-macro list shared with C++).
#ifndef SCXPP_STATS_H_
#define SCXPP_STATS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

struct bpf_map;
struct bpf_object;

namespace scxpp {

/// Name and description of one counter.
struct StatDesc {
  std::string name;         ///< Short identifier, used as the JSON / Prometheus key.
  std::string description;  ///< One-line meaning, for help output and metric HELP.
};

#define SCXPP__STAT_DESC(id, name, desc) ::scxpp::StatDesc{name, desc},
/// The C++ view of a stats list: `SCXPP_STATS_DESCS(MYSCHED_STATS)` → std::vector<StatDesc>.
#define SCXPP_STATS_DESCS(LIST) (std::vector<::scxpp::StatDesc>{LIST(SCXPP__STAT_DESC)})

/// Counter totals (summed over CPUs) at one moment.
struct StatsSample {
  absl::Time at;                 ///< When it was read.
  std::vector<uint64_t> totals;  ///< One per StatDesc, in list order.
};

/// Reads the per-CPU counter map of a loaded scheduler.
class StatsReader {
 public:
  /// Binds to map `scxpp_stats` of `obj`; checks once that it is a per-CPU array of u64
  /// with exactly descs.size() entries.
  /// @return kNotFound without such a map; kInvalidArgument on a size mismatch.
  static absl::StatusOr<StatsReader> Bind(const bpf_object* obj, std::vector<StatDesc> descs);

  /// Reads every counter, summed over possible CPUs. kInternal if the map read fails.
  absl::StatusOr<StatsSample> Read() const;

  /// The counter list this reader was bound with.
  const std::vector<StatDesc>& descs() const { return descs_; }

 private:
  StatsReader(const bpf_map* map, std::vector<StatDesc> descs, int ncpus);
  const bpf_map* map_;
  std::vector<StatDesc> descs_;
  int ncpus_;
  mutable std::vector<uint64_t> buf_;
};

/// "name=value(+delta) ..." on one line; deltas against `prev` when given.
std::string FormatStatsText(const std::vector<StatDesc>& descs, const StatsSample& now,
                            const StatsSample* prev);
/// One JSON object per sample: `{"ts":<seconds since the epoch>,"<name>":<value>,...}`.
std::string FormatStatsJson(const std::vector<StatDesc>& descs, const StatsSample& now);

}  // namespace scxpp

#endif  // SCXPP_STATS_H_

// SPDX-License-Identifier: Apache-2.0
#include "scxpp/stats.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "scxpp/bpf/stats_common.h"

namespace scxpp {

StatsReader::StatsReader(const bpf_map* map, std::vector<StatDesc> descs, int ncpus)
    : map_(map), descs_(std::move(descs)), ncpus_(ncpus), buf_(ncpus) {}

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
  return StatsReader(map, std::move(descs), ncpus);
}

absl::StatusOr<StatsSample> StatsReader::Read() const {
  StatsSample sample;
  sample.at = absl::Now();
  sample.totals.resize(descs_.size());
  for (uint32_t key = 0; key < descs_.size(); ++key) {
    if (bpf_map__lookup_elem(map_, &key, sizeof(key), buf_.data(), buf_.size() * 8, 0) != 0) {
      return absl::InternalError(absl::StrCat("stats: reading counter ", descs_[key].name,
                                              " failed: ", strerror(errno)));
    }
    uint64_t sum = 0;
    for (uint64_t v : buf_) sum += v;
    sample.totals[key] = sum;
  }
  return sample;
}

std::string FormatStatsText(const std::vector<StatDesc>& descs, const StatsSample& now,
                            const StatsSample* prev) {
  std::string out;
  for (size_t i = 0; i < descs.size() && i < now.totals.size(); ++i) {
    absl::StrAppend(&out, i ? " " : "", descs[i].name, "=", now.totals[i]);
    if (prev != nullptr && i < prev->totals.size()) absl::StrAppend(&out, "(+", now.totals[i] - prev->totals[i], ")");
  }
  return out;
}

std::string FormatStatsJson(const std::vector<StatDesc>& descs, const StatsSample& now) {
  const int64_t ms = absl::ToUnixMillis(now.at);
  std::string out = absl::StrCat("{\"ts\":", ms / 1000, ".", absl::StrFormat("%03d", static_cast<int>(ms % 1000)));
  for (size_t i = 0; i < descs.size() && i < now.totals.size(); ++i) {
    absl::StrAppend(&out, ",\"", descs[i].name, "\":", now.totals[i]);
  }
  out += "}";
  return out;
}

}  // namespace scxpp

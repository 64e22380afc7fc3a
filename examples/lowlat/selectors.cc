// SPDX-License-Identifier: Apache-2.0
#include "selectors.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cstdio>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "lowlat_intf.h"

namespace selectors {
namespace {

// --comm's NAME[:UID|:any] -> the name and the uid field.
absl::StatusOr<std::pair<std::string, uint64_t>> ParseCommSelector(const std::string& v) {
  const size_t colon = v.rfind(':');
  if (colon == std::string::npos) return std::make_pair(v, uint64_t{0});
  const std::string who = v.substr(colon + 1);
  uint32_t uid = 0;
  if (who == "any") return std::make_pair(v.substr(0, colon), LOWLAT_ANY_UID);
  if (!absl::SimpleAtoi(who, &uid)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "'", v, "': after ':' give a uid or 'any' (NAME, NAME:1000 or NAME:any)"));
  }
  return std::make_pair(v.substr(0, colon), uint64_t{uid});
}

}  // namespace

std::vector<scxpp::TableDesc> Tables() {
  return {
      {"critical_pids", "threads that are latency-critical whatever they do", scxpp::KeyKind::kPid,
       {}, "crit_pids", {}},
      {"critical_comms", "command names whose threads (of one uid) are latency-critical",
       scxpp::KeyKind::kComm,
       {{"uid", "the real uid a thread of this name must have (4294967296: any uid)", 0, 0,
         LOWLAT_ANY_UID}},
       "crit_comms", {}},
      {"critical_cgroups", "cgroups whose tasks are latency-critical", scxpp::KeyKind::kCgroup,
       {}, "crit_cgroups", {}},
  };
}

absl::StatusOr<std::vector<Selection>> ParseSelectors(const std::vector<std::string>& pids,
                                                      const std::vector<std::string>& comms,
                                                      const std::vector<std::string>& cgroups) {
  std::vector<Selection> out = {{"--pid", 0, {}}, {"--comm", 1, {}}, {"--cgroup", 2, {}}};
  const std::vector<std::string>* values[] = {&pids, &comms, &cgroups};
  const scxpp::KeyKind kinds[] = {scxpp::KeyKind::kPid, scxpp::KeyKind::kComm,
                                  scxpp::KeyKind::kCgroup};
  for (size_t i = 0; i < out.size(); ++i) {
    for (const std::string& v : *values[i]) {
      std::string text = v;
      std::vector<uint64_t> fields;
      if (kinds[i] == scxpp::KeyKind::kComm) {
        absl::StatusOr<std::pair<std::string, uint64_t>> c = ParseCommSelector(v);
        if (!c.ok()) return absl::InvalidArgumentError(absl::StrCat("--comm: ", c.status().message()));
        text = c->first;
        fields = {c->second};
      }
      absl::StatusOr<scxpp::TableKey> k = scxpp::ParseTableKey(kinds[i], text);
      if (!k.ok()) {
        return absl::Status(k.status().code(), absl::StrCat(out[i].flag, ": ", k.status().message()));
      }
      out[i].keys.push_back(*k);
      out[i].fields.push_back(std::move(fields));
    }
  }
  return out;
}

absl::Status PutSelections(scxpp::SchedulerBase& s, const std::vector<Selection>& selections) {
  const std::vector<scxpp::TableDesc> tables = Tables();
  for (const Selection& sl : selections) {
    for (size_t i = 0; i < sl.keys.size(); ++i) {
      if (absl::Status st = scxpp::PutTableEntry(s, tables[sl.table], sl.keys[i], sl.fields[i]);
          !st.ok()) {
        return absl::Status(st.code(), absl::StrCat(sl.flag, ": ", st.message()));
      }
    }
  }
  return absl::OkStatus();
}

void CgroupFollower::Poll(scxpp::SchedulerBase& s) {
  if (++polls_ % 10 != 0 || entries_.empty()) return;  // The runner polls every 100 ms.
  bpf_map* map = bpf_object__find_map_by_name(s.object(), "crit_cgroups");
  if (map == nullptr) return;
  for (auto it = entries_.begin(); it != entries_.end();) {
    uint64_t v = 0;
    if (bpf_map_lookup_elem(bpf_map__fd(map), &it->id, &v) != 0) {
      it = entries_.erase(it);  // Removed at run time: not ours to put back.
      continue;
    }
    absl::StatusOr<scxpp::TableKey> now = scxpp::ParseTableKey(scxpp::KeyKind::kCgroup, it->path);
    if (!now.ok() && !it->reported) {
      std::printf("lowlat: warning: --cgroup %s is gone; it selects nothing until it is made "
                  "again\n", it->path.c_str());
      it->reported = true;
    } else if (now.ok() && now->id != it->id &&
               scxpp::PutTableEntry(s, Tables()[2], *now).ok()) {
      bpf_map_delete_elem(bpf_map__fd(map), &it->id);
      std::printf("lowlat: --cgroup %s was made again (id %llu, was %llu): following it\n",
                  it->path.c_str(), static_cast<unsigned long long>(now->id),
                  static_cast<unsigned long long>(it->id));
      it->id = now->id;
      it->reported = false;
    }
    std::fflush(stdout);
    ++it;
  }
}

}  // namespace selectors

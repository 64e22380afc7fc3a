// SPDX-License-Identifier: Apache-2.0
// lowlat: wakeup latency for audio and trading workloads. See lowlat.bpf.c for the policy.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "lowlat.skel.h"
#include "lowlat_intf.h"
#include "scxpp/control.h"
#include "scxpp/dsq_plan.h"
#include "scxpp/flags.h"
#include "scxpp/runner.h"
#include "scxpp/topology.h"

// List flags take comma-separated values (--pid=12,34); like every absl flag, a repeated
// flag replaces the earlier value instead of adding to it. They fill the tables
// critical_pids/_comms/_cgroups, which `scxppctl table lowlat ...` changes at run time; the
// numeric flags are the start values of the live tunables of the same names.
ABSL_FLAG(std::vector<std::string>, pid, {},
          "Thread ids to treat as latency-critical, comma-separated (--pid=12,34).");
ABSL_FLAG(std::vector<std::string>, comm, {},
          "Command names (<= 15 chars) to treat as critical, comma-separated, each as "
          "NAME (root's threads), NAME:UID (that user's) or NAME:any (anyone's: any user "
          "can name a thread so).");
ABSL_FLAG(std::vector<std::string>, cgroup, {},
          "cgroup v2 paths (e.g. /sys/fs/cgroup/audio) whose tasks are critical, "
          "comma-separated.");
ABSL_FLAG(bool, nice_critical, true, "Treat tasks with a negative nice value as critical.");
ABSL_FLAG(bool, auto, true, "Detect critical tasks: they wake often and run briefly.");
ABSL_FLAG(uint32_t, crit_max_burst_us, 1000,
          "Auto: most CPU time per wakeup (average) of a critical task; running longer "
          "than this without sleeping demotes any critical task.");
ABSL_FLAG(uint32_t, crit_max_interval_us, 50000,
          "Auto: longest average time between wakeups of a critical task.");
ABSL_FLAG(uint32_t, max_auto_critical, 4,
          "Most tasks --auto marks critical at once (explicit selectors are not counted).");
ABSL_FLAG(bool, preempt, true,
          "Let a critical wakeup preempt a non-critical task when no CPU is idle.");
ABSL_FLAG(uint32_t, slice_us, 5000, "Slice of non-critical tasks when nothing waits (us).");
ABSL_FLAG(uint32_t, min_slice_us, 500, "Shortest slice under contention (us).");
ABSL_FLAG(uint32_t, max_wait_ms, 1000,
          "Longest a task waits in the fair queue before it runs ahead of vtime order (ms).");

namespace {

// The selector tables, published for `scxppctl table lowlat <table> add|remove|list KEY`.
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

// Everything the flags select, validated before anything is loaded.
struct Selection {
  const char* flag;
  size_t table;  // Index in Tables().
  std::vector<scxpp::TableKey> keys;
  std::vector<std::vector<uint64_t>> fields;  // Per key; empty: the table's defaults.
};

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

absl::StatusOr<std::vector<Selection>> ParseSelectors() {
  std::vector<Selection> out = {{"--pid", 0, {}}, {"--comm", 1, {}}, {"--cgroup", 2, {}}};
  const std::vector<std::string> values[] = {absl::GetFlag(FLAGS_pid), absl::GetFlag(FLAGS_comm),
                                             absl::GetFlag(FLAGS_cgroup)};
  const scxpp::KeyKind kinds[] = {scxpp::KeyKind::kPid, scxpp::KeyKind::kComm,
                                  scxpp::KeyKind::kCgroup};
  for (size_t i = 0; i < out.size(); ++i) {
    for (const std::string& v : values[i]) {
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

// A --cgroup selector is stored by cgroup id (the directory's inode); a cgroup removed and
// made again under the same path has a new id, and the old one would silently match
// nothing. Once a second the paths are checked: a new id replaces the old one in the table
// (said on stdout), a path that is gone is reported once. A selector removed with scxppctl
// is no longer followed.
class CgroupFollower {
 public:
  explicit CgroupFollower(const std::vector<std::string>& paths) {
    for (const std::string& p : paths) {
      absl::StatusOr<scxpp::TableKey> k = scxpp::ParseTableKey(scxpp::KeyKind::kCgroup, p);
      if (k.ok()) entries_.push_back({p, k->id, false});
    }
  }

  void Poll(scxpp::SchedulerBase& s) {
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

 private:
  struct Entry {
    std::string path;
    uint64_t id;
    bool reported;
  };
  std::vector<Entry> entries_;
  unsigned polls_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  scxpp::ParseCommandLine(argc, argv, "run latency-critical tasks the moment they wake");
  absl::StatusOr<std::vector<Selection>> sel = ParseSelectors();
  if (!sel.ok()) return scxpp::ReportStartError(sel.status());
  absl::StatusOr<scxpp::Topology> topo = scxpp::Topology::FromSysfs();
  if (!topo.ok()) return scxpp::ReportStartError(topo.status());
  CgroupFollower cgroups(absl::GetFlag(FLAGS_cgroup));

  return scxpp::RunWithFlags<lowlat>(
      [&](lowlat& skel) -> absl::Status {
        auto* ro = skel.rodata;
        // Start values of the live tunables: the flags of the same names, range-checked.
        absl::StatusOr<scxpp::Tunables> t =
            scxpp::Tunables::Bind(skel.obj, SCXPP_TUNABLE_DESCS(LOWLAT_TUNABLES));
        if (!t.ok()) return t.status();
        if (absl::Status s = t->SetFromFlags(); !s.ok()) return s;
        if (absl::GetFlag(FLAGS_min_slice_us) > absl::GetFlag(FLAGS_slice_us)) {
          return absl::InvalidArgumentError("--min_slice_us exceeds --slice_us");
        }
        ro->nr_cpu_ids = static_cast<uint32_t>(topo->nr_cpu_ids());
        scxpp::SetRodata(
            ro->scxpp_dsq_plan,
            scxpp::MakeDsqPlan(*topo, {SCXPP_DSQ_SHARED, SCXPP_DSQ_USER}, 0, /*nr_user=*/1));
        return absl::OkStatus();
      },
      scxpp::ControlSpec{SCXPP_STATS_DESCS(LOWLAT_STATS), SCXPP_TUNABLE_DESCS(LOWLAT_TUNABLES),
                         Tables()},
      scxpp::RunHooks{.loaded = [&](scxpp::SchedulerBase& s) -> absl::Status {
        const std::vector<scxpp::TableDesc> tables = Tables();
        for (const Selection& sl : *sel) {
          for (size_t i = 0; i < sl.keys.size(); ++i) {
            const scxpp::TableKey& k = sl.keys[i];
            if (absl::Status st = scxpp::PutTableEntry(s, tables[sl.table], k, sl.fields[i]);
                !st.ok()) {
              return absl::Status(st.code(), absl::StrCat(sl.flag, ": ", st.message()));
            }
          }
        }
        return absl::OkStatus();
      },
                       .poll = [&](scxpp::SchedulerBase& s) { cgroups.Poll(s); }});
}

// SPDX-License-Identifier: Apache-2.0
// fairshare's view of the cgroup2 tree: cgroup ids to paths, how many are live, the exit report.
#include "cgroups.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "fairshare_intf.h"
#include "fmt/format.h"

namespace fairshare_impl {

std::map<uint64_t, std::string> CgroupPaths(const std::string& root) {
  std::map<uint64_t, std::string> paths;
  struct stat st;
  if (stat(root.c_str(), &st) == 0) paths[st.st_ino] = "/";
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(
           root, std::filesystem::directory_options::skip_permission_denied, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_directory(ec)) continue;
    if (stat(it->path().c_str(), &st) == 0) {
      paths[st.st_ino] = "/" + std::filesystem::relative(it->path(), root, ec).string();
    }
  }
  return paths;
}

long LiveCgroups(const std::string& root) {
  std::ifstream f(root + "/cgroup.stat");
  std::string key;
  long n = -1;
  while (f >> key >> n) {
    if (key == "nr_descendants") return n + 1;
  }
  return -1;
}

void Report(scxpp::SchedulerBase& s, const std::string& cgroup_root) {
  bpf_map* map = bpf_object__find_map_by_name(s.object(), "fairshare_cgroups");
  if (map == nullptr) return;
  const int fd = bpf_map__fd(map);
  // Names come from a walk of the whole tree, which reads every cgroup's directory: with
  // 20,000 cgroups (other users can make that many) it took 36 s under TCG, and the report
  // is printed on the way out. Past kMaxNamed, rows show ids.
  constexpr long kMaxNamed = 2000;
  const long live = LiveCgroups(cgroup_root);
  std::map<uint64_t, std::string> paths;
  if (live >= 0 && live <= kMaxNamed) paths = CgroupPaths(cgroup_root);
  fmt::print("{:<40} {:>6} {:>10} {:>12} {:>9}\n", "cgroup", "weight", "cpu.max", "cpu_ms",
             "throttles");
  uint64_t key = 0, next = 0;
  void* prev = nullptr;
  int tracked = 0;
  while (bpf_map_get_next_key(fd, prev, &next) == 0) {
    key = next;
    prev = &key;
    fairshare_cgroup c{};
    if (bpf_map_lookup_elem(fd, &key, &c) != 0) continue;
    ++tracked;
    if (c.runtime_ns < 1000000 && c.nr_throttles == 0) continue;
    auto p = paths.find(key);
    const std::string name = p != paths.end() ? p->second : absl::StrCat("id:", key);
    const std::string cap =
        c.quota_ns ? fmt::format("{:.2f}cpu", static_cast<double>(c.quota_ns) / c.period_ns)
                   : "max";
    fmt::print("{:<40} {:>6} {:>10} {:>12.1f} {:>9}\n", name, c.weight, cap,
               static_cast<double>(c.runtime_ns) / 1e6, c.nr_throttles);
  }
  // Every live cgroup has one entry, removed by cgroup_exit: a larger count is a leak.
  fmt::print("cgroups tracked: {} (live under {}: {})\n", tracked, cgroup_root, live);
  std::fflush(stdout);
}

}  // namespace fairshare_impl

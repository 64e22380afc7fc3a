// SPDX-License-Identifier: Apache-2.0
#include "scxpp/topology.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <filesystem>
#include <map>
#include <numeric>
#include <optional>
#include <system_error>
#include <tuple>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace scxpp {
namespace {

namespace fs = std::filesystem;

// Far above any kernel's NR_CPUS (8192 today); bounds what a garbage range can allocate.
constexpr int kMaxCpuId = 65535;

std::string_view Trim(std::string_view s) {
  constexpr std::string_view kSpace = " \t\n\r\f\v";
  const size_t first = s.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(kSpace) - first + 1);
}

// Content for an error message: trimmed, non-printables escaped, long content cut.
std::string Quote(std::string_view s) {
  constexpr size_t kMax = 80;
  s = Trim(s);
  std::string out = absl::CEscape(std::string(s.substr(0, kMax)));
  if (s.size() > kMax) out += "...";
  return absl::StrCat("'", out, "'");
}

// A CPU id or a group-syntax count: decimal digits only (no sign, no spaces), <= kMaxCpuId.
std::optional<int> ParseNumber(std::string_view s) {
  if (s.empty() || s.size() > 5) return std::nullopt;
  int v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  if (v > kMaxCpuId) return std::nullopt;
  return v;
}

absl::Status IoError(int err, std::string_view op, const std::string& path) {
  std::string msg = absl::StrCat("cannot ", std::string(op), " ", path, ": ",
                                 std::error_code(err, std::generic_category()).message());
  if (err == EACCES || err == EPERM) return absl::PermissionDeniedError(msg);
  return absl::InternalError(msg);
}

// The contents of a sysfs file, or nullopt when it does not exist.
absl::StatusOr<std::optional<std::string>> ReadFile(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT || err == ENOTDIR) return std::nullopt;
    return IoError(err, "open", path);
  }
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      close(fd);
      return IoError(err, "read", path);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return out;
}

absl::Status Malformed(const std::string& path, std::string_view content, std::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("malformed ", path, ": ", Quote(content), " (", std::string(why), ")"));
}

// A CPU list file; nullopt when it does not exist.
absl::StatusOr<std::optional<std::vector<int>>> ReadCpuListFile(const std::string& path) {
  absl::StatusOr<std::optional<std::string>> text = ReadFile(path);
  if (!text.ok()) return text.status();
  if (!text->has_value()) return std::nullopt;
  absl::StatusOr<std::vector<int>> cpus = ParseCpuList(**text);
  if (!cpus.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("malformed ", path, ": ", cpus.status().message()));
  }
  return std::move(*cpus);
}

// An integer file (may be negative: physical_package_id is -1 on some platforms); nullopt
// when it does not exist.
absl::StatusOr<std::optional<int>> ReadIntFile(const std::string& path) {
  absl::StatusOr<std::optional<std::string>> text = ReadFile(path);
  if (!text.ok()) return text.status();
  if (!text->has_value()) return std::nullopt;
  int v = 0;
  if (!absl::SimpleAtoi(std::string(Trim(**text)), &v)) {
    return Malformed(path, **text, "expected an integer");
  }
  return v;
}

// A one-word file such as a cache `type`; nullopt when it does not exist.
absl::StatusOr<std::optional<std::string>> ReadWordFile(const std::string& path) {
  absl::StatusOr<std::optional<std::string>> text = ReadFile(path);
  if (!text.ok()) return text.status();
  if (!text->has_value()) return std::nullopt;
  return std::string(Trim(**text));
}

// Names of the entries of `dir` that are `prefix` followed by a number, with that number,
// ascending. Empty when `dir` does not exist.
absl::StatusOr<std::vector<std::pair<int, std::string>>> NumberedEntries(const std::string& dir,
                                                                         std::string_view prefix) {
  std::vector<std::pair<int, std::string>> out;
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) {
    if (ec == std::errc::no_such_file_or_directory || ec == std::errc::not_a_directory) {
      return out;
    }
    return IoError(ec.value(), "list", dir);
  }
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) continue;
    std::optional<int> n = ParseNumber(std::string_view(name).substr(prefix.size()));
    if (n.has_value()) out.emplace_back(*n, name);
  }
  if (ec) return IoError(ec.value(), "list", dir);
  std::sort(out.begin(), out.end());
  return out;
}

// Union-find over CPU ids: cores, LLCs and nodes are the classes of "shares a X with".
// Unions rather than taking each CPU's list at face value, so lists that disagree (a sibling
// list that misses an offline-then-online CPU) still give a partition.
class CpuClasses {
 public:
  explicit CpuClasses(int n) : parent_(n) { std::iota(parent_.begin(), parent_.end(), 0); }
  int Find(int cpu) {
    while (parent_[cpu] != cpu) cpu = parent_[cpu] = parent_[parent_[cpu]];
    return cpu;
  }
  void Union(int a, int b) {
    a = Find(a);
    b = Find(b);
    // The lower CPU is the root, so a class is named by its lowest member.
    if (a < b) parent_[b] = a;
    if (b < a) parent_[a] = b;
  }
  // Unites `cpu` with the CPUs of `group` that are online.
  void UnionOnline(int cpu, const std::vector<int>& group, const std::vector<int>& by_cpu_online) {
    for (int other : group) {
      if (other < static_cast<int>(by_cpu_online.size()) && by_cpu_online[other]) Union(cpu, other);
    }
  }
  // Dense indices of the classes of `online` (ascending), numbered by lowest member, into
  // `index_of` (by CPU id) and `members` (by index).
  void Number(const std::vector<int>& online, std::vector<int>* index_of,
              std::vector<std::vector<int>>* members) {
    std::map<int, int> index_of_root;
    for (int cpu : online) {
      auto [it, added] = index_of_root.try_emplace(Find(cpu), static_cast<int>(members->size()));
      if (added) members->emplace_back();
      (*index_of)[cpu] = it->second;
      (*members)[it->second].push_back(cpu);
    }
  }

 private:
  std::vector<int> parent_;
};

// What we know about one online CPU's last-level cache.
struct LlcInfo {
  int level = 0;
  std::optional<int> id;
  std::optional<std::vector<int>> shared_cpus;
};

// The highest-level Data or Unified cache of a CPU; nullopt when it has no cache information.
absl::StatusOr<std::optional<LlcInfo>> ReadLlc(const std::string& cpu_path) {
  const std::string cache_dir = absl::StrCat(cpu_path, "/cache");
  absl::StatusOr<std::vector<std::pair<int, std::string>>> indices =
      NumberedEntries(cache_dir, "index");
  if (!indices.ok()) return indices.status();
  std::optional<std::string> best_dir;
  int best_level = 0;
  for (const auto& [unused, name] : *indices) {
    const std::string dir = absl::StrCat(cache_dir, "/", name);
    absl::StatusOr<std::optional<std::string>> type = ReadWordFile(dir + "/type");
    if (!type.ok()) return type.status();
    if (!type->has_value() || (**type != "Data" && **type != "Unified")) continue;
    absl::StatusOr<std::optional<int>> level = ReadIntFile(dir + "/level");
    if (!level.ok()) return level.status();
    if (!level->has_value()) continue;
    if (**level > best_level) {
      best_level = **level;
      best_dir = dir;
    }
  }
  if (!best_dir.has_value()) return std::nullopt;
  LlcInfo llc;
  llc.level = best_level;
  absl::StatusOr<std::optional<int>> id = ReadIntFile(*best_dir + "/id");
  if (!id.ok()) return id.status();
  llc.id = *id;
  absl::StatusOr<std::optional<std::vector<int>>> shared =
      ReadCpuListFile(*best_dir + "/shared_cpu_list");
  if (!shared.ok()) return shared.status();
  llc.shared_cpus = std::move(*shared);
  return llc;
}

}  // namespace

absl::StatusOr<std::vector<int>> ParseCpuList(std::string_view text) {
  auto invalid = [text](std::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid CPU list ", Quote(text), ": ", std::string(why)));
  };
  std::vector<int> cpus;
  std::vector<bool> seen;
  const std::string_view list = Trim(text);
  if (list.empty()) return cpus;
  size_t pos = 0;
  while (pos <= list.size()) {
    size_t comma = list.find(',', pos);
    if (comma == std::string_view::npos) comma = list.size();
    const std::string_view item = Trim(list.substr(pos, comma - pos));
    pos = comma + 1;
    if (item.empty()) return invalid("empty item");
    const std::string bad = absl::StrCat("bad item '", absl::CEscape(std::string(item)), "'");

    // first[-last[:used/group]], as the kernel's bitmap_parselist() reads it.
    const size_t dash = item.find('-');
    const size_t colon = item.find(':');
    if (colon != std::string_view::npos && (dash == std::string_view::npos || colon < dash)) {
      return invalid(absl::StrCat(bad, ": ':used/group' needs a range before it"));
    }
    std::optional<int> first = ParseNumber(item.substr(0, dash));
    std::optional<int> last = first;
    int used = 1;
    int group = 1;
    if (dash != std::string_view::npos) {
      last = ParseNumber(item.substr(
          dash + 1, colon == std::string_view::npos ? std::string_view::npos : colon - dash - 1));
    }
    if (!first.has_value() || !last.has_value()) {
      return invalid(absl::StrCat(bad, ": CPU ids are numbers from 0 to ", kMaxCpuId));
    }
    if (*first > *last) return invalid(absl::StrCat(bad, ": range runs backwards"));
    if (colon != std::string_view::npos) {
      const std::string_view pattern = item.substr(colon + 1);
      const size_t slash = pattern.find('/');
      std::optional<int> u = ParseNumber(pattern.substr(0, slash));
      std::optional<int> g =
          slash == std::string_view::npos ? std::nullopt : ParseNumber(pattern.substr(slash + 1));
      if (!u.has_value() || !g.has_value() || *u == 0 || *g == 0 || *u > *g) {
        return invalid(
            absl::StrCat(bad, ": group syntax is first-last:used/group with 0 < used <= group"));
      }
      used = *u;
      group = *g;
    }
    // A bitmap, not a list: "0-65535" repeated must cost neither memory nor a sort.
    if (seen.size() <= static_cast<size_t>(*last)) seen.resize(*last + 1);
    for (int start = *first; start <= *last; start += group) {
      for (int cpu = start; cpu < start + used && cpu <= *last; ++cpu) seen[cpu] = true;
    }
  }
  for (int cpu = 0; cpu < static_cast<int>(seen.size()); ++cpu) {
    if (seen[cpu]) cpus.push_back(cpu);
  }
  return cpus;
}

absl::StatusOr<Topology> Topology::FromSysfs(std::string sysfs_root) {
  const std::string cpu_dir = absl::StrCat(sysfs_root, "/devices/system/cpu");
  const std::string node_dir = absl::StrCat(sysfs_root, "/devices/system/node");
  Topology t;

  // Which CPUs exist and which are up.
  const std::string online_path = cpu_dir + "/online";
  absl::StatusOr<std::optional<std::vector<int>>> online = ReadCpuListFile(online_path);
  if (!online.ok()) return online.status();
  if (!online->has_value()) {
    return absl::NotFoundError(absl::StrCat("cannot read the CPU topology: ", online_path,
                                            " is missing (is sysfs mounted at ", sysfs_root, "?)"));
  }
  if ((*online)->empty()) return Malformed(online_path, "", "no CPU is online");
  t.online_cpus_ = std::move(**online);

  const std::string possible_path = cpu_dir + "/possible";
  absl::StatusOr<std::optional<std::vector<int>>> possible = ReadCpuListFile(possible_path);
  if (!possible.ok()) return possible.status();
  t.possible_cpus_ = possible->has_value() ? std::move(**possible) : t.online_cpus_;
  for (int cpu : t.online_cpus_) {
    if (!std::binary_search(t.possible_cpus_.begin(), t.possible_cpus_.end(), cpu)) {
      return absl::InvalidArgumentError(
          absl::StrCat("CPU ", cpu, " is in ", online_path, " but not in ", possible_path));
    }
  }
  const int nr_cpu_ids = t.possible_cpus_.back() + 1;
  std::vector<int> is_online(nr_cpu_ids, 0);
  for (int cpu : t.online_cpus_) is_online[cpu] = 1;

  // Cores and LLCs, from each online CPU's topology and cache directories.
  CpuClasses cores(nr_cpu_ids);
  CpuClasses llcs(nr_cpu_ids);
  // First CPU seen with a key, for CPUs that are grouped by numbers rather than by lists:
  // (kind, a, b) where kind 0 = core (package, core_id), 1 = cache (level, id),
  // 2 = no cache information (package).
  std::map<std::tuple<int, int, int>, int> first_with;
  auto union_by_key = [&first_with](CpuClasses& classes, std::tuple<int, int, int> key, int cpu) {
    auto [it, added] = first_with.try_emplace(key, cpu);
    if (!added) classes.Union(cpu, it->second);
  };
  for (int cpu : t.online_cpus_) {
    const std::string cpu_path = absl::StrCat(cpu_dir, "/cpu", cpu);
    const std::string topo = cpu_path + "/topology";
    absl::StatusOr<std::optional<int>> package = ReadIntFile(topo + "/physical_package_id");
    if (!package.ok()) return package.status();
    const int package_id = package->value_or(0);

    absl::StatusOr<std::optional<std::vector<int>>> siblings =
        ReadCpuListFile(topo + "/core_cpus_list");
    if (siblings.ok() && !siblings->has_value()) {
      siblings = ReadCpuListFile(topo + "/thread_siblings_list");
    }
    if (!siblings.ok()) return siblings.status();
    if (siblings->has_value()) {
      cores.UnionOnline(cpu, **siblings, is_online);
    } else {
      absl::StatusOr<std::optional<int>> core_id = ReadIntFile(topo + "/core_id");
      if (!core_id.ok()) return core_id.status();
      if (core_id->has_value()) union_by_key(cores, {0, package_id, **core_id}, cpu);
    }

    absl::StatusOr<std::optional<LlcInfo>> llc = ReadLlc(cpu_path);
    if (!llc.ok()) return llc.status();
    if (!llc->has_value()) {
      union_by_key(llcs, {2, package_id, 0}, cpu);
    } else if ((*llc)->shared_cpus.has_value()) {
      llcs.UnionOnline(cpu, *(*llc)->shared_cpus, is_online);
    } else if ((*llc)->id.has_value()) {
      union_by_key(llcs, {1, (*llc)->level, *(*llc)->id}, cpu);
    }
    // A cache with neither a CPU list nor an id is taken as private to this CPU.
  }
  t.cpu_core_.assign(nr_cpu_ids, -1);
  t.cpu_llc_.assign(nr_cpu_ids, -1);
  t.cpu_node_.assign(nr_cpu_ids, -1);
  cores.Number(t.online_cpus_, &t.cpu_core_, &t.core_cpus_);
  llcs.Number(t.online_cpus_, &t.cpu_llc_, &t.llc_cpus_);

  // NUMA nodes: each online CPU must be in exactly one nodeN/cpulist.
  absl::StatusOr<std::vector<std::pair<int, std::string>>> nodes =
      NumberedEntries(node_dir, "node");
  if (!nodes.ok()) return nodes.status();
  std::vector<int> kernel_node(nr_cpu_ids, -1);
  if (nodes->empty()) {
    // No NUMA in this kernel (CONFIG_NUMA=n): one node 0.
    for (int cpu : t.online_cpus_) kernel_node[cpu] = 0;
  } else {
    for (const auto& [node, name] : *nodes) {
      const std::string path = absl::StrCat(node_dir, "/", name, "/cpulist");
      absl::StatusOr<std::optional<std::vector<int>>> cpus = ReadCpuListFile(path);
      if (!cpus.ok()) return cpus.status();
      if (!cpus->has_value()) continue;
      for (int cpu : **cpus) {
        if (cpu >= nr_cpu_ids || !is_online[cpu]) continue;
        if (kernel_node[cpu] >= 0) {
          return absl::InvalidArgumentError(absl::StrCat("CPU ", cpu, " is in two NUMA nodes: node",
                                                         kernel_node[cpu], " and ", path));
        }
        kernel_node[cpu] = node;
      }
    }
  }
  std::map<int, int> index_of_node;
  for (int cpu : t.online_cpus_) {
    if (kernel_node[cpu] < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("CPU ", cpu, " is online but in no NUMA node's cpulist under ", node_dir));
    }
    auto [it, added] =
        index_of_node.try_emplace(kernel_node[cpu], static_cast<int>(t.node_cpus_.size()));
    if (added) {
      t.node_cpus_.emplace_back();
      t.kernel_node_ids_.push_back(kernel_node[cpu]);
    }
    t.cpu_node_[cpu] = it->second;
    t.node_cpus_[it->second].push_back(cpu);
  }
  return t;
}

bool Topology::smt_active() const {
  return std::any_of(core_cpus_.begin(), core_cpus_.end(),
                     [](const std::vector<int>& core) { return core.size() > 1; });
}

std::vector<int> Topology::SmtSiblingsOf(int cpu) const {
  std::vector<int> out;
  const int core = CoreOf(cpu);
  if (core < 0) return out;
  for (int other : core_cpus_[core]) {
    if (other != cpu) out.push_back(other);
  }
  return out;
}

std::string Topology::Summary() const {
  auto count = [](int n, std::string_view one, std::string_view many) {
    return absl::StrCat(n, " ", std::string(n == 1 ? one : many));
  };
  size_t min_threads = SIZE_MAX;
  size_t max_threads = 0;
  for (const std::vector<int>& core : core_cpus_) {
    min_threads = std::min(min_threads, core.size());
    max_threads = std::max(max_threads, core.size());
  }
  std::string smt;
  if (max_threads <= 1) {
    smt = ", no SMT";
  } else if (min_threads == max_threads) {
    smt = absl::StrCat(" x ", max_threads, " SMT");
  } else {
    smt = absl::StrCat(", up to ", max_threads, " SMT");
  }
  std::string s = absl::StrCat(
      count(nr_cpus(), "CPU", "CPUs"), " (", count(nr_cores(), "core", "cores"), smt, "), ",
      count(nr_llcs(), "LLC", "LLCs"), ", ", count(nr_nodes(), "NUMA node", "NUMA nodes"));
  if (nr_possible_cpus() > nr_cpus()) {
    absl::StrAppend(&s, ", ", nr_possible_cpus() - nr_cpus(), " offline");
  }
  return s;
}

absl::Status Topology::FillBpfArrays(size_t capacity, __u32* out_nr_cpus, __u32* out_nr_llcs,
                                     __u32* out_nr_nodes, __u32* pad, __u32* cpu_llc,
                                     __u32* cpu_node, __u32* cpu_core, __s32* cpu_sibling) const {
  if (static_cast<size_t>(nr_cpu_ids()) > capacity) {
    const auto beyond =
        std::lower_bound(possible_cpus_.begin(), possible_cpus_.end(), static_cast<int>(capacity));
    size_t suggested = capacity;
    while (suggested < static_cast<size_t>(nr_cpu_ids())) suggested *= 2;
    return absl::OutOfRangeError(absl::StrCat(
        "CPU ", *beyond, " does not fit struct scxpp_topo, which holds CPUs 0..", capacity - 1,
        "; rebuild the scheduler (its BPF and C++ sides alike) with a larger SCXPP_MAX_CPUS, "
        "e.g. -DSCXPP_MAX_CPUS=",
        suggested));
  }
  *out_nr_cpus = static_cast<__u32>(nr_cpu_ids());
  *out_nr_llcs = static_cast<__u32>(nr_llcs());
  *out_nr_nodes = static_cast<__u32>(nr_nodes());
  *pad = 0;
  std::fill_n(cpu_llc, capacity, 0);
  std::fill_n(cpu_node, capacity, 0);
  std::fill_n(cpu_core, capacity, 0);
  std::fill_n(cpu_sibling, capacity, -1);
  for (int cpu : online_cpus_) {
    cpu_llc[cpu] = static_cast<__u32>(cpu_llc_[cpu]);
    cpu_node[cpu] = static_cast<__u32>(cpu_node_[cpu]);
    cpu_core[cpu] = static_cast<__u32>(cpu_core_[cpu]);
    for (int other : core_cpus_[cpu_core_[cpu]]) {
      if (other != cpu) {
        cpu_sibling[cpu] = other;
        break;
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace scxpp

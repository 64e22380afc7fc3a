// SPDX-License-Identifier: Apache-2.0
/// @file
/// The machine's CPU topology — online CPUs, SMT siblings, physical cores, last-level caches
/// and NUMA nodes — read from sysfs under an injectable root so it can be tested, and handed
/// to a scheduler's BPF side as `struct scxpp_topo` (scxpp/bpf/topology_common.h).
#ifndef SCXPP_TOPOLOGY_H_
#define SCXPP_TOPOLOGY_H_

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
// The BPF layout is included, not forward-declared: FillBpf() is inline so that it sees the
// SCXPP_MAX_CPUS the program was built with, not the one this library was built with.
#include "scxpp/bpf/topology_common.h"

namespace scxpp {

/// Parses the kernel's CPU list format ("0-3,8,10-11", as in `/sys/devices/system/cpu/online`)
/// into sorted, distinct CPU ids. Accepts an empty or all-whitespace list (no CPUs), whitespace
/// around items, and the kernel's group syntax `first-last:used/group` ("0-7:1/2" is 0,2,4,6).
/// Returns kInvalidArgument, naming the input, for anything else (descending ranges, a CPU id
/// above 65535, stray characters).
absl::StatusOr<std::vector<int>> ParseCpuList(std::string_view text);

/// A snapshot of the CPU topology of the machine (or of a fake sysfs tree in tests).
///
/// Cores, LLCs and nodes are numbered with dense indices (0..nr_cores()-1, 0..nr_llcs()-1,
/// 0..nr_nodes()-1) in the order of each group's lowest online CPU; KernelNodeId() maps a node
/// index back to the kernel's node number. Only online CPUs belong to a core, LLC or node;
/// asking about any other CPU id gives -1 or an empty list. Immutable once built, so it may be
/// shared between threads. CPU hotplug makes it stale: build a new one when the kernel restarts
/// the scheduler for a hotplug event.
class Topology {
 public:
  /// Reads the topology under `sysfs_root` (the directory that holds `devices/system`):
  /// `cpu/possible`, `cpu/online`, per online CPU `cpuN/topology/{core_cpus_list or
  /// thread_siblings_list, core_id, physical_package_id}` and `cpuN/cache/indexK/{level, type,
  /// shared_cpu_list, id}`, and `node/nodeN/cpulist`.
  ///
  /// Falls back where a kernel or a VM leaves information out: no `possible` → the online
  /// CPUs; no sibling list → group by (package, core_id), and without those each CPU is its
  /// own core; no Data/Unified cache → one LLC per package; no `node` directory → one node 0.
  ///
  /// Returns:
  ///   kNotFound          — `<root>/devices/system/cpu/online` is missing (message names it);
  ///   kInvalidArgument   — a file is malformed, or an online CPU is not possible or is in no
  ///                        NUMA node or in two (message names the file and its content);
  ///   kPermissionDenied  — a file exists but cannot be read;
  ///   kInternal          — another I/O error.
  ///
  /// Works on any kernel; `core_cpus_list` needs Linux >= 5.6, cache `id` >= 4.11, and both
  /// have fallbacks. (sched_ext itself needs >= 6.12.)
  static absl::StatusOr<Topology> FromSysfs(std::string sysfs_root = "/sys");

  /// Number of possible CPUs (`cpu/possible`), online or not.
  int nr_possible_cpus() const { return static_cast<int>(possible_cpus_.size()); }
  /// Highest possible CPU id + 1: the kernel's `nr_cpu_ids`, the bound for arrays by CPU id.
  int nr_cpu_ids() const { return static_cast<int>(cpu_core_.size()); }
  /// The possible CPU ids, ascending.
  const std::vector<int>& possible_cpus() const { return possible_cpus_; }
  /// The online CPU ids, ascending.
  const std::vector<int>& online_cpus() const { return online_cpus_; }
  /// Number of online CPUs (hardware threads).
  int nr_cpus() const { return static_cast<int>(online_cpus_.size()); }
  /// Number of physical cores with at least one online CPU.
  int nr_cores() const { return static_cast<int>(core_cpus_.size()); }
  /// Number of last-level caches with at least one online CPU.
  int nr_llcs() const { return static_cast<int>(llc_cpus_.size()); }
  /// Number of NUMA nodes with at least one online CPU (memory-only nodes are not counted).
  int nr_nodes() const { return static_cast<int>(node_cpus_.size()); }
  /// True when some core has two or more online CPUs (the kernel's `sched_smt_active()`).
  bool smt_active() const;

  /// Is `cpu` online?
  bool IsOnline(int cpu) const { return CoreOf(cpu) >= 0; }
  /// Dense core index of `cpu`; -1 if `cpu` is not online.
  int CoreOf(int cpu) const { return Lookup(cpu_core_, cpu); }
  /// Dense LLC index of `cpu`; -1 if `cpu` is not online.
  int LlcOf(int cpu) const { return Lookup(cpu_llc_, cpu); }
  /// Dense NUMA node index of `cpu`; -1 if `cpu` is not online.
  int NodeOf(int cpu) const { return Lookup(cpu_node_, cpu); }
  /// The other online CPUs of `cpu`'s core (its SMT siblings, without `cpu`), ascending;
  /// empty without SMT or if `cpu` is not online.
  std::vector<int> SmtSiblingsOf(int cpu) const;

  /// Online CPUs of core `core` (0..nr_cores()-1), ascending; empty for any other index.
  std::span<const int> CoreCpus(int core) const { return Group(core_cpus_, core); }
  /// Online CPUs sharing LLC `llc` (0..nr_llcs()-1), ascending; empty for any other index.
  std::span<const int> LlcCpus(int llc) const { return Group(llc_cpus_, llc); }
  /// Online CPUs of node `node` (0..nr_nodes()-1), ascending; empty for any other index.
  std::span<const int> NodeCpus(int node) const { return Group(node_cpus_, node); }
  /// The kernel's number for node index `node` (what `nodeN` in sysfs and the kernel's
  /// cpu_to_node() use); -1 for an index out of range.
  int KernelNodeId(int node) const {
    return node >= 0 && node < nr_nodes() ? kernel_node_ids_[node] : -1;
  }

  /// One line for humans, e.g. "4 CPUs (2 cores x 2 SMT), 1 LLC, 1 NUMA node".
  std::string Summary() const;

  /// Fills the BPF side's read-only `struct scxpp_topo` (call before the skeleton is loaded,
  /// e.g. `topo.FillBpf(&skel->rodata->scxpp_topo)`). Entries of CPUs that are not online get
  /// 0, and -1 in `cpu_sibling`.
  ///
  /// Returns kOutOfRange, leaving `*out` unchanged, when a possible CPU id is
  /// >= SCXPP_MAX_CPUS (the message says to rebuild with a larger SCXPP_MAX_CPUS); OK otherwise.
  /// Touches no kernel interface. REQUIRES: `out` is not null.
  absl::Status FillBpf(scxpp_topo* out) const {
    return FillBpfArrays(SCXPP_MAX_CPUS, &out->nr_cpus, &out->nr_llcs, &out->nr_nodes, &out->pad,
                         out->cpu_llc, out->cpu_node, out->cpu_core, out->cpu_sibling);
  }
  /// FillBpf() for the skeleton's read-only variable itself:
  /// `topo.FillBpf(skel.rodata->scxpp_topo)` (see SetRodata() for why that is writable).
  absl::Status FillBpf(const volatile scxpp_topo& rodata) const {
    return FillBpf(const_cast<scxpp_topo*>(&rodata));
  }

 private:
  Topology() = default;

  // Fills the fields of a struct scxpp_topo whose arrays hold `capacity` entries; kept apart
  // from FillBpf() so the library does not depend on the caller's SCXPP_MAX_CPUS.
  absl::Status FillBpfArrays(size_t capacity, __u32* out_nr_cpus, __u32* out_nr_llcs,
                             __u32* out_nr_nodes, __u32* pad, __u32* cpu_llc, __u32* cpu_node,
                             __u32* cpu_core, __s32* cpu_sibling) const;

  static int Lookup(const std::vector<int>& by_cpu, int cpu) {
    return cpu >= 0 && cpu < static_cast<int>(by_cpu.size()) ? by_cpu[cpu] : -1;
  }
  static std::span<const int> Group(const std::vector<std::vector<int>>& groups, int i) {
    if (i < 0 || i >= static_cast<int>(groups.size())) return {};
    return groups[i];
  }

  std::vector<int> possible_cpus_;
  std::vector<int> online_cpus_;
  // Indexed by CPU id, nr_cpu_ids() entries; -1 for CPUs that are not online.
  std::vector<int> cpu_core_;
  std::vector<int> cpu_llc_;
  std::vector<int> cpu_node_;
  // Indexed by dense index; each list ascending.
  std::vector<std::vector<int>> core_cpus_;
  std::vector<std::vector<int>> llc_cpus_;
  std::vector<std::vector<int>> node_cpus_;
  std::vector<int> kernel_node_ids_;
};

}  // namespace scxpp

#endif  // SCXPP_TOPOLOGY_H_
